"""PGGAN learns, not just runs: a short grown run (4x4, then 8x8 fading in) on rendered
digits moves the moving-average generator's samples toward the data's statistics."""
import os

import numpy as np

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite import register_all
from ppgan_lite.datasets.digits import DigitsDataset
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils.config import load_config, validate_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETS = ["resolution=8", "fmap_base=64", "fmap_max=32"]

register_all()


def statistics(images):
    """The mean image and the per-image pixel spread: digits are bright strokes in the
    middle of a black square."""
    return images.mean(axis=0), images.std(axis=(1, 2, 3)).mean()


def test_short_run_moves_samples_toward_the_digits(tmp_path):
    overrides = ([f"model.generator.{n}" for n in NETS]
                 + [f"model.discriminator.{n}" for n in NETS]
                 + ["model.lod_training_kimg=0.8", "model.lod_transition_kimg=0.8",
                    "model.minibatch_base=16", "model.minibatch_dict={}",
                    "model.G_smoothing=0.9", "total_iters=150",
                    "dataset.train={name: DigitsDataset, size: 8, per_class: 40, "
                    "batch_size: 16}",
                    "log_config.interval=50", "log_config.visiual_interval=1000",
                    "snapshot_config.interval=1000"])
    cfg = validate_config(load_config(os.path.join(ROOT, "configs", "pggan_mnist32.yaml"),
                                      overrides))
    trainer = Trainer(cfg, str(tmp_path / "run"), seed=1)
    data = DigitsDataset(size=8, per_class=40)
    real = np.stack([np.asarray(data[i]["A"], np.float32) for i in range(len(data))])
    real_mean, real_spread = statistics(real)

    def distance():
        mean, spread = statistics(trainer.model.sample(128, seed=3).numpy())
        return float(np.sqrt(((mean - real_mean) ** 2).mean())), float(spread)

    (start, start_spread) = distance()
    trainer.train()
    (end, end_spread) = distance()
    print(f"RMS distance of the mean image to the data's: {start:.3f} -> {end:.3f}; "
          f"pixel spread {start_spread:.3f} -> {end_spread:.3f} (data {real_spread:.3f})")
    assert trainer.model.nets["netG_ema"].level_alpha() == (1, 1.0)  # it grew to 8x8
    assert end < 0.5 * start
    assert abs(end_spread - real_spread) < 0.5 * abs(start_spread - real_spread)
