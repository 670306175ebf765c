"""Equalized learning rate layers (Karras et al. 2018, PGGAN sec. 4.1) and the two other
PGGAN blocks StyleGAN2 kept: pixel norm (PGGAN sec. 4.2) and the minibatch standard
deviation feature (PGGAN sec. 3).

Weights are drawn from N(0, 1 / lr_mul) and multiplied at run time by
``gain * lr_mul / sqrt(fan_in)``, so every weight learns at the same speed under Adam
whatever its fan-in; ``lr_mul`` < 1 slows a layer down (StyleGAN's mapping net, 0.01).
Names and layouts are PaddleGAN's (``ppgan/modules/equalized.py``): ``weight`` and
``bias``, EqualLinear's weight stored [in, out] as paddle.nn.Linear's, so its
``.pdparams`` load unchanged. ``gain`` (default 1, PaddleGAN's) is PGGAN's He gain,
e.g. sqrt(2) before a leaky ReLU.

Fixed from PaddleGAN: EqualLinear(bias=False) failed in forward (it multiplied None
by lr_mul); EqualConv2D takes lr_mul, bias_init and an activation as EqualLinear does.
"""
import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from .broadcast import add_channel_bias, like
from .fused_act import fused_leaky_relu, leaky_relu
from .sequential import trace_without_rewrite

ACTIVATIONS = (None, "fused_lrelu", "lrelu")


def _check_activation(activation, who):
    if activation in ("", False):
        return None
    if activation not in ACTIVATIONS:
        raise ConfigError(f"{who} activation must be one of {', '.join(map(str, ACTIVATIONS))},"
                          f" got {activation!r}")
    return activation


def _activate(out, bias, activation):
    """Bias then the activation: 'fused_lrelu' is StyleGAN2's leaky ReLU 0.2 times
    sqrt(2); 'lrelu' is PGGAN's plain leaky ReLU 0.2 (its gain is in ``gain``)."""
    if activation == "fused_lrelu":
        return fused_leaky_relu(out, bias)
    if bias is not None:
        out = add_channel_bias(out, bias)
    return leaky_relu(out, 0.2) if activation == "lrelu" else out


class _Equalized(nn.Layer):
    def _make_params(self, weight_shape, fan_in, out_channels, bias, bias_init, lr_mul,
                     gain, activation, who):
        if not lr_mul > 0:
            raise ConfigError(f"{who} lr_mul must be > 0, got {lr_mul!r}")
        self.weight = self.create_parameter(
            weight_shape, default_initializer=nn.initializer.Normal(0.0, 1.0 / lr_mul))
        self.bias = (self.create_parameter(
            [out_channels], default_initializer=nn.initializer.Constant(float(bias_init)))
            if bias else None)
        self.scale = gain * lr_mul / math.sqrt(fan_in)
        self.lr_mul = lr_mul
        self.activation = _check_activation(activation, who)

    def _bias(self):
        return None if self.bias is None else self.bias * self.lr_mul


class EqualConv2D(_Equalized):
    """Conv2D (weight [out, in, k, k]) with equalized learning rate."""

    def __init__(self, in_channel, out_channel, kernel_size, stride=1, padding=0, bias=True,
                 bias_init=0.0, lr_mul=1.0, activation=None, gain=1.0):
        super().__init__()
        self._make_params([out_channel, in_channel, kernel_size, kernel_size],
                          in_channel * kernel_size * kernel_size, out_channel, bias,
                          bias_init, lr_mul, gain, activation, "EqualConv2D")
        self.stride = stride
        self.padding = padding

    def forward(self, x):
        out = F.conv2d(x, self.weight * self.scale, stride=self.stride, padding=self.padding)
        return _activate(out, self._bias(), self.activation)

    def extra_repr(self):
        out_c, in_c, k, _ = self.weight.shape
        return f"{in_c}, {out_c}, {k}, stride={self.stride}, padding={self.padding}"


class EqualLinear(_Equalized):
    """Linear (weight [in, out], PaddleGAN's layout) with equalized learning rate;
    ``activation='fused_lrelu'`` as PaddleGAN's (any other truthy value there)."""

    def __init__(self, in_dim, out_dim, bias=True, bias_init=0, lr_mul=1, activation=None,
                 gain=1.0):
        super().__init__()
        self._make_params([in_dim, out_dim], in_dim, out_dim, bias, bias_init, lr_mul, gain,
                          activation, "EqualLinear")

    def forward(self, x):
        out = paddle.matmul(x, self.weight * self.scale)
        return _activate(out, self._bias(), self.activation)

    def extra_repr(self):
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"


