"""U-GAT-IT's instance+layer norms (LIN, AdaLIN) and Photo2Cartoon's Soft-AdaLIN, and
the rho clipper that keeps their mixing weights in [0, 1].

Parameter names and shapes are PaddleGAN's (``ILN``/``LIN``: ``rho, gamma, beta``;
``AdaILN``/``AdaLIN``: ``rho``; Soft-AdaLIN: ``w_gamma, w_beta, norm.rho, c_gamma.*,
c_beta.*, s_gamma, s_beta``) so its ``.pdparams`` load unchanged.

Speed: the norms take per-channel statistics of the map (the layer statistics follow
from them) and fold normalise, mix and affine into one per-channel scale and shift, so
a norm costs four full-size ops instead of about fifteen; everything stays float32.
"""
import paddle
import paddle.nn as nn

from ...utils.errors import ConfigError
from .sequential import Sequential, trace_without_rewrite

NORM_EPS = 1e-5


def instance_layer_stats(x, eps):
    """Means and inverse standard deviations of x [N, C, H, W] per instance
    ([N, C, 1, 1]) and per layer ([N, 1, 1, 1]).

    Variances are unbiased, as the ``torch.var``/``paddle.var`` defaults in U-GAT-IT's
    formulas. The layer ones come from the instance ones by the law of total variance
    (C equal groups of H*W values), which needs no second pass over x and, unlike
    E[x^2] - E[x]^2, adds two non-negative terms, so float32 loses nothing.
    """
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    n = h * w
    in_mean = paddle.mean(x, axis=[2, 3], keepdim=True)
    # not paddle.var: its pow kernel is ~10x slower than square + mean on CPU
    in_var = paddle.mean(paddle.square(x - in_mean), axis=[2, 3], keepdim=True)
    ln_mean = paddle.mean(in_mean, axis=1, keepdim=True)
    ln_var = (paddle.mean(in_var, axis=1, keepdim=True)
              + paddle.mean(paddle.square(in_mean - ln_mean), axis=1, keepdim=True))
    in_inv_std = paddle.rsqrt(in_var * (n / max(n - 1, 1)) + eps)
    ln_inv_std = paddle.rsqrt(ln_var * (c * n / max(c * n - 1, 1)) + eps)
    return in_mean, in_inv_std, ln_mean, ln_inv_std


def mix_instance_layer_norm(x, rho, gamma, beta, eps):
    """(rho * IN(x) + (1 - rho) * LN(x)) * gamma + beta (U-GAT-IT eq. for AdaLIN).

    rho is [1, C, 1, 1]; gamma and beta broadcast to [N, C, 1, 1]. Written as
    x * scale + shift with per-channel scale and shift.
    """
    in_mean, in_inv_std, ln_mean, ln_inv_std = instance_layer_stats(x, eps)
    in_weight = rho * in_inv_std
    ln_weight = (1 - rho) * ln_inv_std
    scale = (in_weight + ln_weight) * gamma
    shift = beta - (in_weight * in_mean + ln_weight * ln_mean) * gamma
    return x * scale + shift


def _constant_parameter(layer, shape, value):
    return layer.create_parameter(
        shape, dtype="float32", default_initializer=nn.initializer.Constant(value))


class LIN(nn.Layer):
    """Layer-Instance Norm with learned gamma/beta (PaddleGAN's ``ILN`` and ``LIN``)."""

    def __init__(self, num_features, eps=NORM_EPS):
        super().__init__()
        self.eps = eps
        shape = [1, num_features, 1, 1]
        self.rho = _constant_parameter(self, shape, 0.0)
        self.gamma = _constant_parameter(self, shape, 1.0)
        self.beta = _constant_parameter(self, shape, 0.0)

    def forward(self, x):
        return mix_instance_layer_norm(x, self.rho, self.gamma, self.beta, self.eps)


class AdaLIN(nn.Layer):
    """Adaptive LIN: gamma and beta [N, C] come from the CAM features
    (PaddleGAN's ``AdaILN`` and ``AdaLIN``)."""

    def __init__(self, num_features, eps=NORM_EPS):
        super().__init__()
        self.eps = eps
        self.rho = _constant_parameter(self, [1, num_features, 1, 1], 0.9)

    def forward(self, x, gamma, beta):
        return mix_instance_layer_norm(
            x, self.rho, gamma.unsqueeze([2, 3]), beta.unsqueeze([2, 3]), self.eps)


class SoftAdaLIN(nn.Layer):
    """Photo2Cartoon's Soft-AdaLIN: gamma/beta are a learned per-channel blend of
    content statistics (encoder features) and style statistics (CAM features)."""

    def __init__(self, num_features, eps=NORM_EPS):
        super().__init__()
        self.norm = AdaLIN(num_features, eps)
        self.w_gamma = _constant_parameter(self, [1, num_features], 0.0)
        self.w_beta = _constant_parameter(self, [1, num_features], 0.0)
        self.c_gamma = _two_linear(num_features)
        self.c_beta = _two_linear(num_features)
        self.s_gamma = nn.Linear(num_features, num_features, bias_attr=False)
        self.s_beta = nn.Linear(num_features, num_features, bias_attr=False)

    def forward(self, x, content_features, style_features):
        gamma = _blend(self.w_gamma, self.s_gamma(style_features),
                       self.c_gamma(content_features))
        beta = _blend(self.w_beta, self.s_beta(style_features),
                      self.c_beta(content_features))
        return self.norm(x, gamma, beta)


def _two_linear(dim):
    return Sequential(nn.Linear(dim, dim, bias_attr=False), nn.ReLU(),
                      nn.Linear(dim, dim, bias_attr=False))


def _blend(weight, style, content):
    return (1 - weight) * style + weight * content


class RhoClipper:
    """Clamp every ``rho`` (AdaLIN/LIN) and Soft-AdaLIN ``w_gamma``/``w_beta`` of a
    net into [clip_min, clip_max] in place; call ``clipper(net)`` after each
    generator step so the IN/LN mix stays a convex combination (U-GAT-IT, sec. 2.1.1).
    Returns how many tensors it clamped."""

    clipped_names = ("rho", "w_gamma", "w_beta")

    def __init__(self, clip_min=0.0, clip_max=1.0):
        if not clip_min < clip_max:
            raise ConfigError(f"RhoClipper needs clip_min < clip_max, got "
                              f"{clip_min} and {clip_max}; the usual range is 0 and 1")
        self.clip_min = float(clip_min)
        self.clip_max = float(clip_max)

    def __call__(self, net):
        count = 0
        with paddle.no_grad():
            for layer in net.sublayers(include_self=True):
                for name, param in layer.named_parameters(include_sublayers=False):
                    if name in self.clipped_names:
                        param.set_value(paddle.clip(param, self.clip_min, self.clip_max))
                        count += 1
        return count


trace_without_rewrite(__name__)
