"""StyleGAN2 learns, not just runs: a short run of the MNIST recipe's settings on rendered
digits (16 px, tiny widths) moves gen_ema's samples from the initial net's coloured
blobs towards the data's white strokes on black, measured by simple statistics. The
full 3,000-iteration recipe and its digit classifier: docs/models/stylegan2.md."""
import os

import numpy as np

from ppgan_lite import register_all
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils.config import load_config, to_attr_dict, validate_config

register_all()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ITERS = 300  # the recipe's WGAN-GP critic moves G slower at first than a logistic D


def recipe(iters):
    """configs/styleganv2_mnist32.yaml's settings at 16 px on 200 rendered digits."""
    cfg = load_config(os.path.join(ROOT, "configs", "styleganv2_mnist32.yaml"))
    model = dict(cfg.model)
    widths = {4: 32, 8: 16, 16: 8}
    model["generator"] = dict(model["generator"], size=16, style_dim=32, channels=widths)
    model["discriminator"] = dict(model["discriminator"], size=16, channels=widths)
    return validate_config(to_attr_dict({
        **{k: v for k, v in cfg.items() if k not in ("dataset", "model")},
        "model": model, "total_iters": iters,
        "dataset": {"train": {"name": "DigitsDataset", "size": 16, "channels": 3,
                              "per_class": 20, "batch_size": 8}},
        "log_config": {"interval": 10, "visiual_interval": 10 ** 6},
        "snapshot_config": {"interval": 10 ** 6},
    }))


def statistics(images):
    """(colour: mean spread of R, G, B around their mean; brightness: mean value;
    dark: share of pixels below -0.5), for NCHW images in [-1, 1]."""
    x = np.asarray(images, "float32")
    if x.shape[1] == 1:
        x = np.repeat(x, 3, axis=1)
    colour = float(np.abs(x - x.mean(1, keepdims=True)).mean())
    return colour, float(x.mean()), float((x.mean(1) < -0.5).mean())


def test_a_short_run_moves_samples_towards_the_digits(tmp_path):
    trainer = Trainer(recipe(ITERS), str(tmp_path / "run"), seed=1)
    data = statistics(next(iter(trainer.train_loader))["A"].numpy())
    before = statistics(trainer.model.sample(64, seed=3).numpy())
    trainer.train()
    after = statistics(trainer.model.sample(64, seed=3).numpy())
    print(f"colour / brightness / dark share: data {np.round(data, 3)}, initial "
          f"{np.round(before, 3)}, after {ITERS} iterations {np.round(after, 3)}")
    assert data[0] < 1e-6 and data[2] > 0.6  # gray, mostly black
    assert after[0] < 0.5 * before[0]  # the colour is going
    for k in (1, 2):  # brightness and dark share at least half way to the data's
        assert abs(after[k] - data[k]) < 0.5 * abs(before[k] - data[k]), k
