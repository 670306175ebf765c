"""Are a generator's samples readable digits? A small CNN trained on rendered digits
(``DigitsDataset`` with another seed than training data) reads them: the share it
reads confidently and how those spread over the ten classes.

    python tests/models/digits_judge.py --weights output_dir/<run>/checkpoints/iter_00003000.ckpt.npz

prints, for real held-out digits, for the checkpoint's gen_ema samples and for the
same model untrained: confident share (max softmax >= 0.9) and per-class counts.
Not collected by pytest (the learning test uses simpler statistics, see
test_styleganv2_learns.py); the figures in docs/models/stylegan2.md come from here.
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import ppgan_lite  # noqa: E402,F401  (CPU settings before paddle loads)
import paddle  # noqa: E402
import paddle.nn as nn  # noqa: E402
import paddle.nn.functional as F  # noqa: E402

CONFIDENT = 0.9


class DigitNet(nn.Layer):
    """32 x 32 gray in [-1, 1] -> 10 logits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2D(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
            nn.Conv2D(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
            nn.Conv2D(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2))
        self.head = nn.Linear(64 * 16, 10)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def digits(seed, per_class, size=32):
    from ppgan_lite.datasets.digits import DigitsDataset

    data = DigitsDataset(size=size, per_class=per_class, seed=seed)
    x = data.images[..., 0].astype("float32") / 127.5 - 1.0
    return x[:, None], data.labels


def train_judge(seed=11, per_class=600, epochs=4):
    """The classifier and its accuracy on held-out digits (another seed)."""
    paddle.seed(seed)
    x, y = digits(seed, per_class)
    net = DigitNet()
    opt = paddle.optimizer.Adam(learning_rate=1e-3, parameters=net.parameters())
    rng = np.random.RandomState(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            shift = rng.randint(-2, 3, 2)  # a little translation: samples are not centred
            batch = np.roll(x[idx], tuple(shift), axis=(2, 3))
            loss = F.cross_entropy(net(paddle.to_tensor(batch)), paddle.to_tensor(y[idx]))
            loss.backward()
            opt.step()
            opt.clear_grad()
    net.eval()
    held_x, held_y = digits(seed + 1, 100)
    accuracy = float((predict(net, held_x).argmax(1) == held_y).mean())
    return net, accuracy


def predict(net, images):
    """Softmax over the classes of images (N, 1 or 3, 32, 32) in [-1, 1]."""
    images = np.asarray(images, "float32")
    if images.shape[1] == 3:
        images = images.mean(1, keepdims=True)
    with paddle.no_grad():
        return np.concatenate([F.softmax(net(paddle.to_tensor(images[i:i + 256]))).numpy()
                               for i in range(0, len(images), 256)])


def judge(net, images):
    """{'confident': share with max prob >= 0.9, 'classes': counts of those per class}."""
    probs = predict(net, images)
    sure = probs.max(1) >= CONFIDENT
    counts = np.bincount(probs.argmax(1)[sure], minlength=10)
    return {"confident": round(float(sure.mean()), 3), "classes": counts.tolist()}


def main(argv=None):
    from ppgan_lite import register_all
    from ppgan_lite.utils.checkpoint import load_state, place_weights
    from ppgan_lite.utils.config import to_attr_dict
    from ppgan_lite.utils.registry import MODELS, build

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", required=True, help="a StyleGAN2 (or DCGAN) checkpoint")
    p.add_argument("--num", type=int, default=1000)
    args = p.parse_args(argv)
    net, accuracy = train_judge()
    print(f"judge accuracy on held-out rendered digits: {accuracy:.3f}")
    real, _ = digits(99, args.num // 10)
    print(f"real digits: {judge(net, real)}")
    register_all()
    state = load_state(args.weights)
    cfg = to_attr_dict(state["config"])
    paddle.seed(0)
    model = build(cfg.model, MODELS)
    print(f"untrained {cfg.model.name}: {judge(net, model.sample(args.num, seed=1).numpy())}")
    for name, params in state["nets"].items():
        place_weights(model.nets[name], params, args.weights, name)
    print(f"{os.path.basename(args.weights)}: "
          f"{judge(net, model.sample(args.num, seed=1).numpy())}")


if __name__ == "__main__":
    main()
