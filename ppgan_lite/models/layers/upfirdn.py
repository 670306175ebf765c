"""upfirdn2d (upsample by zero insertion, FIR filter, downsample) and the Blur /
Upsample / Downsample layers of StyleGAN2 (Karras et al. 2020, appendix B), with
PaddleGAN's constructor arguments and buffer names (``ppgan/modules/upfirdn2d.py``).

Written with ordinary Paddle ops only (zero insertion by stack + reshape, pad or crop,
a single-channel conv2d with the flipped kernel on the [N*C, 1, H, W] view, stride for
down), so it runs under ``paddle.jit.save`` with a free batch dimension, converts with
paddle2onnx, and can be differentiated twice (path-length and R1 regularisation):
Paddle 3.3's depthwise conv2d has no CPU double-grad kernel, the [N*C, 1] view uses
the plain conv2d that has one.

A kernel given as a 1-D list (``[1, 3, 3, 1]``, all StyleGAN2 configs) is the outer
product of itself; the layers then filter each axis with the 1-D factor, 2 x 4 taps
instead of 16 (about 2x faster on CPU for 128 x 256^2 maps, same values to 1e-7).
"""
import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from .sequential import trace_without_rewrite


def check_blur_kernel(kernel, who):
    """The FIR taps as a float64 array (1-D or square 2-D); one line if unusable."""
    try:
        k = np.asarray(kernel, dtype="float64")
    except (TypeError, ValueError):
        k = None
    if (k is None or k.ndim not in (1, 2) or k.size == 0 or not np.isfinite(k).all()
            or (k.ndim == 2 and k.shape[0] != k.shape[1]) or abs(k.sum()) < 1e-12):
        raise ConfigError(f"{who} blur_kernel must be a list of numbers with a non-zero "
                          f"sum, e.g. [1, 3, 3, 1], got {kernel!r}")
    return k


def make_kernel(kernel):
    """2-D FIR kernel normalised to sum 1 (a 1-D list becomes its outer product)."""
    k = check_blur_kernel(kernel, "upfirdn2d")
    if k.ndim == 1:
        k = np.outer(k, k)
    return (k / k.sum()).astype("float32")


def _axis_factor(kernel, gain):
    """The 1-D taps whose outer product is make_kernel(kernel) * gain**2, or None."""
    k = np.asarray(kernel, dtype="float64")
    if k.ndim != 1:
        return None
    return (k / k.sum() * gain).astype("float32")


def insert_zeros(x, up, axis):
    """up - 1 zeros after every sample along H (axis 2) or W (axis 3) of NCHW x."""
    if up == 1:
        return x
    shape = list(x.shape)
    shape[0] = -1
    shape[axis] *= up
    zeros = paddle.zeros_like(x)
    return paddle.stack([x] + [zeros] * (up - 1), axis=axis + 1).reshape(shape)


def _crop(x, pad_h, pad_w):
    """Negative pads crop; returns x and the pads left to add (all >= 0)."""
    (h0, h1), (w0, w1) = pad_h, pad_w
    if min(h0, h1, w0, w1) < 0:
        x = x[:, :, max(-h0, 0):x.shape[2] - max(-h1, 0),
              max(-w0, 0):x.shape[3] - max(-w1, 0)]
    return x, [max(h0, 0), max(h1, 0), max(w0, 0), max(w1, 0)]


def _fir(x, taps, pad_h, pad_w, stride):
    """Correlate every channel of x (N, C, H, W) with ``taps`` (kh, kw, already
    flipped), after padding; conv2d on the (N*C, 1, H, W) view."""
    c = x.shape[1]
    x, pads = _crop(x, pad_h, pad_w)
    h, w = x.shape[2], x.shape[3]
    out = F.conv2d(x.reshape([-1, 1, h, w]), taps.reshape([1, 1] + list(taps.shape)),
                   stride=stride, padding=pads)
    return out.reshape([-1, c, out.shape[2], out.shape[3]])


