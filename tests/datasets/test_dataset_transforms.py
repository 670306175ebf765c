import numpy as np
import pytest
import yaml

from ppgan_lite.datasets import build_dataloader, build_dataset
from ppgan_lite.datasets.preprocess import build_preprocess
from ppgan_lite.utils.errors import ConfigError, DataError

from datasets_testutils import make_images
from paddlegan_configs import DCGAN_MNIST, UGATIT_PHOTO2CARTOON, with_data



def paddlegan_dataset(text, root):
    """The dataset section of a PaddleGAN config file, its data folder at ``root``."""
    return yaml.safe_load(with_data(text, root))["dataset"]



def _digit_like_pngs(folder, count):
    """Gray 28x28 images holding both 0 and 255, as MNIST exports do."""
    paths = make_images(folder, count, size=(28, 28), gray=True)
    return paths


def test_dcgan_mnist_config_with_transfroms_typo(tmp_path):
    _digit_like_pngs(tmp_path / "mnist" / "train", 5)
    cfg = paddlegan_dataset(DCGAN_MNIST, tmp_path / "mnist")["train"]
    cfg["batch_size"] = 4
    loader = build_dataloader(cfg, is_train=True)
    assert len(loader) == 1  # 5 samples, batch 4, drop_last when training
    batch = next(iter(loader))
    assert list(batch["A"].shape) == [4, 3, 64, 64]
    assert str(batch["A"].dtype) == "paddle.float32"
    a = batch["A"].numpy()
    assert -1.0 <= a.min() < -0.95 and 0.95 < a.max() <= 1.0
    np.testing.assert_array_equal(a[:, 0], a[:, 2])  # gray replicated
    assert len(batch["A_path"]) == 4 and batch["A_path"][0].endswith(".png")


def test_dcgan_mnist_config_gray_with_flag_zero(tmp_path):
    _digit_like_pngs(tmp_path / "mnist" / "train", 4)
    cfg = paddlegan_dataset(DCGAN_MNIST, tmp_path / "mnist")["train"]
    cfg["batch_size"] = 4
    cfg["preprocess"][0]["flag"] = 0  # cv2's IMREAD_GRAYSCALE
    batch = next(iter(build_dataloader(cfg, is_train=True)))
    # one channel; Normalize's 3-value mean/std fall back to their first value
    assert list(batch["A"].shape) == [4, 1, 64, 64]
    assert batch["A"].numpy().min() >= -1.0 and batch["A"].numpy().max() <= 1.0


def test_photo2cartoon_unpaired_config(tmp_path):
    for split, n_a, n_b in (("train", 3, 2), ("test", 2, 2)):
        make_images(tmp_path / f"{split}A", n_a, size=(120, 100), seed=1)
        make_images(tmp_path / f"{split}B", n_b, size=(90, 110), ext="jpg", seed=2)
    cfg = paddlegan_dataset(UGATIT_PHOTO2CARTOON, tmp_path)
    train = build_dataloader(cfg["train"], is_train=True)
    assert len(train) == 3  # max(len A, len B)
    batch = next(iter(train))
    for key in ("A", "B"):
        assert list(batch[key].shape) == [1, 3, 256, 256]
        values = batch[key].numpy()
        assert values.min() >= -1.0 and values.max() <= 1.0 and values.std() > 0.1
    test = build_dataloader(cfg["test"], is_train=False)
    paths = [(b["A_path"][0], b["B_path"][0]) for b in test]
    assert [p[0][-7:] for p in paths] == ["000.png", "001.png"]
    assert [p[1][-7:] for p in paths] == ["000.jpg", "001.jpg"]  # i % len B when testing


AUGMENT = [{"name": "RandomCrop", "size": [16, 16]},
           {"name": "RandomHorizontalFlip", "prob": 0.5},
           {"name": "Transpose"}]


def test_paired_keys_share_random_choices():
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    pre = build_preprocess([{"name": "Transforms", "input_keys": ["A", "B"],
                             "pipeline": AUGMENT}])
    for seed in range(6):
        out = pre({"A": image, "B": image.copy()}, np.random.default_rng(seed))
        np.testing.assert_array_equal(out["A"], out["B"])


def test_unpaired_keys_draw_independently():
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    pre = build_preprocess([{"name": "Transforms", "input_keys": ["A", "B"],
                             "pipeline": AUGMENT, "paired": False}])
    differ = [not np.array_equal(*(lambda o: (o["A"], o["B"]))(
        pre({"A": image, "B": image.copy()}, np.random.default_rng(seed))))
        for seed in range(6)]
    assert sum(differ) >= 5


def test_unpaired_dataset_switches_pairing_off(tmp_path):
    make_images(tmp_path / "a", 2, size=(40, 40))
    make_images(tmp_path / "b", 2, size=(40, 40))
    ds = build_dataset({"name": "UnpairedDataset", "dataroot_a": str(tmp_path / "a"),
                        "dataroot_b": str(tmp_path / "b"), "preprocess": [
                            {"name": "LoadImageFromFile", "key": "A"},
                            {"name": "LoadImageFromFile", "key": "B"},
                            {"name": "Transforms", "input_keys": ["A", "B"], "pipeline": AUGMENT}]})
    assert ds.preprocess.steps[2].paired is False


