"""Image sizes a net's stack of 2x stages can take, checked with one clear line."""
import math

from ...utils.errors import ConfigError


def check_img_size(img_size, who):
    """The number of 2x resampling convs between 4x4 and ``img_size``: 4 for 64, as
    PaddleGAN's ``n_downsampling``."""
    if (not isinstance(img_size, int) or img_size < 8
            or img_size & (img_size - 1) != 0):
        raise ConfigError(
            f"{who} img_size must be a power of two >= 8 (e.g. 32 or 64), got {img_size!r}")
    return int(math.log2(img_size)) - 2


def size_stages(img_size, who):
    """(base, number of 2x stages) for img_size = base * 2**stages, base 3 or 4."""
    for base in (4, 3):
        stages, size = 0, base
        while size < img_size:
            size, stages = size * 2, stages + 1
        if size == img_size and stages >= 1:
            return base, stages
    raise ConfigError(f"{who} img_size must be 4*2^k or 3*2^k (e.g. 32, 64, 96), "
                      f"got {img_size!r}")
