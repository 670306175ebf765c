"""PGGAN through the trainer on a tiny 16 px recipe: a run interrupted in the middle
of a fade-in (or where a phase starts) and resumed gives the uninterrupted run's
losses and weights; the progress GIF shows every level at one size; applications/
generate.py draws from a checkpoint at the level it was saved at."""
import os
import shutil

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite import register_all
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils import checkpoint as ckpt
from ppgan_lite.utils.config import load_config, validate_config
from ppgan_lite.utils.image_io import read_image
from ppgan_lite.utils.logger import read_jsonl
from scripts import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "configs", "pggan_lfw.yaml")
NETS = ["resolution=16", "fmap_base=32", "fmap_max=16"]
# batch 8: 4x4 for iterations 0-1, 8x8 fades in over 2-5 and is stable at 6-7, 16x16
# fades in over 8-11 (alpha 0.25 per iteration)
TINY = ([f"model.generator.{n}" for n in NETS] + [f"model.discriminator.{n}" for n in NETS]
        + ["model.lod_training_kimg=0.016", "model.lod_transition_kimg=0.032",
           "model.minibatch_base=8", "model.minibatch_dict={}",
           "dataset.train.size=16", "dataset.train.batch_size=8", "total_iters=10",
           "log_config.interval=1", "log_config.visiual_interval=1",
           "log_config.sample_grid=4", "snapshot_config.interval=2",
           "snapshot_config.keep_last=10"])
TERMS = ["D_real_loss", "D_fake_loss", "D_gp_loss", "D_drift_loss", "G_adv_loss", "lod"]

register_all()


def make_trainer(run_dir, **kwargs):
    cfg = validate_config(load_config(CONFIG, TINY))
    return Trainer(cfg, str(run_dir), **kwargs)


def loss_records(run_dir):
    return {r["iter"]: r for r in read_jsonl(os.path.join(str(run_dir), "log.jsonl"))
            if "G_adv_loss" in r}


def block_size(image):
    """The side of the squares of equal pixels an image is made of (4, 2 or 1)."""
    for b in (4, 2):
        if np.array_equal(image, np.repeat(np.repeat(image[::b, ::b], b, 0), b, 1)):
            return b
    return 1


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("pggan") / "full"
    make_trainer(run).train()
    return run


@pytest.mark.parametrize("start", [4, 2], ids=["mid-fade-in", "phase-start"])
def test_resume_gives_the_uninterrupted_losses_and_weights(full_run, tmp_path, start):
    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    name = f"iter_{start:08d}.ckpt.npz"
    shutil.copy(full_run / "checkpoints" / name, part / "checkpoints")
    saved = ckpt.load_state(str(part / "checkpoints" / name))["model_state"]["pggan"]
    assert saved["iter"] == start - 1  # the last iteration trained before the checkpoint
    make_trainer(part, resume=str(part / "checkpoints" / name)).train()
    a, b = loss_records(full_run), loss_records(part)
    assert sorted(b) == list(range(start + 1, 11))
    assert [a[i]["lod"] for i in range(1, 11)] == pytest.approx(
        [2, 2, 2, 1.75, 1.5, 1.25, 1, 1, 1, 0.75])
    for it in b:
        for key in TERMS:
            assert b[it][key] == a[it][key], (it, key)  # identical on CPU
    wa = ckpt.load_state(str(full_run / "checkpoints" / "iter_00000010.ckpt.npz"))["nets"]
    wb = ckpt.load_state(str(part / "checkpoints" / "iter_00000010.ckpt.npz"))["nets"]
    assert sorted(wa) == ["netD", "netG", "netG_ema"]
    for net in wa:
        for key in wa[net]:
            np.testing.assert_array_equal(wa[net][key], wb[net][key], err_msg=f"{net}.{key}")


def test_progress_gif_shows_every_level_at_one_size(full_run):
    from PIL import Image

    # the first sample of each grid (2 px padding): the level the nets ran at during
    # the iteration before it, upsampled nearest-neighbour to 16 px
    grids = [read_image(str(full_run / "samples" / f"iter_{i:08d}.png"))[..., 0]
             for i in range(11)]
    assert len({g.shape for g in grids}) == 1
    assert [block_size(g[2:18, 2:18]) for g in grids] == [4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 1]
    gif = Image.open(full_run / "progress.gif")
    frames = []
    for k in range(gif.n_frames):  # PIL merges frames that do not change
        gif.seek(k)
        frames.append(np.asarray(gif.convert("L")))
    assert {f.shape for f in frames} == {grids[0].shape}
    assert [block_size(f[2:18, 2:18]) for f in frames][0] == 4
    assert {block_size(f[2:18, 2:18]) for f in frames} == {4, 2, 1}


def test_generate_draws_at_the_checkpoint_level(full_run, tmp_path):
    generate = load_script("applications/generate.py")
    for it, expected in ((4, 2), (10, 1)):
        out = tmp_path / f"gen{it}"
        weights = str(full_run / "checkpoints" / f"iter_{it:08d}.ckpt.npz")
        assert generate.main(["--weights", weights, "--num", "4", "--output_dir", str(out),
                              "--interp_points", "2", "--interp_steps", "2"]) == 0
        assert sorted(os.listdir(out)) == ["grid.png", "interpolation.gif"] + [
            f"sample_{i:04d}.png" for i in range(4)]
        sample = read_image(str(out / "sample_0000.png"))
        assert sample.shape[:2] == (16, 16) and sample.std() > 1
        assert block_size(sample[..., 0]) == expected, it
