import gzip
import os
import struct

import numpy as np
import paddle
import pytest

from ppgan_lite.datasets import build_dataloader, build_dataset
from ppgan_lite.utils.errors import ConfigError, DataError


def test_lfw_faces_shape_range_and_content():
    from skimage.data import lfw_subset

    ds = build_dataset({"name": "LFWFacesDataset"})
    assert len(ds) == 100
    item = ds[7]
    assert item["A"].shape == (3, 64, 64) and item["A"].dtype == np.float32
    assert item["A_path"] == "lfw_subset/7"
    assert -1.0 <= item["A"].min() and item["A"].max() <= 1.0
    np.testing.assert_array_equal(item["A"][0], item["A"][2])  # gray replicated
    # the same face, upscaled: the mean brightness is kept
    assert abs((item["A"].mean() + 1) / 2 - lfw_subset()[7].mean()) < 0.02
    small = build_dataset({"name": "LFWFacesDataset", "size": 32, "channels": 1})
    assert small[0]["A"].shape == (1, 32, 32)


def test_lfw_flip_and_loader():
    flip = build_dataset({"name": "LFWFacesDataset", "size": 16, "random_flip": True})
    plain = build_dataset({"name": "LFWFacesDataset", "size": 16})
    flipped = [np.array_equal(flip[(0, i)]["A"], plain[i]["A"][:, :, ::-1])
               for i in range(20)]
    assert 3 <= sum(flipped) <= 17  # about half, from the per-sample rng
    loader = build_dataloader({"name": "LFWFacesDataset", "size": 16, "batch_size": 32},
                              is_train=True)
    assert len(loader) == 3
    assert list(next(iter(loader))["A"].shape) == [32, 3, 16, 16]


def write_idx(folder, count, prefix="train", seed=0):
    """Tiny MNIST-format files: image i is filled with value i % 256; labels i % 10."""
    os.makedirs(folder, exist_ok=True)
    images = np.repeat(np.arange(count, dtype=np.uint8)[:, None, None], 28, 1).repeat(28, 2)
    images[:, 0, 0] = 255  # one bright pixel so the range is visible
    image_path = os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz")
    label_path = os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz")
    with gzip.open(image_path, "wb") as f:
        f.write(struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes())
    with gzip.open(label_path, "wb") as f:
        f.write(struct.pack(">II", 2049, count) + (np.arange(count) % 10).astype(np.uint8).tobytes())
    return image_path, label_path


def test_mnist_from_local_idx_files(tmp_path):
    image_path, label_path = write_idx(str(tmp_path), 100)
    cfg = {"name": "MNISTDataset", "image_path": image_path, "label_path": label_path}
    ds = build_dataset(cfg)
    assert len(ds) == 100
    item = ds[37]
    assert item["A"].shape == (1, 32, 32) and item["label"] == 7
    assert item["A_path"] == "mnist/37"
    np.testing.assert_allclose(item["A"][0, 16, 16], 37 / 127.5 - 1, atol=1e-6)
    assert item["A"].max() <= 1.0 and item["A"].min() >= -1.0
    batch = next(iter(build_dataloader(dict(cfg, batch_size=10, size=64), is_train=False)))
    assert list(batch["A"].shape) == [10, 1, 64, 64]
    assert batch["label"].dtype == paddle.int64
    assert batch["label"].numpy().tolist() == list(range(10))
    fashion = build_dataset(dict(cfg, kind="fashion", channels=3))
    assert fashion[0]["A"].shape == (3, 32, 32) and fashion[0]["A_path"] == "fashion-mnist/0"


def test_mnist_found_in_data_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_idx(os.path.join("data", "mnist"), 200, prefix="t10k")
    ds = build_dataset({"name": "MNISTDataset", "mode": "test"})
    assert len(ds) == 200 and ds[13]["label"] == 3


def test_mnist_offline_error_names_files_and_never_downloads(tmp_path, monkeypatch):
    import paddle.dataset.common as common

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(common, "DATA_HOME", str(tmp_path / "cache"))

    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(common, "download", no_download)
    monkeypatch.setattr(common, "_check_exists_and_download", no_download)
    with pytest.raises(DataError) as err:
        build_dataloader({"name": "MNISTDataset"}, is_train=True)
    message = str(err.value)
    assert message.startswith("dataset.train: mnist train files not found")
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert os.path.join("data", "mnist", "train-images-idx3-ubyte.gz") in message
    assert "https://" in message and "\n" not in message
    with pytest.raises(DataError, match="fashion-mnist test files not found"):
        build_dataset({"name": "MNISTDataset", "kind": "fashion", "mode": "test"})


def test_mnist_bad_files_and_arguments(tmp_path):
    image_path, label_path = write_idx(str(tmp_path), 150)
    with pytest.raises(DataError, match="multiple of 100"):
        build_dataset({"name": "MNISTDataset", "image_path": image_path, "label_path": label_path})
    with pytest.raises(DataError, match="not an idx image file"):
        build_dataset({"name": "MNISTDataset", "image_path": label_path, "label_path": label_path})
    junk = tmp_path / "junk.gz"
    junk.write_bytes(b"not gzip")
    with pytest.raises(DataError, match="not a gzipped idx file"):
        build_dataset({"name": "MNISTDataset", "image_path": str(junk), "label_path": label_path})
    with pytest.raises(ConfigError, match="kind"):
        build_dataset({"name": "MNISTDataset", "kind": "kmnist"})
