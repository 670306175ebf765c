"""MediaPipe's selfie-segmentation network, rebuilt as a Paddle layer.

The model (Apache 2.0, shipped in the ``mediapipe==0.10.14`` wheel as
``selfie_segmentation.tflite`` and ``selfie_segmentation_landscape.tflite``) is a
truncated MobileNetV3-Small encoder with squeeze-excite blocks, an LR-ASPP style
head and a three-stage decoder whose skip connections are gated by squeeze-excite
attention; a 2x2 stride-2 transposed convolution gives the full-resolution logit.
About 106 k parameters; the general model takes 256x256 RGB in [0, 1], the
landscape one 144x256.

``tools/convert_selfie_seg.py`` reads the weights from the wheel and writes them
(fp16, as stored in the .tflite) to ``faceutils/weights/*.npz`` keyed by this
layer's parameter names. The conversion walks the TFLite graph in execution order,
so the sub-layers below are declared in the order the graph uses them.

TFLite details kept: ``padding='SAME'`` (TF's asymmetric padding for the stride-2
convolutions, which Paddle's 'SAME' reproduces), bilinear upsampling with
half-pixel centres (``align_corners=False, align_mode=0``), hard-swish as
``x * relu6(x + 3) / 6``.
"""
import os

import numpy as np
import paddle.nn as nn
import paddle.nn.functional as F

from ..utils.errors import WeightsNotFoundError

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
INPUT_SIZES = {"general": (256, 256), "landscape": (144, 256)}  # (height, width)


def conv1x1(in_channels, out_channels):
    return nn.Conv2D(in_channels, out_channels, 1)


class SqueezeExcite(nn.Layer):
    """x * sigmoid(W2 relu(W1 mean(x))): channel attention of MobileNetV3."""

    def __init__(self, channels, squeezed):
        super().__init__()
        self.squeeze = conv1x1(channels, squeezed)
        self.excite = conv1x1(squeezed, channels)

    def gate(self, x):
        pooled = x.mean(axis=[2, 3], keepdim=True)
        return F.sigmoid(self.excite(F.relu(self.squeeze(pooled))))

    def forward(self, x):
        return x * self.gate(x)


class InvertedResidual(nn.Layer):
    """MobileNetV3 block: 1x1 expand, depthwise kxk, optional SE, 1x1 project."""

    def __init__(self, in_channels, expanded, out_channels, kernel, stride,
                 activation, se_channels=None):
        super().__init__()
        self.activation = activation
        self.expand = conv1x1(in_channels, expanded)
        self.depthwise = nn.Conv2D(expanded, expanded, kernel, stride=stride,
                                   padding="SAME", groups=expanded)
        self.se = SqueezeExcite(expanded, se_channels) if se_channels else None
        self.project = conv1x1(expanded, out_channels)
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, x):
        y = self.activation(self.expand(x))
        y = self.activation(self.depthwise(y))
        if self.se is not None:
            y = self.se(y)
        y = self.project(y)
        return x + y if self.use_residual else y


class AttentionHead(nn.Layer):
    """LR-ASPP: relu(1x1 conv) gated by a sigmoid of the globally pooled input."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.branch = conv1x1(in_channels, out_channels)
        self.gate = conv1x1(in_channels, out_channels)

    def forward(self, x):
        pooled = x.mean(axis=[2, 3], keepdim=True)
        return F.relu(self.branch(x)) * F.sigmoid(self.gate(pooled))


class DecoderBlock(nn.Layer):
    """Upsample x2, fuse with the encoder skip through an SE gate, refine.

    up = conv(upsample(x)); skip' = skip * gate(skip + up) + up;
    r = relu(conv(skip')); out = r + relu(depthwise(r)).
    """

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up_conv = conv1x1(in_channels, out_channels)
        self.skip_gate = SqueezeExcite(out_channels, out_channels)
        self.fuse = conv1x1(out_channels, out_channels)
        self.refine = nn.Conv2D(out_channels, out_channels, 3, padding="SAME",
                                groups=out_channels)

    def forward(self, x, skip):
        up = F.interpolate(x, size=skip.shape[2:], mode="bilinear",
                           align_corners=False, align_mode=0)
        up = self.up_conv(up)
        fused = skip * self.skip_gate.gate(skip + up) + up
        r = F.relu(self.fuse(fused))
        return r + F.relu(self.refine(r))


class SelfieSegNet(nn.Layer):
    """NCHW RGB in [0, 1] -> N1HW person probability (same H, W as the input)."""

    def __init__(self):
        super().__init__()
        hswish, relu = F.hardswish, F.relu
        self.stem = nn.Conv2D(3, 16, 3, stride=2, padding="SAME")          # 1/2
        self.blocks = nn.LayerList([
            InvertedResidual(16, 16, 16, 3, 2, relu, se_channels=8),        # 1/4
            InvertedResidual(16, 72, 24, 3, 2, relu),                        # 1/8
            InvertedResidual(24, 88, 24, 3, 1, relu),
            InvertedResidual(24, 96, 32, 5, 2, hswish, se_channels=24),      # 1/16
            InvertedResidual(32, 128, 32, 5, 1, hswish, se_channels=32),
            InvertedResidual(32, 128, 32, 5, 1, hswish, se_channels=32),
            InvertedResidual(32, 96, 32, 5, 1, hswish, se_channels=24),
            InvertedResidual(32, 96, 32, 5, 1, hswish, se_channels=24),
        ])
        self.head = AttentionHead(32, 128)
        self.decoder = nn.LayerList([
            DecoderBlock(128, 24),  # to 1/8, skip after block 3
            DecoderBlock(24, 16),   # to 1/4, skip after block 1
            DecoderBlock(16, 16),   # to 1/2, skip = stem output
        ])
        self.segment = nn.Conv2DTranspose(16, 1, 2, stride=2)

    def forward(self, x):
        x = F.hardswish(self.stem(x))
        skips = [x]
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in (0, 2):
                skips.append(x)
        x = self.head(x)
        for decoder, skip in zip(self.decoder, reversed(skips)):
            x = decoder(x, skip)
        return F.sigmoid(self.segment(x))


def weights_path(variant):
    return os.path.join(WEIGHTS_DIR, f"selfie_segmentation_{variant}.npz")


def load_selfie_net(variant="general", path=None):
    """SelfieSegNet in eval mode with the converted weights of ``variant``."""
    if variant not in INPUT_SIZES:
        raise WeightsNotFoundError(
            f"unknown selfie model '{variant}': use one of {', '.join(INPUT_SIZES)}")
    path = path or weights_path(variant)
    if not os.path.isfile(path):
        raise WeightsNotFoundError(
            f"selfie-segmentation weights not found at {path}: reinstall ppgan_lite "
            f"or run tools/convert_selfie_seg.py")
    net = SelfieSegNet()
    with np.load(path) as stored:
        state = {k: stored[k].astype("float32") for k in stored.files}
    expected = net.state_dict()
    missing = sorted(set(expected) - set(state))
    wrong = sorted(k for k in expected if k in state
                   and tuple(expected[k].shape) != state[k].shape)
    if missing or wrong:
        raise WeightsNotFoundError(
            f"{path} does not fit SelfieSegNet (missing {missing[:3]}, wrong shape "
            f"{wrong[:3]}): re-run tools/convert_selfie_seg.py")
    net.set_state_dict({k: state[k] for k in expected})
    net.eval()
    return net
