"""Helpers of the pix2pix / CycleGAN model tests: the demo sets at 32 px, the demo
recipes shrunk to tiny nets, trainer runs and a stand-in for InceptionV3 (its weights
are not available offline)."""
import os

import numpy as np

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite import register_all
from ppgan_lite.datasets import build_dataloader
from ppgan_lite.datasets.demo_sets import build_paired_demo, build_unpaired_demo
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils.config import load_config, validate_config
from ppgan_lite.utils.logger import read_jsonl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = os.path.join(ROOT, "configs")
PIX2PIX_DEMO = os.path.join(CONFIGS, "pix2pix_demo.yaml")
CYCLEGAN_DEMO = os.path.join(CONFIGS, "cyclegan_demo.yaml")
SIZE = 32

register_all()


def paired_demo(folder, n_train=64, n_test=8):
    build_paired_demo(str(folder), size=SIZE, n_train=n_train, n_test=n_test, log=lambda *_: None)
    return str(folder)


def unpaired_demo(folder, n_train=64, n_test=8):
    build_unpaired_demo(str(folder), size=SIZE, n_train=n_train, n_test=n_test,
                        log=lambda *_: None)
    return str(folder)


QUIET = ["log_config.interval=1", "log_config.visiual_interval=100000",
         "snapshot_config.interval=100000", "validate.interval=-1"]


def pix2pix_overrides(data, iters=2):
    """The pix2pix demo recipe at 32 px with 8-filter nets (a 5-level U-Net reaches 1x1)."""
    return [f"dataset.train.dataroot={data}/train", f"dataset.test.dataroot={data}/test",
            "model.generator.num_downs=5", "model.generator.ngf=8",
            "model.discriminator.ndf=8", "model.discriminator.n_layers=2",
            f"model.image_shape=[3,{SIZE},{SIZE}]", f"total_iters={iters}"] + QUIET


def cyclegan_overrides(data, iters=2):
    """The CycleGAN demo recipe at 32 px: 8-filter generators of one residual block."""
    return [f"dataset.train.dataroot_a={data}/trainA", f"dataset.train.dataroot_b={data}/trainB",
            f"dataset.test.dataroot_a={data}/testA", f"dataset.test.dataroot_b={data}/testB",
            "model.generator.ngf=8", "model.generator.n_blocks=1",
            "model.discriminator.ndf=8", "model.discriminator.n_layers=2",
            f"model.image_shape=[3,{SIZE},{SIZE}]", f"total_iters={iters}"] + QUIET


def make_trainer(config, overrides, run_dir, **kwargs):
    cfg = validate_config(load_config(config, list(overrides)))
    return Trainer(cfg, str(run_dir), **kwargs)


def loss_records(run_dir, key):
    """{iteration: log record} of the records that hold ``key``."""
    return {r["iter"]: r for r in read_jsonl(os.path.join(str(run_dir), "log.jsonl"))
            if key in r}


def outputs_on_test_set(trainer, keys):
    """``keys`` visual items of the model over the whole test set, as numpy arrays."""
    model = trainer.model
    model.setup_train_mode(False)
    out = {k: [] for k in keys}
    for batch in build_dataloader(dict(trainer.cfg.dataset.test), is_train=False):
        model.setup_input(batch)
        model.test_iter()
        for k in keys:
            out[k].append(model.get_current_visuals()[k].numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


class ColourFeatures:
    """Stands in for InceptionV3 in FID tests: per-image channel means and standard
    deviations (6-d), which separate a blue-toned set from its photos."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, images):
        images = np.asarray(images, dtype=np.float64)
        return np.concatenate([images.mean(axis=(2, 3)), images.std(axis=(2, 3))], axis=1)
