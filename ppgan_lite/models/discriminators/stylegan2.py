"""StyleGAN2 discriminator (Karras et al. 2020, fig. 7c: residual, blur + stride-2
downsampling, minibatch stddev, equalized learning rate).

Constructor and parameter names are PaddleGAN's ``StyleGANv2Discriminator``
(``ppgan/models/discriminators/discriminator_styleganv2.py``): ``convs`` (a 1x1 fromRGB
ConvLayer then one ResBlock per 2x downsampling), ``final_conv``, ``final_linear``.
Each ConvLayer is a Sequential [Blur (downsampling only), EqualConv2D, FusedLeakyReLU],
so its keys are ``<i>.weight`` / ``<i>.bias`` as PaddleGAN's. ``channels`` (a
{resolution: width} table, default PaddleGAN's) and the minibatch-stddev group and
feature count (``stddev_group``, ``stddev_feat``; PaddleGAN fixes 4 and 1) are the
additions.

Fixed: PaddleGAN's ResBlock ignores the discriminator's ``blur_kernel`` (its convs use
[1, 3, 3, 1] whatever is passed); here every blur uses the kernel given. Same result for
the default kernel, which all PaddleGAN configs use.
"""
import math

import paddle.nn as nn

from ...utils.errors import ConfigError, check_positive_int
from ...utils.registry import DISCRIMINATORS
from ..layers.equalized import (EqualConv2D, EqualLinear, check_size, minibatch_stddev,
                                stylegan_channels)
from ..layers.fused_act import FusedLeakyReLU
from ..layers.sequential import Sequential, trace_without_rewrite
from ..layers.upfirdn import Blur, check_blur_kernel


class ConvLayer(Sequential):
    """[Blur] + EqualConv2D + [FusedLeakyReLU]; with the activation the bias is the
    activation's, as PaddleGAN's (the conv has none)."""

    def __init__(self, in_channel, out_channel, kernel_size, downsample=False,
                 blur_kernel=(1, 3, 3, 1), bias=True, activate=True):
        layers = []
        if downsample:  # blur to H + 1 then a stride-2 conv: H / 2
            p = (len(blur_kernel) - 2) + (kernel_size - 1)
            layers.append(Blur(blur_kernel, pad=((p + 1) // 2, p // 2)))
            stride, self.padding = 2, 0
        else:
            stride, self.padding = 1, kernel_size // 2
        layers.append(EqualConv2D(in_channel, out_channel, kernel_size, padding=self.padding,
                                  stride=stride, bias=bias and not activate))
        if activate:
            layers.append(FusedLeakyReLU(out_channel, bias=bias))
        super().__init__(*layers)


class ResBlock(nn.Layer):
    """Two 3x3 ConvLayers (the second downsamples) + a 1x1 downsampling skip, summed
    and divided by sqrt(2) to keep the variance (StyleGAN2 fig. 7c)."""

    def __init__(self, in_channel, out_channel, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.conv1 = ConvLayer(in_channel, in_channel, 3, blur_kernel=blur_kernel)
        self.conv2 = ConvLayer(in_channel, out_channel, 3, downsample=True,
                               blur_kernel=blur_kernel)
        self.skip = ConvLayer(in_channel, out_channel, 1, downsample=True,
                              blur_kernel=blur_kernel, activate=False, bias=False)

    def forward(self, x):
        return (self.conv2(self.conv1(x)) + self.skip(x)) / math.sqrt(2)


@DISCRIMINATORS.register()
class StyleGANv2Discriminator(nn.Layer):
    """Image [N, 3, size, size] -> logit [N, 1]. N must be a multiple of
    ``stddev_group`` or below it (the minibatch-stddev groups; PaddleGAN's 4, with one
    feature). StyleGAN2-ADA's small-image config groups 32 samples: a larger group
    tells D more about the fakes' diversity."""

    def __init__(self, size, channel_multiplier=2, blur_kernel=(1, 3, 3, 1), channels=None,
                 stddev_group=4, stddev_feat=1):
        super().__init__()
        who = "StyleGANv2Discriminator"
        check_size(size, who)
        stddev_group = check_positive_int(stddev_group, f"{who} stddev_group")
        stddev_feat = check_positive_int(stddev_feat, f"{who} stddev_feat")
        check_blur_kernel(blur_kernel, who)
        ch = stylegan_channels(size, channel_multiplier, channels, who)
        convs = [ConvLayer(3, ch[size], 1)]
        in_channel = ch[size]
        for i in range(int(math.log2(size)), 2, -1):
            convs.append(ResBlock(in_channel, ch[2 ** (i - 1)], blur_kernel))
            in_channel = ch[2 ** (i - 1)]
        self.convs = Sequential(*convs)
        if in_channel % stddev_feat:
            raise ConfigError(f"{who} stddev_feat {stddev_feat} must divide the 4x4 width "
                              f"{in_channel}")
        self.stddev_group = stddev_group
        self.stddev_feat = stddev_feat
        self.final_conv = ConvLayer(in_channel + stddev_feat, ch[4], 3)
        self.final_linear = Sequential(
            EqualLinear(ch[4] * 4 * 4, ch[4], activation="fused_lrelu"),
            EqualLinear(ch[4], 1))

    def forward(self, x):
        out = minibatch_stddev(self.convs(x), self.stddev_group, self.stddev_feat)
        out = self.final_conv(out)
        return self.final_linear(out.reshape([-1, out.shape[1] * out.shape[2] * out.shape[3]]))


trace_without_rewrite(__name__)
