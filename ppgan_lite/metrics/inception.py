"""InceptionV3 up to pool3 (2048-d), the FID network, with PaddleGAN's parameter names.

The layers, names and the FID-specific blocks (pytorch-fid's ``FIDInception*``:
average pools that exclude padding, a max pool in the last block) follow
PaddleGAN's ``ppgan/metrics/inception.py``, so its ``InceptionV3.pdparams``
(converted from the TensorFlow FID graph) loads unchanged: keys like
``Mixed_5b.branch1x1.conv.weight`` and ``Mixed_5b.branch1x1.bn._mean``. The older
``params_inceptionV3`` files name the BN statistics ``running_mean``/``running_var``;
those are accepted too.

PaddleGAN downloads the weights at run time; ppgan_lite never does. They come from
``inception_weights=`` or ``$PPGAN_LITE_INCEPTION_WEIGHTS`` or ``DEFAULT_WEIGHTS``,
and a missing file is a WeightsNotFoundError that says what to download and where.
"""
import os
import threading

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ..utils.checkpoint import load_weights
from ..utils.errors import WeightsNotFoundError

WEIGHTS_URL = "https://paddlegan.bj.bcebos.com/InceptionV3.pdparams"
WEIGHTS_ENV = "PPGAN_LITE_INCEPTION_WEIGHTS"
DEFAULT_WEIGHTS = os.path.join("~", ".cache", "ppgan_lite", "InceptionV3.pdparams")
FEATURE_DIM = 2048
INPUT_SIZE = 299
_LEGACY_BN_NAMES = {".bn.running_mean": ".bn._mean", ".bn.running_var": ".bn._variance"}


