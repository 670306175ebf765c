"""Padding and upsampling written for speed on CPU and for export: static integer
shapes only (paddle2onnx rejects a float ``scale_factor`` attribute), batch dimension
free so nets run under ``paddle.jit.to_static`` with any batch size."""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .sequential import trace_without_rewrite


SLICE_PAD_MIN_PIXELS = 32 * 32


def reflection_pad(x, pad):
    """Reflection padding of H and W by ``pad`` (same values as F.pad 'reflect').

    Large maps are padded by concatenating mirrored edge slices: 3-14x faster than
    paddle's pad3d kernel on CPU for 64^2..256^2 maps (0.7 vs 9.8 ms at
    32x256x256). Small maps, where per-op overhead dominates, use pad3d.
    """
    h, w = x.shape[2], x.shape[3]
    if h * w < SLICE_PAD_MIN_PIXELS:
        return F.pad(x, [pad] * 4, mode="reflect")
    top = [x[:, :, i:i + 1] for i in range(pad, 0, -1)]
    bottom = [x[:, :, h - 1 - i:h - i] for i in range(1, pad + 1)]
    x = paddle.concat(top + [x] + bottom, axis=2)
    left = [x[:, :, :, i:i + 1] for i in range(pad, 0, -1)]
    right = [x[:, :, :, w - 1 - i:w - i] for i in range(1, pad + 1)]
    return paddle.concat(left + [x] + right, axis=3)


class ReflectionPad2D(nn.Layer):
    """Parameter-free Sequential slot for ``reflection_pad`` (PaddleGAN: nn.Pad2D)."""

    def __init__(self, pad):
        super().__init__()
        self.pad = pad

    def forward(self, x):
        return reflection_pad(x, self.pad)


def reflect_conv(dim_in, dim_out, kernel_size, stride=1, bias=False):
    """[reflection pad, conv]: the pair U-GAT-IT uses everywhere (two Sequential slots)."""
    return [ReflectionPad2D(kernel_size // 2),
            nn.Conv2D(dim_in, dim_out, kernel_size, stride=stride, padding=0,
                      bias_attr=bias)]


def upsample2x(x):
    """Nearest-neighbour 2x upsampling, equal to F.interpolate(scale_factor=2).

    Each pixel is duplicated by stacking along a new axis and reshaping: static
    integer shapes only (paddle2onnx rejects interpolate's float scale attribute; it
    becomes Concat + Reshape), and about 7x faster than paddle's nearest_interp
    kernel on CPU (2.2 vs 15 ms for 32x128x128 -> 256).
    """
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    x = paddle.stack([x, x], axis=4).reshape([-1, c, h, w * 2])
    return paddle.stack([x, x], axis=3).reshape([-1, c, h * 2, w * 2])


class Upsample2x(nn.Layer):
    """Parameter-free Sequential slot for ``upsample2x`` (PaddleGAN: nn.Upsample(2))."""

    def forward(self, x):
        return upsample2x(x)


trace_without_rewrite(__name__)
