"""What PGGAN's generator and discriminator share (Karras et al. 2018, "Progressive
Growing of GANs"): the channel table, box-filter / nearest resampling by powers of
two, and the level of detail the net runs at.

The official code (tkarras/progressive_growing_of_gans ``networks.py``) keeps one
non-trainable variable ``lod`` in each net: ``lod = max_level - level`` on a stable
level, ``(max_level - level) + (1 - alpha)`` while level ``level`` fades in with weight
``alpha``. Here it is the buffer ``lod`` (so a checkpoint's generator runs at the level
it was saved at, and the state dict has one layout whatever the level); nets read it
on every eager call. Images in and out are always at the final resolution, as the
official nets' are: the generator upsamples its current level's image (nearest), the
discriminator box-filters its input down to the level's resolution.
"""
import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from .resample import upsample2x
from .sequential import trace_without_rewrite


def pggan_channels(fmap_base=8192, fmap_decay=1.0, fmap_max=512, who="PGGAN"):
    """``nf(stage) = min(int(fmap_base / 2 ** (stage * fmap_decay)), fmap_max)``, the
    official table: level k (4 * 2^k px) works at nf(k + 1); nf(0) is the latent size
    and the discriminator's last dense width."""
    for key, value in (("fmap_base", fmap_base), ("fmap_max", fmap_max)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{who} {key} must be a positive integer, got {value!r}")
    if not isinstance(fmap_decay, (int, float)) or fmap_decay < 0:
        raise ConfigError(f"{who} fmap_decay must be a number >= 0, got {fmap_decay!r}")

    def nf(stage):
        width = min(int(fmap_base / (2.0 ** (stage * fmap_decay))), fmap_max)
        if width < 1:
            raise ConfigError(f"{who} has no channels at stage {stage} (fmap_base "
                              f"{fmap_base}, fmap_decay {fmap_decay}): raise fmap_base")
        return width
    return nf


def downscale(x, times=1):
    """``times`` 2x2 box filters (the official ``downscale2d``; repeated, so a level's
    image is the next level's downscaled once more, bit for bit)."""
    for _ in range(times):
        x = F.avg_pool2d(x, 2, 2)
    return x


def upscale(x, times=1):
    """``times`` nearest-neighbour 2x upsamplings (the official ``upscale2d``)."""
    for _ in range(times):
        x = upsample2x(x)
    return x


def fade(new, old, alpha):
    """alpha * new + (1 - alpha) * old: exactly ``old`` at alpha 0 (the official
    ``lerp(new, old, 1 - alpha)`` is only close to it)."""
    return new * alpha + old * (1.0 - alpha)


def split_lod(lod, max_level):
    """lod -> (level, alpha): the highest level the net runs and its fade-in weight."""
    floor = math.floor(lod)
    frac = lod - floor
    if frac > 0:
        return max_level - floor, 1.0 - frac
    return max_level - int(floor), 1.0


def check_resolution(resolution, who):
    if (isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 4
            or resolution & (resolution - 1)):
        raise ConfigError(f"{who} resolution must be a power of two >= 4 (e.g. 32), got "
                          f"{resolution!r}")
    return int(math.log2(resolution)) - 2


class ProgressiveNet(nn.Layer):
    """A net with levels 0 (4x4) .. ``max_level`` (the final resolution) and the
    ``lod`` buffer that says which it runs at (default: the final level)."""

    def __init__(self, resolution, who):
        super().__init__()
        self.resolution = resolution
        self.max_level = check_resolution(resolution, who)
        self.register_buffer("lod", paddle.zeros([], dtype="float32"), persistable=True)
        self._static_lod = 0.0

    def set_lod(self, lod):
        if not 0.0 <= lod <= self.max_level:
            raise ValueError(f"lod {lod} is outside 0 .. {self.max_level}")
        self.lod.set_value(paddle.full([], lod, dtype="float32"))
        self._static_lod = float(self.lod)

    def set_level(self, level, alpha=1.0):
        """Run at ``level`` with fade-in weight ``alpha`` (1: the level is stable)."""
        self.set_lod((self.max_level - level) + (1.0 - alpha))

    def level_alpha(self):
        # eagerly the buffer is read (weights loaded from a checkpoint carry their
        # level); a program being traced takes the value of the last eager call
        if paddle.in_dynamic_mode():
            self._static_lod = float(self.lod)
        return split_lod(self._static_lod, self.max_level)


trace_without_rewrite(__name__)
