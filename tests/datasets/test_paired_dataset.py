"""PairedDataset and SplitPairedImage: PaddleGAN's A|B layout, halves kept aligned."""
import numpy as np
import pytest

from ppgan_lite.datasets import build_dataloader, build_dataset
from ppgan_lite.datasets.preprocess import SplitPairedImage, build_preprocess
from ppgan_lite.utils.errors import ConfigError, DataError

from datasets_testutils import make_pairs


def paired(root, **extra):
    return dict({"name": "PairedDataset", "dataroot": str(root)}, **extra)


def test_default_preprocess_splits_left_a_right_b(tmp_path):
    paths, halves = make_pairs(tmp_path / "train", 3, height=8, half=12)
    ds = build_dataset(paired(tmp_path / "train"))
    assert len(ds) == 3
    item = ds[1]
    assert item["pair_path"] == item["A_path"] == item["B_path"] == paths[1]
    assert "pair" not in item  # the whole image is not batched as a third one
    assert item["A"].shape == item["B"].shape == (3, 8, 12) and item["A"].dtype == np.float32
    expected = halves[1].transpose(2, 0, 1) / 127.5 - 1.0
    np.testing.assert_allclose(item["A"], expected, atol=1e-6)
    np.testing.assert_allclose(item["B"], -expected, atol=1e-6)
    make_pairs(tmp_path / "odd", 1, height=8, half=12, odd_column=True)  # 25 px wide
    item = build_dataset(paired(tmp_path / "odd"))[0]
    assert item["A"].shape == item["B"].shape == (3, 8, 12)
    np.testing.assert_allclose(item["B"], -item["A"], atol=1e-6)


def test_split_paired_image_halves_and_paths():
    image = np.arange(4 * 10 * 3, dtype=np.uint8).reshape(4, 10, 3)
    out = SplitPairedImage("pair", ["A", "B"])({"pair": image, "pair_path": "x.png"})
    np.testing.assert_array_equal(out["A"], image[:, :5])
    np.testing.assert_array_equal(out["B"], image[:, 5:])
    assert out["A_path"] == out["B_path"] == "x.png" and "pair" not in out
    odd = np.arange(4 * 11 * 3, dtype=np.uint8).reshape(4, 11, 3)
    out = SplitPairedImage("pair", ["real", "cond"])({"pair": odd})
    # PaddleGAN's B would be 6 wide; equal halves, the last column dropped
    assert out["real"].shape == out["cond"].shape == (4, 5, 3)
    np.testing.assert_array_equal(out["cond"], odd[:, 5:10])


def test_split_paired_image_errors():
    with pytest.raises(ConfigError, match="two different names"):
        SplitPairedImage("pair", ["A"])
    with pytest.raises(ConfigError, match="two different names"):
        SplitPairedImage("pair", ["A", "A"])
    with pytest.raises(ConfigError, match="needs 'pair' in the sample"):
        SplitPairedImage("pair")({"image": np.zeros((2, 4, 3), np.uint8)})
    with pytest.raises(DataError, match="not an A|B side-by-side"):
        SplitPairedImage("pair")({"pair": np.zeros((2, 1, 3), np.uint8)})


CROP_FLIP = [{"name": "Resize", "size": [40, 40], "interpolation": "bicubic",
              "keys": ["image", "image"]},
             {"name": "RandomCrop", "size": [24, 24], "keys": ["image", "image"]},
             {"name": "RandomHorizontalFlip", "prob": 0.5, "keys": ["image", "image"]},
             {"name": "RandomVerticalFlip", "prob": 0.5, "keys": ["image", "image"]},
             {"name": "Transpose", "keys": ["image", "image"]},
             {"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3,
              "keys": ["image", "image"]}]


@pytest.mark.parametrize("crop_names", [("RandomCrop", "RandomHorizontalFlip"),
                                        ("PairedRandomCrop", "PairedRandomHorizontalFlip")])
def test_random_crops_and_flips_keep_a_and_b_aligned(tmp_path, crop_names):
    """Whether the config says RandomCrop (CycleGAN's names) or PairedRandomCrop
    (pix2pix's), A and B of one sample get the same crop and flips."""
    make_pairs(tmp_path / "train", 2, height=32, half=32)
    pipeline = [dict(step) for step in CROP_FLIP]
    pipeline[1]["name"], pipeline[2]["name"] = crop_names
    preprocess = [{"name": "LoadImageFromFile", "key": "pair"},
                  {"name": "SplitPairedImage", "key": "pair", "paired_keys": ["A", "B"]},
                  {"name": "Transforms", "input_keys": ["A", "B"], "pipeline": pipeline}]
    loader = build_dataloader(paired(tmp_path / "train", preprocess=preprocess,
                                     batch_size=2), is_train=True, seed=5)
    crops = set()
    for epoch in range(6):
        batch = next(iter(loader))
        a, b = batch["A"].numpy(), batch["B"].numpy()
        assert a.shape == b.shape == (2, 3, 24, 24)
        # bicubic resizing of 255 - A is 255 - resize(A) up to uint8 rounding
        np.testing.assert_allclose(b, -a, atol=1.01 / 127.5)
        crops.add(a[0].tobytes())
    assert len(crops) >= 5  # and the crops really are random


def test_paired_dataset_max_size_and_errors(tmp_path):
    make_pairs(tmp_path / "train", 4)
    assert len(build_dataset(paired(tmp_path / "train", max_size=2))) == 2
    with pytest.raises(DataError, match=r"dataset\.train\.dataroot: directory .* does not exist"):
        build_dataloader(paired(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="PairedDataset needs dataroot"):
        build_dataset({"name": "PairedDataset"})


def test_keys_argument_of_paddlegan_pipelines_is_accepted():
    image = np.random.default_rng(0).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    keys = ["image", "image"]
    pipeline = [{"name": "Resize", "size": [16, 16], "keys": keys},
                {"name": "PairedRandomCrop", "size": [12, 12], "keys": keys},
                {"name": "CenterCrop", "size": 10, "keys": keys},
                {"name": "PairedRandomHorizontalFlip", "prob": 1.0, "keys": keys},
                {"name": "PairedRandomVerticalFlip", "prob": 0.0, "keys": keys},
                {"name": "Grayscale", "num_output_channels": 3, "keys": keys},
                {"name": "Transpose", "keys": keys},
                {"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3, "keys": keys}]
    pre = build_preprocess([{"name": "Transforms", "input_keys": ["A", "B"],
                             "pipeline": pipeline}])
    out = pre({"A": image, "B": image.copy()}, np.random.default_rng(0))
    assert out["A"].shape == (3, 10, 10)
    np.testing.assert_array_equal(out["A"], out["B"])
