"""CycleGAN through the trainer and tools/main.py on the unpaired demo set (32 px): an
interrupted run resumed equals the uninterrupted one (image pools included), it learns
toward the known answer, and ``--evaluate-only`` scores G_A(testA) against testB."""
import json
import os
import shutil

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite.engine.cli import main
from ppgan_lite.metrics.psnr_ssim import psnr, ssim
from ppgan_lite.utils import checkpoint as ckpt

from translation_model_testutils import (CYCLEGAN_DEMO, cyclegan_overrides, loss_records,
                                         make_trainer, outputs_on_test_set, unpaired_demo)

TERMS = ["G_idt_A_loss", "G_idt_B_loss", "G_A_adv_loss", "G_B_adv_loss", "G_A_cycle_loss",
         "G_B_cycle_loss"] + [f"D_{d}_{part}loss" for d in "AB" for part in ("real_", "fake_", "")]
# pools of 2 images at batch 1 are full after two steps: steps 3 and 4 draw from them
RESUME = ["model.pool_size=2", "snapshot_config.interval=2"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return unpaired_demo(tmp_path_factory.mktemp("cyclegan") / "demo", n_train=16, n_test=4)


@pytest.fixture(scope="module")
def full_run(data, tmp_path_factory):
    run = tmp_path_factory.mktemp("cyclegan_full")
    make_trainer(CYCLEGAN_DEMO, cyclegan_overrides(data, iters=4) + RESUME, run).train()
    return run


def resumed(data, full, run_dir, keep_pools=True):
    """A run of the same config continued from the full run's iteration-2 checkpoint."""
    (run_dir / "checkpoints").mkdir(parents=True)
    start = run_dir / "checkpoints" / "iter_00000002.ckpt.npz"
    shutil.copy(full / "checkpoints" / "iter_00000002.ckpt.npz", start)
    trainer = make_trainer(CYCLEGAN_DEMO, cyclegan_overrides(data, iters=4) + RESUME, run_dir,
                           resume=str(start))
    if not keep_pools:
        trainer.model.fake_A_pool.images, trainer.model.fake_B_pool.images = [], []
    trainer.train()
    return loss_records(run_dir, "D_A_loss")


def test_every_term_is_logged_and_finite(full_run):
    records = loss_records(full_run, "D_A_loss")
    assert sorted(records) == [1, 2, 3, 4]
    for record in records.values():
        assert all(np.isfinite(record[key]) for key in TERMS)
    state = ckpt.load_state(str(full_run / "checkpoints" / "iter_00000004.ckpt.npz"))
    for pool in ("fake_A_pool", "fake_B_pool"):
        assert len(state["model_state"][pool]["images"]) == 2


def test_resume_equals_the_uninterrupted_run(data, full_run, tmp_path):
    """Losses of steps 3 and 4 and the final weights are the same whether or not the run
    stopped after step 2: the pools' images and generator states came back too."""
    full = loss_records(full_run, "D_A_loss")
    part = resumed(data, full_run, tmp_path / "part")
    assert sorted(part) == [3, 4]
    for it in (3, 4):
        for key in TERMS:
            assert part[it][key] == full[it][key], (it, key)
    final = "checkpoints/iter_00000004.ckpt.npz"
    wa = ckpt.load_state(str(full_run / final))["nets"]
    wb = ckpt.load_state(str(tmp_path / "part" / final))["nets"]
    for net in wa:
        for key in wa[net]:
            np.testing.assert_array_equal(wa[net][key], wb[net][key], err_msg=f"{net}.{key}")


def test_resume_without_the_pools_differs(data, full_run, tmp_path):
    """The check above can fail: emptying the pools on resume changes what D sees."""
    full = loss_records(full_run, "D_A_loss")
    part = resumed(data, full_run, tmp_path / "part", keep_pools=False)
    assert any(part[it][key] != full[it][key] for it in (3, 4)
               for key in ("D_A_fake_loss", "D_B_fake_loss"))


def colour_distance(images, reference):
    """|mean RGB of images - mean RGB of reference| in 0..255 units."""
    mean = lambda x: (x.mean(axis=(0, 2, 3)) + 1.0) * 127.5  # noqa: E731
    return float(np.linalg.norm(mean(images) - mean(reference)))


def test_cyclegan_moves_toward_the_target_domain(tmp_path_factory):
    """After 90 steps of batch 8 (every loss of the recipe), G_A's translations of test
    crops from unseen photos are much nearer B's mean colour than the photos and the
    untrained generator's output are, and the cycle A -> B -> A reconstructs better.
    Measured: mean-colour distance to B 88 (photos), 86 (untrained) -> 45; cycle L1
    0.41 -> 0.28; PSNR against the answer 12.4 -> 16.6 dB (identity map 13.8), at 60 steps
    on the machine it was written on. On an Intel Xeon 60 steps reached only cycle L1
    0.415 -> 0.363 (0.87x); 90 steps: colour 88.5 / 86.3 -> 13.7, cycle L1 0.415 -> 0.342
    (0.82x)."""
    data = unpaired_demo(tmp_path_factory.mktemp("cyclegan_learns") / "demo")
    trainer = make_trainer(CYCLEGAN_DEMO, cyclegan_overrides(data, iters=90) + [
        "dataset.train.batch_size=8", "lr_scheduler.learning_rate=0.002"],
        tmp_path_factory.mktemp("cyclegan_learns_run"))
    keys = ["real_A", "fake_B", "rec_A", "real_B"]
    before = outputs_on_test_set(trainer, keys)
    trainer.train()
    after = outputs_on_test_set(trainer, keys)
    photos = colour_distance(after["real_A"], after["real_B"])
    untrained = colour_distance(before["fake_B"], before["real_B"])
    learned = colour_distance(after["fake_B"], after["real_B"])
    assert learned < 0.7 * photos and learned < 0.7 * untrained, (photos, untrained, learned)
    cycle_before = float(np.abs(before["rec_A"] - before["real_A"]).mean())
    cycle_after = float(np.abs(after["rec_A"] - after["real_A"]).mean())
    print(f"colour distance to B: photos {photos:.1f}, untrained {untrained:.1f}, "
          f"learned {learned:.1f}; cycle L1 {cycle_before:.3f} -> {cycle_after:.3f}")
    assert cycle_after < 0.85 * cycle_before, (cycle_before, cycle_after)


def test_evaluate_only_scores_G_A_of_testA_against_testB(data, full_run, tmp_path):
    """UnpairedDataset(is_train=False) pairs the i-th sorted files of testA and testB;
    the demo's testB/<name> is the toned testA/<name>, the known answer."""
    weights = str(full_run / "checkpoints" / "iter_00000004.ckpt.npz")
    run = tmp_path / "eval"
    code = main(["-c", CYCLEGAN_DEMO, "--evaluate-only", "--load", weights, "--output-dir",
                 str(run), "-o"] + cyclegan_overrides(data))
    assert code == 0
    with open(os.path.join(str(run), "evaluation.json")) as f:
        metrics = json.load(f)["metrics"]
    trainer = make_trainer(CYCLEGAN_DEMO, cyclegan_overrides(data), tmp_path / "direct",
                           load=weights, evaluate_only=True)
    batch = next(iter(trainer.test_loader))
    assert [os.path.basename(p) for p in batch["A_path"]] == \
        [os.path.basename(p) for p in batch["B_path"]]
    out = outputs_on_test_set(trainer, ["fake_B", "real_B"])
    assert len(out["fake_B"]) == 4
    assert metrics["psnr"] == pytest.approx(
        psnr(out["fake_B"], out["real_B"], input_range=(-1, 1), quantize=True), rel=1e-6)
    assert metrics["ssim"] == pytest.approx(
        ssim(out["fake_B"], out["real_B"], input_range=(-1, 1), quantize=True), rel=1e-6)
