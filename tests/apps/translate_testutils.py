"""Helpers of the translation tests: tiny pix2pix and CycleGAN runs of two iterations
on the demo sets (32 px, 8-filter nets), and their checkpoints."""
import os

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = os.path.join(ROOT, "configs")
SIZE = 32
QUIET = ["log_config.interval=1", "log_config.visiual_interval=100000",
         "snapshot_config.interval=100000", "validate.interval=-1"]


def paired_demo(folder):
    from ppgan_lite.datasets.demo_sets import build_paired_demo

    build_paired_demo(str(folder), size=SIZE, n_train=16, n_test=4, log=lambda *_: None)
    return str(folder)


def unpaired_demo(folder):
    from ppgan_lite.datasets.demo_sets import build_unpaired_demo

    build_unpaired_demo(str(folder), size=SIZE, n_train=16, n_test=4, log=lambda *_: None)
    return str(folder)


def pix2pix_overrides(data, iters=2):
    """The pix2pix demo recipe at 32 px: a 5-level U-Net of 8 filters (32 px reach 1x1)."""
    return [f"dataset.train.dataroot={data}/train", f"dataset.test.dataroot={data}/test",
            "model.generator.num_downs=5", "model.generator.ngf=8",
            "model.discriminator.ndf=8", "model.discriminator.n_layers=2",
            f"model.image_shape=[3,{SIZE},{SIZE}]", f"total_iters={iters}"] + QUIET


def cyclegan_overrides(data, iters=2):
    return [f"dataset.train.dataroot_a={data}/trainA", f"dataset.train.dataroot_b={data}/trainB",
            f"dataset.test.dataroot_a={data}/testA", f"dataset.test.dataroot_b={data}/testB",
            "model.generator.ngf=8", "model.generator.n_blocks=1",
            "model.discriminator.ndf=8", "model.discriminator.n_layers=2",
            f"model.image_shape=[3,{SIZE},{SIZE}]", f"total_iters={iters}"] + QUIET


def train(config, overrides, run_dir):
    """Train ``config`` with ``overrides`` into ``run_dir``; (trainer, last checkpoint)."""
    from ppgan_lite import register_all
    from ppgan_lite.engine.trainer import Trainer
    from ppgan_lite.utils.checkpoint import list_checkpoints
    from ppgan_lite.utils.config import load_config, validate_config

    register_all()
    cfg = validate_config(load_config(os.path.join(CONFIGS, config), list(overrides)))
    trainer = Trainer(cfg, str(run_dir))
    trainer.train()
    return trainer, str(list_checkpoints(os.path.join(str(run_dir), "checkpoints"))[-1])
