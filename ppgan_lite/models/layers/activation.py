"""Activations that survive export.

paddle2onnx 2.1 reads the ``negative_slope`` of Paddle 3's ``leaky_relu`` op (stored as
a float64 attribute) as a float32 and writes garbage into ONNX's LeakyRelu ``alpha``
(seen: 2.5e-43 and 4.7e27 for 0.2), so an exported net with nn.LeakyReLU gives wrong
numbers without any error. In a static program (``paddle.jit.to_static``/``jit.save``)
this LeakyReLU is written as ``maximum(x, slope * x)``, the same values for a slope in
[0, 1], which converts correctly; eagerly it runs Paddle's fused kernel (5x faster
forward + backward than the two-op form on CPU).
"""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .sequential import trace_without_rewrite


def leaky_relu(x, negative_slope=0.01):
    """F.leaky_relu for 0 <= negative_slope <= 1, in a form paddle2onnx converts
    correctly when a program is built."""
    if paddle.in_dynamic_mode():
        return F.leaky_relu(x, negative_slope)
    return paddle.maximum(x, x * negative_slope)


class LeakyReLU(nn.Layer):
    """nn.LeakyReLU for 0 <= negative_slope <= 1, exportable to ONNX; no parameters."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        if not 0.0 <= negative_slope <= 1.0:
            raise ValueError(f"negative_slope must be in [0, 1], got {negative_slope}")
        self.negative_slope = negative_slope

    def forward(self, x):
        return leaky_relu(x, self.negative_slope)


trace_without_rewrite(__name__)
