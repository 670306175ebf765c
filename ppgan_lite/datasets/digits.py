"""Rendered digits: a labelled, always-available stand-in for MNIST.

Each image is a digit drawn with one of OpenCV's Hershey fonts at a random weight,
size, slant, rotation and position, white on black, then softened; the set is made
once, deterministically from ``seed``, in about a second. It lets the conditional
recipes (one class per digit) run and be judged with no download.
"""
import cv2
import numpy as np

from ..utils.errors import ConfigError
from ..utils.registry import DATASETS
from .base_dataset import BaseDataset
from .builtin import _check_channels, _check_size, _default_pipeline

FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
         cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)
CANVAS = 64


def render_digit(digit, rng, canvas=CANVAS):
    """One uint8 canvas x canvas image of ``digit``."""
    font = FONTS[rng.integers(len(FONTS))]
    thickness = int(rng.integers(3, 8))
    scale = cv2.getFontScaleFromHeight(font, int(canvas * rng.uniform(0.5, 0.7)), thickness)
    (w, h), _ = cv2.getTextSize(str(digit), font, scale, thickness)
    img = np.zeros((canvas, canvas), np.uint8)
    cv2.putText(img, str(digit), ((canvas - w) // 2, (canvas + h) // 2), font, scale, 255,
                thickness, cv2.LINE_AA)
    angle, shear = rng.uniform(-15, 15), rng.uniform(-0.25, 0.25)
    shift = rng.uniform(-0.08, 0.08, 2) * canvas
    m = cv2.getRotationMatrix2D((canvas / 2, canvas / 2), angle, rng.uniform(0.85, 1.1))
    m[0, 1] += shear
    m[:, 2] += shift - [shear * canvas / 2, 0]
    img = cv2.warpAffine(img, m, (canvas, canvas), flags=cv2.INTER_LINEAR, borderValue=0)
    return cv2.GaussianBlur(img, (3, 3), rng.uniform(0.3, 1.0))


@DATASETS.register()
class DigitsDataset(BaseDataset):
    """``per_class`` rendered images of each digit 0-9; item ``{'A', 'label',
    'A_path': 'digits/<i>'}``, ``classes`` = '0'..'9'."""

    def __init__(self, size=32, channels=1, per_class=500, seed=0, preprocess=None):
        super().__init__()
        _check_size(size)
        _check_channels(channels)
        if not isinstance(per_class, int) or per_class < 1:
            raise ConfigError(f"per_class must be a positive int, got {per_class!r}")
        rng = np.random.default_rng(seed)
        labels = np.repeat(np.arange(10), per_class)
        images = [cv2.resize(render_digit(int(d), rng), (size, size),
                             interpolation=cv2.INTER_AREA) for d in labels]
        self.images = np.repeat(np.stack(images)[..., None], channels, axis=3)
        self.labels = labels.astype(np.int64)
        self.classes = [str(d) for d in range(10)]
        self.setup_preprocess(preprocess if preprocess is not None else _default_pipeline())

    def __len__(self):
        return len(self.images)

    def sample(self, index, rng):
        return {"A": self.images[index], "label": int(self.labels[index]),
                "A_path": f"digits/{index}"}
