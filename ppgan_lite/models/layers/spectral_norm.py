"""Spectral normalisation (Miyato et al., 2018) with PaddleGAN's state-dict layout.

The raw weight is the parameter ``weight_orig``; the power-iteration vectors are the
buffers ``weight_u`` [out] and ``weight_v`` [in * k * k] (Linear: [1] and [in]). The
power iteration runs (and updates the buffers) in train mode only; eval mode reuses
the stored vectors, so its output is deterministic.
"""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .sequential import trace_without_rewrite


class _SpectralNormMixin:
    """Moves ``weight`` to ``weight_orig`` and divides it by its largest singular
    value, estimated by one power-iteration step per training forward."""

    def _init_spectral_norm(self, out_dim_axis, n_power_iterations=1, eps=1e-12):
        self._sn_axis = out_dim_axis
        self._sn_iterations = n_power_iterations
        self._sn_eps = eps
        weight = self._parameters.pop("weight")
        self.add_parameter("weight_orig", weight)
        height, width = self._weight_matrix(weight).shape
        self.register_buffer("weight_u", self._random_unit([height]))
        self.register_buffer("weight_v", self._random_unit([width]))

    def _random_unit(self, shape):
        return F.normalize(paddle.randn(shape, dtype="float32"), axis=0,
                           epsilon=self._sn_eps)

    def _weight_matrix(self, weight):
        """[out, rest]: conv weights are [out, in, k, k], Linear weights [in, out]."""
        if self._sn_axis != 0:
            weight = weight.transpose([1, 0])
        return weight.reshape([weight.shape[0], -1])

    def normalized_weight(self):
        """weight_orig / sigma; in train mode after one power-iteration step that
        updates the stored u and v (without gradient, as PaddleGAN's)."""
        if self.training:
            matrix = self._weight_matrix(self.weight_orig)
            with paddle.no_grad():
                u = self.weight_u
                for _ in range(self._sn_iterations):
                    v = F.normalize(paddle.mv(matrix.T, u), axis=0, epsilon=self._sn_eps)
                    u = F.normalize(paddle.mv(matrix, v), axis=0, epsilon=self._sn_eps)
                self.weight_u.set_value(u)
                self.weight_v.set_value(v)
        return self.weight

    def __getattr__(self, name):
        # ``layer.weight`` (read by repr and by code written for PaddleGAN's hook,
        # which leaves a derived tensor there) is the normalised weight from the
        # stored u and v, without an iteration step.
        if name == "weight" and "weight_orig" in self.__dict__.get("_parameters", {}):
            matrix = self._weight_matrix(self.weight_orig)
            sigma = paddle.dot(self.weight_u.detach(),
                               paddle.mv(matrix, self.weight_v.detach()))
            return self.weight_orig / sigma
        return super().__getattr__(name)


class SpectralNormConv2D(_SpectralNormMixin, nn.Conv2D):
    """nn.Conv2D (padding 0, as the discriminator pads explicitly) with spectral norm."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, bias_attr=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0,
                         bias_attr=bias_attr)
        self._init_spectral_norm(out_dim_axis=0)

    def forward(self, x):
        return F.conv2d(x, self.normalized_weight(), self.bias, stride=self._stride,
                        padding=0)


class SpectralNormLinear(_SpectralNormMixin, nn.Linear):
    def __init__(self, in_features, out_features, bias_attr=None):
        super().__init__(in_features, out_features, bias_attr=bias_attr)
        self._init_spectral_norm(out_dim_axis=1)

    def forward(self, x):
        return F.linear(x, self.normalized_weight(), self.bias)


trace_without_rewrite(__name__)