class PixelNorm(nn.Layer):
    """x / sqrt(mean over channels of x^2 + 1e-8) (PGGAN eq. in sec. 4.2)."""

    def forward(self, x):
        norm = paddle.rsqrt(paddle.mean(x * x, axis=1, keepdim=True) + 1e-8)
        return x * (like(norm, x) if x.ndim > 2 else norm)


def minibatch_stddev(x, group_size=4, num_features=1):
    """Append ``num_features`` channels holding the standard deviation of each feature
    over groups of ``group_size`` samples, averaged over channels and pixels (PGGAN
    sec. 3). Sample n is grouped with n + k * (N / group) as PaddleGAN and rosinality
    group them; N must be a multiple of the group (or smaller than it)."""
    batch, channels, height, width = x.shape
    group = min(batch, group_size) if batch > 0 else group_size
    if batch > 0 and batch % group:
        raise ConfigError(f"the minibatch-stddev discriminator needs a batch size that is a "
                          f"multiple of {group_size} (or below it), got {batch}: change "
                          f"batch_size")
    y = x.reshape([group, -1, num_features, channels // num_features, height, width])
    y = y - like(y.mean(axis=0, keepdim=True), y)
    # sqrt(mean of squares): variance written without pow, which double-grads everywhere
    y = paddle.sqrt((y * y).mean(axis=0) + 1e-8)
    y = y.mean(axis=[2, 3, 4]).reshape([-1, num_features, 1, 1])
    y = paddle.tile(y, [group, 1, height, width])
    return paddle.concat([x, y], axis=1)


def stylegan_channels(size, channel_multiplier=2, channels=None, who="StyleGANv2"):
    """The width at each resolution 4 .. size.

    Default: PaddleGAN's hard-coded table, 512 up to 32 px whatever channel_multiplier
    says, then 256, 128, 64, 32, 16 (x channel_multiplier) at 64 .. 1024 px. ``channels``
    (a {resolution: width} mapping) replaces it, e.g. {4: 64, 8: 64, 16: 32, 32: 16} for
    a net that trains on a CPU; it must name every resolution the net has.
    """
    resolutions = [2 ** i for i in range(2, int(math.log2(size)) + 1)]
    if (isinstance(channel_multiplier, bool) or not isinstance(channel_multiplier, int)
            or channel_multiplier < 1):
        raise ConfigError(f"{who} channel_multiplier must be an integer >= 1, got "
                          f"{channel_multiplier!r}")
    if channels is None:
        if size > 1024:
            raise ConfigError(f"{who} has PaddleGAN's widths only up to 1024 px, got size "
                              f"{size}: pass a channels table")
        return {r: 512 if r <= 32 else (16384 // r) * channel_multiplier for r in resolutions}
    if not isinstance(channels, dict):
        raise ConfigError(f"{who} channels must be a {{resolution: width}} mapping, e.g. "
                          f"{{4: 64, 8: 64, 16: 32}}, got {channels!r}")
    table = {}
    for res, width in channels.items():
        try:
            res = int(res)
        except (TypeError, ValueError):
            raise ConfigError(f"{who} channels key {res!r} is not a resolution") from None
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ConfigError(f"{who} channels[{res}] must be a positive integer, got "
                              f"{width!r}")
        table[res] = width
    missing = [r for r in resolutions if r not in table]
    if missing:
        raise ConfigError(f"{who} channels has no width for resolution(s) "
                          f"{', '.join(map(str, missing))}: give one for each of "
                          f"{', '.join(map(str, resolutions))}")
    return {r: table[r] for r in resolutions}


def check_size(size, who, minimum=4):
    """size as int, a power of two >= minimum; one line otherwise."""
    if (isinstance(size, bool) or not isinstance(size, int) or size < minimum
            or size & (size - 1)):
        raise ConfigError(f"{who} size must be a power of two >= {minimum} (e.g. 256), "
                          f"got {size!r}")
    return size


trace_without_rewrite(__name__)
