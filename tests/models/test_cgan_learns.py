"""Conditioning is learnt, not just run: on a data set where each class has an obvious
property, samples drawn for a label show that label's property."""
import os

import cv2
import numpy as np
import pytest

from ppgan_lite import register_all
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils.config import to_attr_dict, validate_config
from scripts import load_script

register_all()
SIZE = 16


def make_classes(root, per_class=40, seed=0):
    """class 0: red, class 1: blue, class 2: a bright grey square on black."""
    rng = np.random.default_rng(seed)
    for c, name in enumerate(["0_red", "1_blue", "2_square"]):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            if c < 2:
                img = rng.uniform(0, 0.25, (SIZE, SIZE, 3))
                img[..., 0 if c == 0 else 2] = rng.uniform(0.7, 1.0, (SIZE, SIZE))
            else:
                img = np.zeros((SIZE, SIZE, 3))
                x, y = rng.integers(0, SIZE - 8, 2)
                img[y:y + 8, x:x + 8] = rng.uniform(0.8, 1.0)
            rgb = (img * 255).astype(np.uint8)
            cv2.imwrite(os.path.join(root, name, f"{i:03d}.png"), rgb[..., ::-1])


def classify(images):
    """images NCHW in [-1, 1] -> 0 (red), 1 (blue), 2 (grey pattern)."""
    x = (images + 1) / 2
    r, b = x[:, 0].mean(axis=(1, 2)), x[:, 2].mean(axis=(1, 2))
    return np.where(np.abs(r - b) < 0.2, 2, np.where(r > b, 0, 1))


def config(root, model_name, iters, extra_gen=None, extra_dis=None):
    conditional = model_name == "CGANModel"
    gen = {"name": "ConditionalDCGenerator" if conditional else "DCGenerator",
           "input_nz": 16, "ngf": 16, "img_size": SIZE, "output_nc": 3, **(extra_gen or {})}
    dis = {"name": "ConditionalDCDiscriminator" if conditional else "DCDiscriminator",
           "input_nc": 3, "ndf": 16, "img_size": SIZE, **(extra_dis or {})}
    if not conditional:
        gen["input_nc"] = 3
        dis["norm_type"] = "batch"
    return to_attr_dict({
        "total_iters": iters, "output_dir": "unused",
        "model": {"name": model_name, "generator": gen, "discriminator": dis},
        "dataset": {"train": {"name": "ImageFolderDataset", "dataroot": root,
                              "labels_from_subfolders": True, "batch_size": 24}},
        "optimizer": {"optimizer_G": {"name": "Adam", "net_names": ["netG"], "beta1": 0.5},
                      "optimizer_D": {"name": "Adam", "net_names": ["netD"], "beta1": 0.5}},
        "lr_scheduler": {"name": "ConstantLR", "learning_rate": 0.001},
        "log_config": {"interval": 50, "visiual_interval": 10 ** 6},
        "snapshot_config": {"interval": 10 ** 6},
    })


def test_cgan_samples_follow_their_label(tmp_path):
    root = str(tmp_path / "data")
    make_classes(root)
    cfg = validate_config(config(root, "CGANModel", 150, {"num_classes": 3},
                                 {"num_classes": 3}))
    trainer = Trainer(cfg, str(tmp_path / "run"), seed=1)
    labels = np.repeat(np.arange(3), 20)
    inputs = trainer.model.sample_inputs(len(labels), seed=5, labels=labels)
    before = trainer.model.generate(inputs).numpy()
    trainer.train()
    after = trainer.model.generate(inputs).numpy()
    acc_before = (classify(before) == labels).mean()
    acc_after = (classify(after) == labels).mean()
    print(f"label accuracy before {acc_before:.2f}, after {acc_after:.2f}")
    assert acc_after >= 0.8 and acc_after > acc_before + 0.3  # chance is 1/3


def test_dcgan_samples_move_toward_the_data(tmp_path):
    root = str(tmp_path / "data")
    make_classes(root)
    for name in ("1_blue", "2_square"):  # an all-red data set
        for f in os.listdir(os.path.join(root, name)):
            os.remove(os.path.join(root, name, f))
        os.rmdir(os.path.join(root, name))
    cfg = validate_config(config(root, "DCGANModel", 150))
    trainer = Trainer(cfg, str(tmp_path / "run"), seed=1)

    def redness():
        x = (trainer.model.sample(32, seed=3).numpy() + 1) / 2
        return float((x[:, 0] - x[:, 2]).mean())

    start = redness()
    trainer.train()
    end = redness()
    print(f"red minus blue: {start:.3f} -> {end:.3f} (data: ~0.73)")
    assert abs(start) < 0.2 and end > 0.45


def test_label_errors_are_clear():
    from ppgan_lite.utils.errors import DataError
    from ppgan_lite.utils.registry import MODELS, build

    cfg = config("unused", "CGANModel", 1, {"num_classes": 3}, {"num_classes": 3}).model
    model = build(cfg, MODELS)
    with pytest.raises(DataError, match="outside the model's 3 classes"):
        model.label_vector(np.array([0, 5]))
    with pytest.raises(DataError, match="num_classes 3"):
        model.label_vector(np.zeros((2, 4), np.float32))
    import paddle
    with pytest.raises(DataError, match="labelled data"):
        model.setup_input({"A": paddle.zeros([2, 3, SIZE, SIZE])})


def test_generate_cli_draws_requested_classes(tmp_path, capsys):
    root = str(tmp_path / "data")
    make_classes(root, per_class=8)
    cfg = validate_config(config(root, "CGANModel", 2, {"num_classes": 3}, {"num_classes": 3}))
    weights = Trainer(cfg, str(tmp_path / "run"), seed=1).train()
    gen = load_script("applications/generate.py")
    out = tmp_path / "out"
    assert gen.main(["--weights", weights, "--output_dir", str(out), "--labels", "2,0_red,1",
                     "--interp_points", "2", "--interp_steps", "2"]) == 0
    assert sorted(os.listdir(out))[:3] == ["grid.png", "interpolation.gif", "sample_0000.png"]
    assert len([n for n in os.listdir(out) if n.startswith("sample_")]) == 3
    assert gen.main(["--weights", weights, "--output_dir", str(tmp_path / "grid"),
                     "--interp_points", "0", "--nrow", "4"]) == 0
    from ppgan_lite.utils.image_io import read_image
    grid = read_image(str(tmp_path / "grid" / "grid.png"))
    assert grid.shape[:2] == (3 * (SIZE + 2) + 2, 4 * (SIZE + 2) + 2)  # a row per class
    capsys.readouterr()
    assert gen.main(["--weights", weights, "--labels", "purple"]) == 2
    assert "unknown label 'purple'; use one of: 0_red, 1_blue, 2_square" in capsys.readouterr().err
