"""Helpers of the translation tests: the model tests' tiny pix2pix and CycleGAN
recipes (32 px, 8-filter nets; tests/models/translation_model_testutils.py) on
small demo sets, trained for two iterations."""
import os
import sys

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))

import translation_model_testutils as recipes  # noqa: E402
from translation_model_testutils import (CONFIGS, QUIET, cyclegan_overrides,  # noqa: E402,F401
                                         make_trainer, pix2pix_overrides)


def paired_demo(folder):
    return recipes.paired_demo(folder, n_train=16, n_test=4)


def unpaired_demo(folder):
    return recipes.unpaired_demo(folder, n_train=16, n_test=4)


def train(config, overrides, run_dir):
    """Train ``configs/<config>`` with ``overrides`` into ``run_dir``; (trainer, its
    last checkpoint)."""
    from ppgan_lite.utils.checkpoint import list_checkpoints

    trainer = make_trainer(os.path.join(CONFIGS, config), overrides, run_dir)
    trainer.train()
    return trainer, str(list_checkpoints(os.path.join(str(run_dir), "checkpoints"))[-1])
