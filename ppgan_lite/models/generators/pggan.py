"""PGGAN generator (Karras et al. 2018, "Progressive Growing of GANs for Improved
Quality, Stability, and Variation", table 2 and sec. 4).

Layout and defaults are the official ``G_paper`` (tkarras/progressive_growing_of_gans
``networks.py``): the latent is pixel-normalised, a dense layer (He gain sqrt(2)/4, as
the original Theano code) makes a 4x4 map, then each level doubles the resolution
(nearest upsampling, two 3x3 convs); every conv is equalized-lr with gain sqrt(2),
leaky ReLU 0.2 and pixel norm; ToRGB is a linear 1x1 conv (gain 1). Widths follow
``nf(stage) = min(fmap_base / 2^(stage * fmap_decay), fmap_max)``.

Every level's layers exist from the start, under names that do not change as the net
grows: ``blocks.<k>`` and ``to_rgbs.<k>`` for level k (4 * 2^k px), ``blocks.0`` being
the 4x4 input block (``dense``, ``dense_bias``, ``conv``). The buffer ``lod`` says how
far the net has grown (``layers/progressive.py``); the output is always at
``resolution``: the current level's image, faded with the previous level's while the
level comes in (``alpha``), upsampled nearest-neighbour.

Kept from the official code: the dense bias is per channel after the reshape; the
fused upscale + conv (``fused_scale=True``) equals nearest upsampling then a 3x3 conv,
which is what runs here. Left out: labels (the AC-GAN variant) and the ReLU /
no-pixel-norm / no-wscale ablations other than ``use_pixelnorm``.
"""
import math

import paddle.nn as nn

from ...utils.registry import GENERATORS
from ..layers.equalized import EqualConv2D, EqualLinear, PixelNorm
from ..layers.fused_act import leaky_relu
from ..layers.progressive import ProgressiveNet, fade, pggan_channels, upscale
from ..layers.resample import upsample2x
from ..layers.sequential import trace_without_rewrite

SQRT2 = math.sqrt(2.0)


def _conv3x3(in_channels, out_channels):
    return EqualConv2D(in_channels, out_channels, 3, padding=1, activation="lrelu", gain=SQRT2)


class InputBlock(nn.Layer):
    """latent -> dense -> [C, 4, 4] -> bias, lrelu, PN -> 3x3 conv, lrelu, PN."""

    def __init__(self, latent_size, channels, pixel_norm):
        super().__init__()
        self.channels = channels
        self.dense = EqualLinear(latent_size, channels * 16, bias=False, gain=SQRT2 / 4)
        self.dense_bias = self.create_parameter(
            [channels], default_initializer=nn.initializer.Constant(0.0))
        self.conv = _conv3x3(channels, channels)
        self.norm = pixel_norm

    def forward(self, z):
        x = self.dense(z).reshape([-1, self.channels, 4, 4])
        x = self.norm(leaky_relu(x + self.dense_bias.reshape([1, -1, 1, 1]), 0.2))
        return self.norm(self.conv(x))


class UpBlock(nn.Layer):
    """nearest 2x -> 3x3 conv, lrelu, PN -> 3x3 conv, lrelu, PN."""

    def __init__(self, in_channels, out_channels, pixel_norm):
        super().__init__()
        self.conv0 = _conv3x3(in_channels, out_channels)
        self.conv1 = _conv3x3(out_channels, out_channels)
        self.norm = pixel_norm

    def forward(self, x):
        x = self.norm(self.conv0(upsample2x(x)))
        return self.norm(self.conv1(x))


class _Identity(nn.Layer):
    def forward(self, x):
        return x


@GENERATORS.register()
class PGGANGenerator(ProgressiveNet):
    """``forward(latent [N, latent_size]) -> image [N, num_channels, resolution,
    resolution]`` at the level the ``lod`` buffer holds (``set_level``)."""

    def __init__(self, resolution=32, num_channels=1, fmap_base=8192, fmap_decay=1.0,
                 fmap_max=512, latent_size=None, normalize_latents=True, use_pixelnorm=True):
        super().__init__(resolution, "PGGANGenerator")
        nf = pggan_channels(fmap_base, fmap_decay, fmap_max, "PGGANGenerator")
        self.latent_size = int(latent_size or nf(0))
        self.num_channels = num_channels
        self.normalize_latents = normalize_latents
        self.latent_norm = PixelNorm()
        pixel_norm = PixelNorm() if use_pixelnorm else _Identity()
        self.blocks = nn.LayerList([InputBlock(self.latent_size, nf(1), pixel_norm)] + [
            UpBlock(nf(k), nf(k + 1), pixel_norm) for k in range(1, self.max_level + 1)])
        self.to_rgbs = nn.LayerList([EqualConv2D(nf(k + 1), num_channels, 1, gain=1.0)
                                     for k in range(self.max_level + 1)])
        self.set_level(self.max_level)

    def forward(self, latent):
        level, alpha = self.level_alpha()
        return self.synthesize(latent, level, alpha)

    def synthesize(self, latent, level, alpha=1.0):
        """The image of ``level`` faded in with weight ``alpha`` (0: exactly the
        previous level's image), upsampled to ``resolution``."""
        x = self.latent_norm(latent) if self.normalize_latents else latent
        x = self.blocks[0](x)
        previous = None
        for k in range(1, level + 1):
            if k == level and alpha < 1.0:
                previous = x
            x = self.blocks[k](x)
        image = self.to_rgbs[level](x)
        if previous is not None:
            image = fade(image, upsample2x(self.to_rgbs[level - 1](previous)), alpha)
        return upscale(image, self.max_level - level)


trace_without_rewrite(__name__)
