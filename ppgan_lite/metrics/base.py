"""The metric contract and the one place images are read into a known form.

The trainer calls ``reset()`` before a validation pass and ``accumulate()`` after
it; models call ``update_visuals(self.visual_items)`` on every test batch. A metric
picks ``visual_items[pred_key]`` (and ``[gt_key]``) and calls ``update(preds, gts)``,
which also takes numpy arrays, so every metric works outside training too.

Images arrive as NCHW paddle tensors in [-1, 1] from models, and as NCHW or NHWC
numpy arrays, uint8 or float, gray or RGB from everyone else. ``as_nhwc_255``
turns all of those into one form (float64 NHWC in [0, 255]) and rejects the rest
with a one-line error that names the shape or range it got and what it expected.
"""

import numpy as np

from ..utils.errors import ConfigError, DataError

# A float image may overshoot its declared range by this fraction of the span (a
# bilinear resize of a tanh output can); beyond that the range is probably wrong.
RANGE_TOLERANCE = 0.01


def check_input_range(input_range, owner="metric"):
    """``input_range`` as a (low, high) pair of floats, or a ConfigError."""
    try:
        low, high = (float(v) for v in input_range)
    except (TypeError, ValueError):
        raise ConfigError(f"{owner}.input_range must be a pair like (-1, 1), (0, 1) or "
                          f"(0, 255), got {input_range!r}") from None
    if not low < high:
        raise ConfigError(f"{owner}.input_range {input_range!r} needs low < high, "
                          f"e.g. (-1, 1), (0, 1) or (0, 255)")
    return low, high


def to_numpy(images, name="images"):
    """A paddle tensor (detached) or array-like as a numpy array."""
    if hasattr(images, "numpy") and callable(images.numpy) and not isinstance(images, np.ndarray):
        if hasattr(images, "detach"):
            images = images.detach()
        return np.asarray(images.numpy())
    if isinstance(images, (np.ndarray, list, tuple)):
        try:
            return np.asarray(images)
        except ValueError:
            raise DataError(f"{name}: a list of images of different shapes; "
                            f"pass one NCHW/NHWC array per batch") from None
    raise DataError(f"{name} is a {type(images).__name__}: pass an NCHW paddle.Tensor "
                    f"or an NCHW/NHWC numpy array")


def _layout(shape, name, allow_single):
    """'NCHW' or 'NHWC' for a batch (or 'HW', 'CHW', 'HWC' for one image)."""
    expected = ("expected NCHW or NHWC with 1 or 3 channels"
                + (" (or one HxW, CxHxW or HxWxC image)" if allow_single else ""))
    if len(shape) == 4:
        if shape[1] in (1, 3):
            return "NCHW"
        if shape[3] in (1, 3):
            return "NHWC"
    elif allow_single and len(shape) == 3:
        if shape[0] in (1, 3) and shape[2] not in (1, 3):
            return "CHW"
        if shape[2] in (1, 3):
            return "HWC"
    elif allow_single and len(shape) == 2:
        return "HW"
    raise DataError(f"{name} has shape {list(shape)}: {expected}")