class ConvBN(nn.Layer):
    """conv (no bias) -> batch norm (eps 1e-3) -> ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2D(in_channels, out_channels, kernel_size, stride, padding,
                              bias_attr=False)
        self.bn = nn.BatchNorm2D(out_channels, epsilon=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_3x3(x):  # TF's FID graph averages over the valid (unpadded) pixels only
    return F.avg_pool2d(x, 3, stride=1, padding=1, exclusive=True)


class InceptionA(nn.Layer):
    def __init__(self, in_channels, pool_features):
        super().__init__()
        self.branch1x1 = ConvBN(in_channels, 64, 1)
        self.branch5x5_1 = ConvBN(in_channels, 48, 1)
        self.branch5x5_2 = ConvBN(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBN(in_channels, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, padding=1)
        self.branch_pool = ConvBN(in_channels, pool_features, 1)

    def forward(self, x):
        return paddle.concat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_3x3(x))], axis=1)


class InceptionB(nn.Layer):  # grid reduction 35 -> 17
    def __init__(self, in_channels):
        super().__init__()
        self.branch3x3 = ConvBN(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvBN(in_channels, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, stride=2)

    def forward(self, x):
        return paddle.concat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, 3, stride=2)], axis=1)


class InceptionC(nn.Layer):  # factorised 7x7 convolutions
    def __init__(self, in_channels, c7):
        super().__init__()
        self.branch1x1 = ConvBN(in_channels, 192, 1)
        self.branch7x7_1 = ConvBN(in_channels, c7, 1)
        self.branch7x7_2 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = ConvBN(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = ConvBN(in_channels, c7, 1)
        self.branch7x7dbl_2 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = ConvBN(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = ConvBN(in_channels, 192, 1)

    def forward(self, x):
        dbl = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                      self.branch7x7dbl_4, self.branch7x7dbl_5):
            dbl = layer(dbl)
        return paddle.concat([
            self.branch1x1(x),
            self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x))),
            dbl,
            self.branch_pool(_avg_pool_3x3(x))], axis=1)


class InceptionD(nn.Layer):  # grid reduction 17 -> 8
    def __init__(self, in_channels):
        super().__init__()
        self.branch3x3_1 = ConvBN(in_channels, 192, 1)
        self.branch3x3_2 = ConvBN(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvBN(in_channels, 192, 1)
        self.branch7x7x3_2 = ConvBN(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = ConvBN(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = ConvBN(192, 192, 3, stride=2)

    def forward(self, x):
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return paddle.concat([self.branch3x3_2(self.branch3x3_1(x)), b7,
                              F.max_pool2d(x, 3, stride=2)], axis=1)


class InceptionE(nn.Layer):
    """Expanded filter bank; ``pool`` is 'avg' in Mixed_7b and 'max' in Mixed_7c
    (the TF FID graph's quirk that pytorch-fid and PaddleGAN keep)."""

    def __init__(self, in_channels, pool):
        super().__init__()
        self.pool = pool
        self.branch1x1 = ConvBN(in_channels, 320, 1)
        self.branch3x3_1 = ConvBN(in_channels, 384, 1)
        self.branch3x3_2a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = ConvBN(in_channels, 448, 1)
        self.branch3x3dbl_2 = ConvBN(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvBN(in_channels, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = (_avg_pool_3x3(x) if self.pool == "avg"
                  else F.max_pool2d(x, 3, stride=1, padding=1))
        return paddle.concat([
            self.branch1x1(x),
            self.branch3x3_2a(b3), self.branch3x3_2b(b3),
            self.branch3x3dbl_3a(dbl), self.branch3x3dbl_3b(dbl),
            self.branch_pool(pooled)], axis=1)


class InceptionV3(nn.Layer):
    """Input NCHW RGB float in [-1, 1] at 299x299 (``InceptionFeatures`` resizes and
    rescales); output (N, 2048), the pool3 features."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = ConvBN(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = ConvBN(32, 32, 3)
        self.Conv2d_2b_3x3 = ConvBN(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvBN(64, 80, 1)
        self.Conv2d_4a_3x3 = ConvBN(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")

    def forward(self, x):
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a,
                      self.Mixed_6b, self.Mixed_6c, self.Mixed_6d, self.Mixed_6e,
                      self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return x.mean(axis=[2, 3])


# -- weights --------------------------------------------------------------------------
def missing_weights_message(looked_at):
    return (f"FID/KID need PaddleGAN's InceptionV3 weights and none are at {looked_at}: "
            f"download {WEIGHTS_URL} (or the .pdparams inside PaddleGAN's "
            f"params_inceptionV3.tar.gz) to {os.path.expanduser(DEFAULT_WEIGHTS)}, "
            f"or pass inception_weights=<file> / set {WEIGHTS_ENV}")


def find_inception_weights(path=None):
    """The weights file: ``path``, else ``$PPGAN_LITE_INCEPTION_WEIGHTS``, else
    ``DEFAULT_WEIGHTS``. A directory (an unpacked ``params_inceptionV3``) or a path
    without its ``.pdparams`` suffix is resolved to the one .pdparams it names."""
    given = path or os.environ.get(WEIGHTS_ENV) or DEFAULT_WEIGHTS
    given = os.path.abspath(os.path.expanduser(os.fspath(given)))
    if os.path.isdir(given):
        found = sorted(name for name in os.listdir(given) if name.endswith(".pdparams"))
        if len(found) == 1:
            return os.path.join(given, found[0])
    elif os.path.isfile(given):
        return given
    elif os.path.isfile(given + ".pdparams"):
        return given + ".pdparams"
    raise WeightsNotFoundError(missing_weights_message(given))


def _normalise_keys(params):
    out = {}
    for key, value in params.items():
        for old, new in _LEGACY_BN_NAMES.items():
            if key.endswith(old):
                key = key[: -len(old)] + new
        out[key] = value
    return out


def load_inception_state(net, path):
    """Copy a PaddleGAN InceptionV3 ``.pdparams`` into ``net``; every parameter of
    ``net`` must be in the file with its shape (extra entries, e.g. a classifier,
    are ignored)."""
    nested = load_weights(path)
    params = nested[""] if "" in nested else next(iter(nested.values()), {})
    params = _normalise_keys(params)
    state = net.state_dict()
    missing = [k for k in state if k not in params]
    if missing:
        raise WeightsNotFoundError(
            f"{path} is not PaddleGAN's InceptionV3 weights ({len(missing)} of {len(state)} "
            f"parameters missing, e.g. '{missing[0]}'): {missing_weights_message(path)}")
    for key, value in state.items():
        if tuple(params[key].shape) != tuple(value.shape):
            raise WeightsNotFoundError(
                f"{path}: '{key}' has shape {list(params[key].shape)}, InceptionV3 needs "
                f"{list(value.shape)}: {missing_weights_message(path)}")
    net.set_state_dict({k: np.asarray(params[k], dtype="float32") for k in state})
    return net


_CACHE = {}
_CACHE_LOCK = threading.Lock()


def load_inception(path=None):
    """The frozen, eval-mode InceptionV3 with the weights ``find_inception_weights``
    finds; loaded once per file per process and shared (do not modify it)."""
    path = find_inception_weights(path)
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    with _CACHE_LOCK:
        if key not in _CACHE:
            net = load_inception_state(InceptionV3(), path)
            net.eval()
            for param in net.parameters():
                param.stop_gradient = True
            _CACHE[key] = net
        return _CACHE[key]


class InceptionFeatures:
    """``features(images)``: NCHW RGB float32 in [0, 1] (tensor or array) -> (N, 2048)
    float64 numpy pool3 features, resized bilinearly to 299x299 as PaddleGAN does."""

    def __init__(self, weights=None, net=None):
        self.net = net if net is not None else load_inception(weights)

    def __call__(self, images):
        x = paddle.to_tensor(images, dtype="float32")
        if tuple(x.shape[2:]) != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=[INPUT_SIZE, INPUT_SIZE], mode="bilinear",
                              align_corners=False)
        with paddle.no_grad():
            return self.net(x * 2.0 - 1.0).numpy().astype(np.float64)
