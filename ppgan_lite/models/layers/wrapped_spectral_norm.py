"""Spectral normalisation (Miyato et al., 2018) in the layout of PaddleGAN's
``modules/nn.py`` ``Spectralnorm`` wrapper, which its PatchGAN discriminator
(``norm_type: spectral``, configs/makeup.yaml) uses.

Keys: ``weight_orig`` (the raw conv weight), ``spectral_norm.weight_u`` [out] and
``spectral_norm.weight_v`` [in * k * k] (the power-iteration vectors, N(0, 1) at first,
not normalised) and ``layer.bias``; the wrapped conv has no ``weight`` of its own.
(U-GAT-IT's hook-style layout, ``weight_orig`` / ``weight_u`` / ``weight_v`` side by
side, is ``spectral_norm.py``.)

Numbers are those of Paddle's ``spectral_norm`` op that PaddleGAN calls: in train mode
one power-iteration step from the stored u (v = W^T u / (|W^T u| + eps), u = W v /
(|W v| + eps)), then W / sigma with sigma = u . W v; in eval mode no step, sigma from the
stored u and v. Fixed on purpose: the op works on copies, so PaddleGAN never writes the
new u and v back and every training step restarts from the initial random vectors (the
estimate of sigma never improves, and eval mode divides by u . W v of two random
vectors). Here train mode stores them, as Miyato et al.'s Algorithm 1 does; a first
step from PaddleGAN's stored vectors gives PaddleGAN's output.
"""
import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .sequential import trace_without_rewrite


class PowerIterationVectors(nn.Layer):
    """The ``spectral_norm`` sublayer: the buffers u [height] and v [width]."""

    def __init__(self, height, width):
        super().__init__()
        self.register_buffer("weight_u", paddle.randn([height], dtype="float32"))
        self.register_buffer("weight_v", paddle.randn([width], dtype="float32"))


def _unit(x, eps):
    return x / (paddle.linalg.norm(x) + eps)


class SpectralNormConv2D(nn.Layer):
    """``conv`` (an nn.Conv2D) with its weight divided by its largest singular value."""

    def __init__(self, conv, power_iters=1, eps=1e-12):
        super().__init__()
        weight = conv._parameters.pop("weight")
        self.power_iters, self.eps = power_iters, eps
        self.spectral_norm = PowerIterationVectors(weight.shape[0],
                                                   math.prod(weight.shape[1:]))
        self.layer = conv
        self.weight_orig = self.create_parameter(weight.shape, dtype=weight.dtype)
        self.weight_orig.set_value(weight)

    def normalized_weight(self):
        matrix = self.weight_orig.reshape([self.weight_orig.shape[0], -1])
        u, v = self.spectral_norm.weight_u, self.spectral_norm.weight_v
        if self.training and self.power_iters > 0:
            with paddle.no_grad():
                for _ in range(self.power_iters):
                    v = _unit(paddle.mv(matrix.T, u), self.eps)
                    u = _unit(paddle.mv(matrix, v), self.eps)
                self.spectral_norm.weight_u.set_value(u)
                self.spectral_norm.weight_v.set_value(v)
        # u and v are constants for the gradient, as in Paddle's spectral_norm_grad
        sigma = paddle.dot(u.detach(), paddle.mv(matrix, v.detach()))
        return self.weight_orig / sigma

    def forward(self, x):
        conv = self.layer
        return F.conv2d(x, self.normalized_weight(), conv.bias, stride=conv._stride,
                        padding=conv._padding, dilation=conv._dilation, groups=conv._groups)


trace_without_rewrite(__name__)
