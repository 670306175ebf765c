"""The dataset sections of PaddleGAN's pix2pix and CycleGAN configs (configs/, kept
verbatim) build and batch against tiny fake folders, only their data paths changed
(and num_workers 0: worker processes would cost more than these tests)."""
import os

import numpy as np
import pytest
import yaml

from ppgan_lite.datasets import build_dataloader

from datasets_testutils import make_images, make_pairs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dataset_section(name):
    with open(os.path.join(ROOT, "configs", name), encoding="utf-8") as f:
        return yaml.safe_load(f)["dataset"]


def loaders(section, roots):
    """(train, test) loaders with each ``dataroot*`` key of ``section`` set from ``roots``."""
    built = []
    for split in ("train", "test"):
        cfg = dict(section[split], num_workers=0)
        for key in [k for k in cfg if k.startswith("dataroot")]:
            cfg[key] = str(roots[(split, key)])
        built.append(build_dataloader(cfg, is_train=split == "train", seed=1))
    return built


@pytest.mark.parametrize("config, test_folder", [("pix2pix_facades.yaml", "test"),
                                                 ("pix2pix_cityscapes.yaml", "val")])
def test_pix2pix_configs_build_and_keep_pairs_aligned(tmp_path, config, test_folder):
    section = dataset_section(config)
    assert section["train"]["dataroot"].endswith("/train")
    assert section["test"]["dataroot"].endswith("/" + test_folder)
    make_pairs(tmp_path / "train", 2, height=24, half=24)
    make_pairs(tmp_path / test_folder, 1, height=24, half=24, seed=1)
    train, test = loaders(section, {("train", "dataroot"): tmp_path / "train",
                                    ("test", "dataroot"): tmp_path / test_folder})
    assert len(train) == 2 and len(test) == 1
    for loader in (train, test):
        batch = next(iter(loader))
        a, b = batch["A"].numpy(), batch["B"].numpy()
        assert a.shape == b.shape == (1, 3, 256, 256)  # Resize 286 + crop 256, or Resize 256
        assert -1.0 <= a.min() and a.max() <= 1.0 and a.std() > 0.1
        # B = 255 - A in the files: after paired resize, crop and flip still B = -A
        np.testing.assert_allclose(b, -a, atol=1.01 / 127.5)
        assert batch["A_path"] == batch["B_path"]


@pytest.mark.parametrize("config, folder", [("cyclegan_horse2zebra.yaml", "horse2zebra"),
                                            ("cyclegan_cityscapes.yaml", "cityscapes")])
def test_cyclegan_configs_build(tmp_path, config, folder):
    section = dataset_section(config)
    roots = {}
    for split in ("train", "test"):
        for side in ("a", "b"):
            key = f"dataroot_{side}"
            assert section[split][key] == f"data/{folder}/{split}{side.upper()}"
            roots[(split, key)] = tmp_path / f"{split}{side.upper()}"
            make_images(roots[(split, key)], 2 if side == "a" else 3, size=(30, 40),
                        seed=len(roots))
    train, test = loaders(section, roots)
    assert len(train) == len(test) == 3  # max(len A, len B)
    assert train.dataset.preprocess.steps[2].paired is False  # A and B crop apart
    for loader in (train, test):
        batch = next(iter(loader))
        for key in ("A", "B"):
            assert list(batch[key].shape) == [1, 3, 256, 256]
            values = batch[key].numpy()
            assert -1.0 <= values.min() and values.max() <= 1.0 and values.std() > 0.1