def as_nhwc_255(images, input_range=(-1.0, 1.0), name="images", allow_single=False):
    """float64 NHWC images in [0, 255] from a tensor or array (see module docstring).

    uint8 arrays are taken as [0, 255] whatever ``input_range`` says (their dtype
    says it); other dtypes are mapped from ``input_range`` and clipped to it, after
    checking they really lie in it (a [0, 255] float batch declared (-1, 1) would
    otherwise clip to a white image and give a plausible, wrong number).
    """
    array = to_numpy(images, name)
    layout = _layout(array.shape, name, allow_single)
    if min(array.shape[i] for i, axis in enumerate(layout) if axis in "HW") < 1 or (
            "N" in layout and array.shape[0] < 1):
        raise DataError(f"{name} has shape {list(array.shape)}: an empty batch or image")
    array = {"NCHW": lambda a: a.transpose(0, 2, 3, 1), "NHWC": lambda a: a,
             "CHW": lambda a: a.transpose(1, 2, 0)[None], "HWC": lambda a: a[None],
             "HW": lambda a: a[None, :, :, None]}[layout](array)
    if array.dtype == np.uint8:
        return array.astype(np.float64)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{name} has dtype {array.dtype}: expected uint8 or float images")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise DataError(f"{name} contains NaN or Inf: the generator diverged or the "
                        f"images were not decoded")
    low, high = input_range
    margin = RANGE_TOLERANCE * (high - low)
    found_low, found_high = float(array.min()), float(array.max())
    if found_low < low - margin or found_high > high + margin:
        raise DataError(
            f"{name} has values in [{found_low:.4g}, {found_high:.4g}] but input_range is "
            f"({low:g}, {high:g}): set the metric's input_range to the images' range "
            f"(uint8 arrays are always read as 0..255)")
    return (np.clip(array, low, high) - low) * (255.0 / (high - low))


def to_rgb(images_nhwc):
    """Gray images (C=1) repeated to three channels; RGB left alone."""
    return np.repeat(images_nhwc, 3, axis=3) if images_nhwc.shape[3] == 1 else images_nhwc


def check_same_shape(preds, gts, owner):
    if preds.shape != gts.shape:
        raise DataError(f"{owner}: predictions have shape {list(preds.shape)} and ground "
                        f"truth {list(gts.shape)} (as NHWC); they must match image for image")


class Metric:
    """Base class: see the module docstring for the call order.

    Args:
        pred_key: the ``visual_items`` entry holding the generated images.
        gt_key: the entry holding the reference images (the input photo, or a
            real-domain image); ignored by metrics that do not need one.
        input_range: the value range of float inputs, e.g. (-1, 1) (models'
            visual items), (0, 1) or (0, 255); uint8 arrays are always 0..255.
    """

    needs_gt = True  # whether update() must receive ground-truth images

    def __init__(self, pred_key="fake", gt_key="real", input_range=(-1, 1)):
        name = type(self).__name__
        for key, value in (("pred_key", pred_key), ("gt_key", gt_key)):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{name}.{key} must be the name of a visual item, got {value!r}")
        self.pred_key, self.gt_key = pred_key, gt_key
        self.input_range = check_input_range(input_range, name)
        self.reset()

    def reset(self):
        raise NotImplementedError

    def update(self, preds, gts=None):
        raise NotImplementedError

    def accumulate(self):
        raise NotImplementedError

    def wants_gt(self):
        """Whether the next update needs ground truth (metrics with cached real
        statistics stop needing it once the cache is there)."""
        return self.needs_gt

    def update_visuals(self, visual_items):
        name = type(self).__name__
        keys = ", ".join(visual_items) or "none"
        if self.pred_key not in visual_items:
            raise ConfigError(f"{name}.pred_key '{self.pred_key}' is not a visual item of this "
                              f"model (it has: {keys}); set pred_key in validate.metrics")
        gts = None
        if self.wants_gt():
            if self.gt_key not in visual_items:
                raise ConfigError(f"{name}.gt_key '{self.gt_key}' is not a visual item of this "
                                  f"model (it has: {keys}); set gt_key in validate.metrics")
            gts = visual_items[self.gt_key]
        self.update(visual_items[self.pred_key], gts)

    def _images(self, images, what):
        return as_nhwc_255(images, self.input_range, f"{type(self).__name__} {what}")

    def _require_gts(self, gts):
        if gts is None:
            raise DataError(f"{type(self).__name__}.update needs ground-truth images: "
                            f"call update(preds, gts)")

    def __repr__(self):
        return (f"{type(self).__name__}(pred_key='{self.pred_key}', gt_key='{self.gt_key}', "
                f"input_range={self.input_range})")
