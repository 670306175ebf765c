"""Weight initialisation for GAN nets, as PaddleGAN's ``init_weights`` does it.

'normal' is the DCGAN paper's (Radford et al. 2016, Sec. 4): conv, transposed-conv and
linear weights ~ N(0, init_gain), BatchNorm weight ~ N(1, init_gain), every bias 0.
'xavier', 'kaiming' and 'orthogonal' change only the conv/linear weights. Values are
drawn from paddle's global generator, so ``paddle.seed(s)`` before the call makes them
reproducible. Instance-norm affines (frozen at 1 / 0 in the DCGAN nets) are left alone.
"""
import math

import paddle
import paddle.nn as nn

from ...utils.errors import ConfigError

INIT_TYPES = ("normal", "xavier", "kaiming", "orthogonal")

_CONV = (nn.Conv1D, nn.Conv2D, nn.Conv3D)
_CONV_T = (nn.Conv1DTranspose, nn.Conv2DTranspose, nn.Conv3DTranspose)
BATCH_NORM_TYPES = (nn.BatchNorm, nn.BatchNorm1D, nn.BatchNorm2D, nn.BatchNorm3D,
                    nn.SyncBatchNorm)


def fans(layer):
    """(fan_in, fan_out) of a conv or linear weight.

    Convs follow PaddleGAN's (and torch's) convention, dims 1 and 0 times the kernel
    area, for conv and transposed conv alike. Paddle's Linear weight is [in, out], the
    transpose of torch's, so its dims are read the other way round.
    """
    shape = list(layer.weight.shape)
    if isinstance(layer, nn.Linear):
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


@paddle.no_grad()
def _fill_normal(param, mean, std):
    param.set_value(paddle.normal(mean, std, shape=param.shape).astype(param.dtype))


@paddle.no_grad()
def _fill_constant(param, value):
    param.set_value(paddle.full(param.shape, value, dtype=param.dtype))


@paddle.no_grad()
def _fill_orthogonal(param, gain):
    """Rows (or columns, whichever are fewer) orthonormal, times ``gain`` (Saxe et al. 2014)."""
    rows = param.shape[0]
    cols = math.prod(param.shape[1:])
    flat = paddle.normal(0.0, 1.0, shape=[max(rows, cols), min(rows, cols)])
    q, r = paddle.linalg.qr(flat)
    # The sign fix makes Q uniformly distributed over orthogonal matrices.
    q = q * paddle.sign(paddle.diagonal(r)).unsqueeze(0)
    if rows < cols:
        q = q.t()
    param.set_value((gain * q).reshape(param.shape).astype(param.dtype))


def _init_weight(layer, init_type, init_gain):
    if init_type == "normal":
        _fill_normal(layer.weight, 0.0, init_gain)
    elif init_type == "xavier":  # Glorot & Bengio 2010, normal form, scaled by init_gain
        fan_in, fan_out = fans(layer)
        _fill_normal(layer.weight, 0.0, init_gain * math.sqrt(2.0 / (fan_in + fan_out)))
    elif init_type == "kaiming":  # He et al. 2015, fan_in, ReLU gain sqrt(2)
        fan_in, _ = fans(layer)
        _fill_normal(layer.weight, 0.0, math.sqrt(2.0 / fan_in))
    else:
        _fill_orthogonal(layer.weight, init_gain)


def init_weights(net, init_type="normal", init_gain=0.02):
    """Initialise every conv / transposed conv / linear / batch-norm layer of ``net`` in
    place and return ``net``. ``init_gain`` is the std for 'normal' and the gain for
    'xavier' and 'orthogonal' (PaddleGAN's meaning); 'kaiming' ignores it."""
    if init_type not in INIT_TYPES:
        raise ConfigError(
            f"unknown init_type '{init_type}'; use one of: {', '.join(INIT_TYPES)}")
    for layer in net.sublayers(include_self=True):
        if isinstance(layer, _CONV + _CONV_T + (nn.Linear,)):
            # Spectral-norm layers keep their raw weight as ``weight_orig``, which
            # PaddleGAN's init never reaches (its hasattr(m, 'weight') test sees the
            # derived tensor, recomputed every forward): leave it, zero the bias.
            if "weight" in layer._parameters:
                _init_weight(layer, init_type, init_gain)
            if layer.bias is not None:
                _fill_constant(layer.bias, 0.0)
        elif isinstance(layer, BATCH_NORM_TYPES):
            # A BatchNorm scale is a vector, so only the normal draw applies (PaddleGAN).
            if layer.weight is not None:
                _fill_normal(layer.weight, 1.0, init_gain)
            if layer.bias is not None:
                _fill_constant(layer.bias, 0.0)
    return net
