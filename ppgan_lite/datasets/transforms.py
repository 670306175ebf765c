"""The TRANSFORMS a ``Transforms`` preprocess step runs (PaddleGAN's YAML names).

A transform maps the list of one sample's images to a list. Two differences from
PaddleGAN, both on purpose:

- Random transforms draw from the ``rng`` passed in at call time, never from global
  state (see preprocess.py).
- With several images a random transform draws once and applies the same choice to
  every image of the sample (``paired``), which is what paired data needs;
  PaddleGAN's plain ``RandomCrop``/``RandomHorizontalFlip`` drew per image and it
  added ``PairedRandomCrop``/``PairedRandomHorizontalFlip`` for that (both names are
  accepted here). Unpaired data sets switch pairing off in their ``Transforms``
  steps, so A and B get independent draws as in PaddleGAN.

Transforms work on HxWxC (or HxW) numpy arrays until ``Transpose`` makes them CxHxW;
``keys`` (PaddleGAN's per-input dispatch, e.g. ``keys: [image, image]``) is accepted
and ignored.
"""
import numbers

import cv2
import numpy as np

from ..utils.errors import ConfigError, DataError
from ..utils.registry import TRANSFORMS

_INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "area": cv2.INTER_AREA,
    "bicubic": cv2.INTER_CUBIC,
    "lanczos": cv2.INTER_LANCZOS4,
}


class Transform:
    """A transform maps a list of images (one sample's) to a list; random ones
    draw their parameters once per call from ``rng`` (see ``draw``)."""

    def __call__(self, images, rng):
        params = self.draw(images[0], rng)
        return [self.apply(image, params) for image in images]

    def draw(self, image, rng):
        return None

    def apply(self, image, params):
        raise NotImplementedError


def _pair(value, name, owner):
    """An int or [h, w] -> (h, w) of positive ints, else ConfigError."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, numbers.Integral) and v > 0 for v in value)):
        raise ConfigError(f"{owner}.{name} must be a positive int or [height, width], "
                          f"got {value!r}")
    return int(value[0]), int(value[1])


def _check_prob(prob, owner):
    if not isinstance(prob, numbers.Real) or not 0.0 <= prob <= 1.0:
        raise ConfigError(f"{owner}.prob must be a number in [0, 1], got {prob!r}")
    return float(prob)


def _hw(image):
    chw = image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[2] not in (1, 3, 4)
    if image.ndim not in (2, 3) or chw:
        raise DataError(f"expected an HxW or HxWxC image, got shape {image.shape}; "
                        f"put spatial transforms before Transpose")
    return image.shape[0], image.shape[1]


@TRANSFORMS.register()
class Resize(Transform):
    """``size`` [h, w], or an int: the shorter side becomes ``size``, aspect kept
    (paddle.vision's rule, which PaddleGAN configs rely on)."""

    def __init__(self, size, interpolation="bilinear", keys=None):
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            if size <= 0:
                raise ConfigError(f"Resize.size must be positive, got {size}")
            self.size = int(size)
        else:
            self.size = _pair(size, "size", "Resize")
        if interpolation not in _INTERPOLATIONS:
            raise ConfigError(f"Resize.interpolation '{interpolation}' is not one of "
                              f"{', '.join(_INTERPOLATIONS)}")
        self.interpolation = _INTERPOLATIONS[interpolation]

    def target(self, h, w):
        if not isinstance(self.size, int):
            return self.size
        if h <= w:
            return self.size, max(1, int(self.size * w / h))
        return max(1, int(self.size * h / w)), self.size

    def apply(self, image, params):
        h, w = _hw(image)
        oh, ow = self.target(h, w)
        if (oh, ow) == (h, w):
            return image
        out = cv2.resize(np.ascontiguousarray(image), (ow, oh), interpolation=self.interpolation)
        return out[:, :, None] if image.ndim == 3 and out.ndim == 2 else out


def _pad(image, padding, fill, mode):
    left, top, right, bottom = padding
    if not any(padding):
        return image
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2)
    if mode == "constant":
        return np.pad(image, widths, mode="constant", constant_values=fill)
    return np.pad(image, widths, mode=mode)


@TRANSFORMS.register(aliases=("PairedRandomCrop",))
class RandomCrop(Transform):
    """Crop ``size`` at a random place (after optional ``padding``; ``pad_if_needed``
    pads images smaller than ``size`` instead of failing)."""

    _MODES = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant", keys=None):
        self.size = _pair(size, "size", "RandomCrop")
        if padding is None:
            padding = 0
        if isinstance(padding, numbers.Integral):
            padding = [padding] * 4
        elif isinstance(padding, (list, tuple)) and len(padding) == 2:
            padding = [padding[0], padding[1], padding[0], padding[1]]
        if not (isinstance(padding, (list, tuple)) and len(padding) == 4
                and all(isinstance(p, numbers.Integral) and p >= 0 for p in padding)):
            raise ConfigError(f"RandomCrop.padding must be an int, [lr, tb] or "
                              f"[left, top, right, bottom], got {padding!r}")
        if padding_mode not in self._MODES:
            raise ConfigError(f"RandomCrop.padding_mode '{padding_mode}' is not one of "
                              f"{', '.join(self._MODES)}")
        self.padding = tuple(int(p) for p in padding)
        self.pad_if_needed = bool(pad_if_needed)
        self.fill = fill
        self.padding_mode = padding_mode

    def _padding_for(self, h, w):
        left, top, right, bottom = self.padding
        th, tw = self.size
        if self.pad_if_needed:
            extra_h = max(0, th - (h + top + bottom))
            extra_w = max(0, tw - (w + left + right))
            top, bottom = top + extra_h // 2, bottom + extra_h - extra_h // 2
            left, right = left + extra_w // 2, right + extra_w - extra_w // 2
        return left, top, right, bottom

    def draw(self, image, rng):
        h, w = _hw(image)
        left, top, right, bottom = self._padding_for(h, w)
        h, w = h + top + bottom, w + left + right
        th, tw = self.size
        if h < th or w < tw:
            raise DataError(f"RandomCrop: image of {h}x{w} is smaller than the crop "
                            f"{th}x{tw}; add a Resize before it or set pad_if_needed: true")
        return int(rng.integers(0, h - th + 1)), int(rng.integers(0, w - tw + 1))

    def apply(self, image, params):
        h, w = _hw(image)
        image = _pad(image, self._padding_for(h, w), self.fill, self.padding_mode)
        y, x = params
        th, tw = self.size
        if y + th > image.shape[0] or x + tw > image.shape[1]:
            raise DataError(f"RandomCrop: the images of one sample differ in size "
                            f"({image.shape[:2]}); paired crops need equal sizes")
        return image[y:y + th, x:x + tw]


