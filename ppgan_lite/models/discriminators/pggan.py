"""PGGAN discriminator (Karras et al. 2018, table 2 and sec. 3-4).

Layout and defaults are the official ``D_paper`` (tkarras/progressive_growing_of_gans
``networks.py``): FromRGB is a 1x1 conv with leaky ReLU; each level above 4x4 runs two
3x3 convs and halves the resolution (2x2 average pool); the 4x4 block appends the
minibatch standard deviation (groups of ``mbstd_group_size``), then a 3x3 conv, a
dense layer and a linear score. Every layer is equalized-lr (He gain sqrt(2), the
score gain 1), leaky ReLU 0.2, no normalisation. Widths follow the generator's table.

Names stay put as the net grows: ``from_rgbs.<k>`` and ``blocks.<k>`` for level k
(4 * 2^k px); ``blocks.0`` is the 4x4 block (``conv``, ``dense0``, ``dense1``). The
input is always at ``resolution``; the ``lod`` buffer (``layers/progressive.py``) says
which level runs: the image is box-filtered down to that level's size and, while the
level fades in, its block's output is blended with the previous level's FromRGB of
the image downscaled once more (``alpha``).

Kept from the official code: the second conv of a block is its fused
conv + downscale (``fused_scale=True``), i.e. bias and activation after the pooling.
Left out: the label outputs of the AC-GAN variant.
"""
import math

import paddle.nn as nn

from ...utils.errors import ConfigError
from ...utils.registry import DISCRIMINATORS
from ..layers.equalized import EqualConv2D, EqualLinear, minibatch_stddev
from ..layers.fused_act import leaky_relu
from ..layers.progressive import ProgressiveNet, downscale, fade, pggan_channels
from ..layers.sequential import trace_without_rewrite

SQRT2 = math.sqrt(2.0)


class DownBlock(nn.Layer):
    """3x3 conv, lrelu -> 3x3 conv, 2x2 average pool, bias, lrelu."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv0 = EqualConv2D(in_channels, in_channels, 3, padding=1, activation="lrelu",
                                 gain=SQRT2)
        # the bias is the same on every pixel, so adding it before the pool (inside
        # the conv) equals the official bias after it
        self.conv1 = EqualConv2D(in_channels, out_channels, 3, padding=1, gain=SQRT2)

    def forward(self, x):
        return leaky_relu(downscale(self.conv1(self.conv0(x))), 0.2)


class OutputBlock(nn.Layer):
    """[minibatch stddev] -> 3x3 conv, lrelu -> dense, lrelu -> dense to one score."""

    def __init__(self, in_channels, dense_channels, mbstd_group_size):
        super().__init__()
        self.mbstd_group_size = mbstd_group_size
        extra = 1 if mbstd_group_size > 1 else 0
        self.conv = EqualConv2D(in_channels + extra, in_channels, 3, padding=1,
                                activation="lrelu", gain=SQRT2)
        self.dense0 = EqualLinear(in_channels * 16, dense_channels, activation="lrelu",
                                  gain=SQRT2)
        self.dense1 = EqualLinear(dense_channels, 1, gain=1.0)

    def forward(self, x):
        if self.mbstd_group_size > 1:
            x = minibatch_stddev(x, self.mbstd_group_size)
        x = self.conv(x)
        # reshape, not flatten: flatten has no double grad (the gradient penalty)
        return self.dense1(self.dense0(x.reshape([-1, x.shape[1] * 16])))


@DISCRIMINATORS.register()
class PGGANDiscriminator(ProgressiveNet):
    """``forward(image [N, num_channels, resolution, resolution]) -> score [N, 1]`` at
    the level the ``lod`` buffer holds (``set_level``)."""

    def __init__(self, resolution=32, num_channels=1, fmap_base=8192, fmap_decay=1.0,
                 fmap_max=512, mbstd_group_size=4):
        super().__init__(resolution, "PGGANDiscriminator")
        nf = pggan_channels(fmap_base, fmap_decay, fmap_max, "PGGANDiscriminator")
        if isinstance(mbstd_group_size, bool) or not isinstance(mbstd_group_size, int) \
                or mbstd_group_size < 0:
            raise ConfigError(f"PGGANDiscriminator mbstd_group_size must be an integer >= 0 "
                              f"(0 or 1: no minibatch stddev), got {mbstd_group_size!r}")
        self.num_channels = num_channels
        self.mbstd_group_size = mbstd_group_size
        self.from_rgbs = nn.LayerList([
            EqualConv2D(num_channels, nf(k + 1), 1, activation="lrelu", gain=SQRT2)
            for k in range(self.max_level + 1)])
        self.blocks = nn.LayerList([OutputBlock(nf(1), nf(0), mbstd_group_size)] + [
            DownBlock(nf(k + 1), nf(k)) for k in range(1, self.max_level + 1)])
        self.set_level(self.max_level)

    def forward(self, image):
        level, alpha = self.level_alpha()
        return self.score(image, level, alpha)

    def score(self, image, level, alpha=1.0):
        """D's score of ``image`` (at ``resolution``) at ``level`` faded in with weight
        ``alpha`` (0: exactly the previous level's score of the same image)."""
        image = downscale(image, self.max_level - level)
        x = self.blocks[level](self.from_rgbs[level](image))
        if level > 0 and alpha < 1.0:
            x = fade(x, self.from_rgbs[level - 1](downscale(image)), alpha)
        for k in range(level - 1, -1, -1):
            x = self.blocks[k](x)
        return x


trace_without_rewrite(__name__)