def upfirdn2d(x, kernel, up=1, down=1, pad=(0, 0)):
    """PaddleGAN's ``upfirdn2d``: zero-insert by ``up``, pad (pad0, pad1) on both axes
    (negative crops), convolve with ``kernel`` (2-D tensor), keep every ``down``-th
    sample. Output side: (in * up + pad0 + pad1 - k) // down + 1."""
    x = insert_zeros(insert_zeros(x, up, 2), up, 3)
    return _fir(x, paddle.flip(kernel, [0, 1]), pad, pad, down)


def upfirdn2d_separable(x, taps, up=1, down=1, pad=(0, 0), flipped=False):
    """upfirdn2d with the kernel outer(taps, taps): one 1-D pass per axis."""
    if not flipped:
        taps = paddle.flip(taps, [0])
    x = _fir(insert_zeros(x, up, 3), taps.reshape([1, -1]), (0, 0), pad, [1, down])
    return _fir(insert_zeros(x, up, 2), taps.reshape([-1, 1]), pad, (0, 0), [down, 1])


class _FIRLayer(nn.Layer):
    """Holds the 2-D ``kernel`` buffer (PaddleGAN's name) and its 1-D factor."""

    def _set_kernel(self, kernel, gain, persistable, who):
        check_blur_kernel(kernel, who)
        dtype = paddle.get_default_dtype()  # float64 nets work too (gradient checks)
        self.register_buffer("kernel", paddle.to_tensor(make_kernel(kernel) * gain * gain,
                                                        dtype=dtype), persistable=persistable)
        taps = _axis_factor(kernel, gain)
        self.separable = taps is not None
        if self.separable:  # flipped once here; not saved (PaddleGAN's dicts hold ``kernel``)
            self.register_buffer("taps", paddle.to_tensor(taps[::-1].copy(), dtype=dtype),
                                 persistable=False)

    def _filter(self, x, up, down, pad):
        if self.separable:
            return upfirdn2d_separable(x, self.taps, up, down, pad, flipped=True)
        return upfirdn2d(x, self.kernel, up, down, pad)


class Upsample(_FIRLayer):
    """2x (``factor``) upsampling: zero insertion then the FIR kernel times factor^2,
    padded so the output is exactly factor x the input (PaddleGAN's
    Upfirdn2dUpsample; its ``kernel`` buffer is saved in the state dict)."""

    def __init__(self, kernel, factor=2):
        super().__init__()
        self.factor = factor
        self._set_kernel(kernel, factor, True, "Upsample")
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return self._filter(x, self.factor, 1, self.pad)


class Downsample(_FIRLayer):
    """FIR filter then keep every ``factor``-th sample (PaddleGAN's
    Upfirdn2dDownsample; ``kernel`` saved in the state dict)."""

    def __init__(self, kernel, factor=2):
        super().__init__()
        self.factor = factor
        self._set_kernel(kernel, 1, True, "Downsample")
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2, p // 2)

    def forward(self, x):
        return self._filter(x, 1, self.factor, self.pad)


class Blur(_FIRLayer):
    """FIR filter with explicit padding, the smoothing beside a strided or transposed
    conv. ``upsample_factor`` scales the kernel by its square (it follows a 2x
    transposed conv). PaddleGAN's Upfirdn2dBlur: ``kernel`` is not persistable."""

    def __init__(self, kernel, pad, upsample_factor=1):
        super().__init__()
        self._set_kernel(kernel, upsample_factor, False, "Blur")
        self.pad = tuple(pad)

    def forward(self, x):
        return self._filter(x, 1, 1, self.pad)


# PaddleGAN's names, for code written against ppgan.modules.upfirdn2d
Upfirdn2dUpsample, Upfirdn2dDownsample, Upfirdn2dBlur = Upsample, Downsample, Blur

trace_without_rewrite(__name__)
