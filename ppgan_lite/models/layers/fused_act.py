"""Bias + leaky ReLU (slope 0.2) times sqrt(2): StyleGAN2's activation, whose gain keeps
the signal's second moment through the nonlinearity (Karras et al. 2020, appendix B;
He et al. 2015). PaddleGAN's ``ppgan/modules/fused_act.py``, same ``bias`` parameter.

Kept from PaddleGAN: the bias is added before the activation, broadcast over channel
axis 1. Fixed: PaddleGAN's ``fused_leaky_relu`` ignores its ``negative_slope`` argument
(it always uses 0.2); here the slope given is the slope used.

The leaky ReLU is ``activation.leaky_relu``: Paddle's kernel eagerly, an export-safe
form in a static program (paddle2onnx 2.1 misreads leaky_relu's slope).
"""
import math

import paddle.nn as nn

from .activation import leaky_relu
from .broadcast import add_channel_bias
from .sequential import trace_without_rewrite

SQRT2 = math.sqrt(2.0)


def fused_leaky_relu(x, bias=None, negative_slope=0.2, scale=SQRT2):
    """leaky_relu(x + bias) * scale, ``bias`` of shape [C] added along axis 1."""
    if bias is not None:
        x = add_channel_bias(x, bias)
    return leaky_relu(x, negative_slope) * scale


class FusedLeakyReLU(nn.Layer):
    """``fused_leaky_relu`` with a learnt per-channel ``bias`` (zero-initialised)."""

    def __init__(self, channel, bias=True, negative_slope=0.2, scale=SQRT2):
        super().__init__()
        zero = nn.initializer.Constant(0.0)
        self.bias = self.create_parameter([channel], default_initializer=zero) if bias else None
        self.negative_slope = negative_slope
        self.scale = scale

    def forward(self, x):
        return fused_leaky_relu(x, self.bias, self.negative_slope, self.scale)


trace_without_rewrite(__name__)