@TRANSFORMS.register()
class CenterCrop(Transform):
    def __init__(self, size, keys=None):
        self.size = _pair(size, "size", "CenterCrop")

    def apply(self, image, params):
        h, w = _hw(image)
        th, tw = self.size
        if h < th or w < tw:
            raise DataError(f"CenterCrop: image of {h}x{w} is smaller than the crop "
                            f"{th}x{tw}; add a Resize before it")
        y, x = (h - th) // 2, (w - tw) // 2
        return image[y:y + th, x:x + tw]


@TRANSFORMS.register(aliases=("PairedRandomHorizontalFlip",))
class RandomHorizontalFlip(Transform):
    def __init__(self, prob=0.5, keys=None):
        self.prob = _check_prob(prob, type(self).__name__)

    def draw(self, image, rng):
        return bool(rng.random() < self.prob)

    def apply(self, image, flip):
        _hw(image)
        return np.ascontiguousarray(image[:, ::-1]) if flip else image


@TRANSFORMS.register(aliases=("PairedRandomVerticalFlip",))
class RandomVerticalFlip(RandomHorizontalFlip):
    def apply(self, image, flip):
        _hw(image)
        return np.ascontiguousarray(image[::-1]) if flip else image


@TRANSFORMS.register()
class Grayscale(Transform):
    """RGB -> luma (BT.601), ``num_output_channels`` 1 or 3."""

    def __init__(self, num_output_channels=1, keys=None):
        if num_output_channels not in (1, 3):
            raise ConfigError(f"Grayscale.num_output_channels must be 1 or 3, "
                              f"got {num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def apply(self, image, params):
        _hw(image)
        if image.ndim == 3 and image.shape[2] == 3:
            luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
            image = np.rint(luma).astype(image.dtype) if image.dtype == np.uint8 else luma
        gray = image if image.ndim == 2 else image[:, :, 0]
        return np.repeat(gray[:, :, None], self.num_output_channels, axis=2)


@TRANSFORMS.register()
class Transpose(Transform):
    """HWC -> CHW (``order``); an HxW image gets a channel axis first."""

    def __init__(self, order=(2, 0, 1), keys=None):
        if sorted(order) != [0, 1, 2]:
            raise ConfigError(f"Transpose.order must be a permutation of [0, 1, 2], got {order!r}")
        self.order = tuple(order)

    def apply(self, image, params):
        if image.ndim == 2:
            image = image[:, :, None]
        return np.ascontiguousarray(image.transpose(self.order))


@TRANSFORMS.register()
class Normalize(Transform):
    """``(image - mean) / std`` as float32 over the channel axis of ``data_format``.

    A 1-channel image with a 3-value mean/std uses the first value, so PaddleGAN's
    RGB configs also serve gray data sets (MNIST)."""

    def __init__(self, mean=0.0, std=1.0, data_format="CHW", to_rgb=False, keys=None):
        self.mean = np.atleast_1d(np.asarray(mean, np.float32))
        self.std = np.atleast_1d(np.asarray(std, np.float32))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ConfigError("Normalize.mean and std must be numbers or lists of numbers")
        if np.any(self.std == 0):
            raise ConfigError(f"Normalize.std must not contain 0, got {std!r}")
        if data_format not in ("CHW", "HWC"):
            raise ConfigError(f"Normalize.data_format must be 'CHW' or 'HWC', got {data_format!r}")
        self.data_format = data_format
        self.to_rgb = bool(to_rgb)

    def _per_channel(self, values, channels):
        if len(values) == channels or len(values) == 1:
            return values
        if channels == 1:
            return values[:1]
        raise DataError(f"Normalize: {len(values)} mean/std values for an image with "
                        f"{channels} channels along {self.data_format}'s C axis; if the "
                        f"image is HWC, put Transpose before Normalize or set data_format: HWC")

    def apply(self, image, params):
        if image.ndim == 2:
            image = image[None] if self.data_format == "CHW" else image[:, :, None]
        axis = 0 if self.data_format == "CHW" else 2
        channels = image.shape[axis]
        if self.to_rgb and channels == 3:
            image = np.flip(image, axis=axis)
        shape = (-1, 1, 1) if axis == 0 else (1, 1, -1)
        mean = self._per_channel(self.mean, channels).reshape(shape)
        std = self._per_channel(self.std, channels).reshape(shape)
        return ((image.astype(np.float32) - mean) / std).astype(np.float32)