def test_random_transforms_use_only_the_given_rng():
    image = np.arange(20 * 20 * 3, dtype=np.uint8).reshape(20, 20, 3)
    pre = build_preprocess([{"name": "Transforms", "input_keys": ["A"], "pipeline": AUGMENT}])
    np.random.seed(123)
    expected_global = np.random.random()
    np.random.seed(123)
    first = pre({"A": image}, np.random.default_rng([7, 1, 3]))["A"]
    second = pre({"A": image}, np.random.default_rng([7, 1, 3]))["A"]
    assert np.random.random() == expected_global  # global state untouched
    np.testing.assert_array_equal(first, second)
    outputs = {pre({"A": image}, np.random.default_rng([7, 1, i]))["A"].tobytes()
               for i in range(8)}
    assert len(outputs) > 4  # different samples, different crops


def _run(pipeline, image, seed=0):
    pre = build_preprocess([{"name": "Transforms", "input_keys": ["A"], "pipeline": pipeline}])
    return pre({"A": image}, np.random.default_rng(seed))["A"]


def test_resize_crop_flip_normalize_values():
    image = np.zeros((40, 80, 3), np.uint8)
    assert _run([{"name": "Resize", "size": 20}], image).shape == (20, 40, 3)  # shorter side
    assert _run([{"name": "Resize", "size": [10, 30]}], image).shape == (10, 30, 3)
    ramp = np.tile(np.arange(8, dtype=np.uint8)[None, :, None], (4, 1, 1))
    flipped = _run([{"name": "RandomHorizontalFlip", "prob": 1.0}], ramp)
    assert flipped[0, :, 0].tolist() == list(range(7, -1, -1))
    centre = _run([{"name": "CenterCrop", "size": [2, 4]}], ramp)
    assert centre[:, :, 0].tolist() == [[2, 3, 4, 5]] * 2
    gray = np.full((2, 2, 1), 255, np.uint8)
    norm = _run([{"name": "Transpose"},
                 {"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3}], gray)
    assert norm.shape == (1, 2, 2) and norm.dtype == np.float32 and np.all(norm == 1.0)
    rgb = np.stack([np.full((2, 2), v, np.uint8) for v in (0, 100, 200)], axis=2)
    norm = _run([{"name": "Transpose"}, {"name": "Normalize", "mean": [0, 100, 100],
                                          "std": [1, 1, 50]}], rgb)
    assert norm[:, 0, 0].tolist() == [0.0, 0.0, 2.0]


def test_layout_mistakes_are_named():
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(DataError, match="before Transpose"):
        _run([{"name": "Transpose"}, {"name": "Resize", "size": 8}], image)
    with pytest.raises(DataError, match="put Transpose before Normalize"):
        _run([{"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3}], image)
    hwc = _run([{"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3,
                 "data_format": "HWC"}], image)
    assert hwc.shape == (16, 16, 3) and np.all(hwc == -1.0)


def test_random_crop_too_small_and_padding():
    image = np.ones((10, 10, 3), np.uint8)
    with pytest.raises(DataError, match="smaller than the crop"):
        _run([{"name": "RandomCrop", "size": 12}], image)
    padded = _run([{"name": "RandomCrop", "size": 12, "pad_if_needed": True}], image)
    assert padded.shape == (12, 12, 3) and padded.sum() == 10 * 10 * 3


def test_build_errors_are_config_errors(tmp_path):
    make_images(tmp_path / "x", 1)

    def dataset_with(pipeline):
        return {"name": "SingleDataset", "dataroot": str(tmp_path / "x"), "preprocess": [
            {"name": "LoadImageFromFile", "key": "A"},
            {"name": "Transforms", "input_keys": ["A"], "pipeline": pipeline}]}

    with pytest.raises(ConfigError, match=r"dataset\.train.*Did you mean 'RandomCrop'"):
        build_dataloader(dataset_with([{"name": "RandomCorp", "size": 4}]))
    with pytest.raises(ConfigError, match="Did you mean 'interpolation'"):
        build_dataloader(dataset_with([{"name": "Resize", "size": 4, "interpolaton": "bicubic"}]))
    with pytest.raises(ConfigError, match="interpolation 'cubic'"):
        build_dataloader(dataset_with([{"name": "Resize", "size": 4, "interpolation": "cubic"}]))
    with pytest.raises(ConfigError, match="RandomCrop"):
        build_dataloader(dataset_with([{"name": "RandomCrop"}]))  # size missing
    with pytest.raises(ConfigError, match="prob"):
        build_dataloader(dataset_with([{"name": "RandomHorizontalFlip", "prob": 2}]))
    with pytest.raises(ConfigError, match="std"):
        build_dataloader(dataset_with([{"name": "Normalize", "mean": 0, "std": [1, 0, 1]}]))
    with pytest.raises(ConfigError, match="unknown preprocess step 'LoadImage'"):
        build_dataset({"name": "SingleDataset", "dataroot": str(tmp_path / "x"),
                       "preprocess": [{"name": "LoadImage", "key": "A"}]})
