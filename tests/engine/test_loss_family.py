import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_loss_recipe_trains_and_the_comparison_is_drawn(tmp_path):
    out = tmp_path / "lf"
    res = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "compare_gan_losses.py"), "--iters", "6",
         "--output_dir", str(out), "-o", "model.generator.ngf=8", "model.discriminator.ndf=8",
         "model.generator.input_nz=8", "dataset.train.batch_size=10"],
        capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (out / "loss_family.png").stat().st_size > 10_000
    for name in ("vanilla", "lsgan", "hinge", "wgan", "wgangp"):
        assert (out / name / "checkpoints" / "iter_00000006.ckpt.npz").is_file(), name
    log = (out / "wgangp" / "log.jsonl").read_text()
    assert "D_gp_loss" in log
