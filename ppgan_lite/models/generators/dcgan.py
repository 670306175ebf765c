"""DCGAN generator (Radford et al. 2016, Fig. 1): noise -> image by strided transposed convs.

Constructor arguments and parameter names equal PaddleGAN's ``DCGenerator`` so its
``.pdparams`` load unchanged: one ``self.model`` Sequential whose indices are
``[convT, norm, relu] * n + [convT, tanh]``. For ``img_size=64`` (PaddleGAN's only size)
the layers and their indices are exactly PaddleGAN's; other powers of two add or drop
middle blocks.

PaddleGAN's behaviour kept on purpose: no conv in this generator has a bias (its
``use_bias`` test compares against a class its norm builder never returns), and the
``input_nc`` / ``padding_type`` arguments are accepted and unused.
"""
import math

import paddle
import paddle.nn as nn

from ...utils.errors import ConfigError
from ...utils.registry import GENERATORS

NORM_TYPES = ("batch", "instance", "none")


def make_norm(norm_type, num_features):
    """The norm layer PaddleGAN's DCGAN nets put after a conv.

    'batch' is a plain ``BatchNorm2D`` (keys weight, bias, _mean, _variance); 'instance'
    has a frozen affine (scale 1, bias 0, not trained) as PaddleGAN's norm builder
    makes it, so its ``scale``/``bias`` keys exist in the state dict; 'none' is an
    Identity that keeps the Sequential indices (and so the key names) unchanged.
    """
    if norm_type == "batch":
        return nn.BatchNorm2D(num_features)
    if norm_type == "instance":
        return nn.InstanceNorm2D(num_features, weight_attr=_frozen(1.0),
                                 bias_attr=_frozen(0.0))
    if norm_type == "none":
        return nn.Identity()
    raise ConfigError(f"unknown norm_type '{norm_type}'; use one of: {', '.join(NORM_TYPES)}")


def _frozen(value):
    return paddle.ParamAttr(initializer=nn.initializer.Constant(value),
                            learning_rate=0.0, trainable=False)


def check_norm_type(norm_type, who):
    """A one-line ConfigError naming the net when ``norm_type`` is not one we build."""
    if norm_type not in NORM_TYPES:
        raise ConfigError(f"{who} norm_type '{norm_type}' is unknown; use one of: "
                          f"{', '.join(NORM_TYPES)}")


def check_img_size(img_size, who):
    """The number of 2x resampling convs between 4x4 and ``img_size``: 4 for 64, as
    PaddleGAN's ``n_downsampling``."""
    if (not isinstance(img_size, int) or img_size < 8
            or img_size & (img_size - 1) != 0):
        raise ConfigError(
            f"{who} img_size must be a power of two >= 8 (e.g. 32 or 64), got {img_size!r}")
    return int(math.log2(img_size)) - 2


@GENERATORS.register()
class DCGenerator(nn.Layer):
    """Noise (N, input_nz, 1, 1) -> image (N, output_nc, img_size, img_size) in [-1, 1].

    Channel widths halve at each 2x upsampling, ending at ``ngf`` before the last layer;
    they are capped at ``8 * ngf`` so large sizes stay PaddleGAN-shaped near the output.
    """

    def __init__(self, input_nz, input_nc, output_nc, ngf=64, norm_type="batch",
                 padding_type="reflect", img_size=64):
        super().__init__()
        check_norm_type(norm_type, "DCGenerator")
        stages = check_img_size(img_size, "DCGenerator")
        self.input_nz = input_nz

        def width(level):
            return ngf * min(2 ** level, 8)

        # 1x1 -> 4x4: a "fully connected" layer written as a 4x4 transposed conv.
        layers = [nn.Conv2DTranspose(input_nz, width(stages - 1), kernel_size=4, stride=1,
                                     padding=0, bias_attr=False),
                  make_norm(norm_type, width(stages - 1)),
                  nn.ReLU()]
        for level in range(stages - 1, 0, -1):  # each block doubles H and W
            layers += [nn.Conv2DTranspose(width(level), width(level - 1), kernel_size=4,
                                          stride=2, padding=1, bias_attr=False),
                       make_norm(norm_type, width(level - 1)),
                       nn.ReLU()]
        layers += [nn.Conv2DTranspose(ngf, output_nc, kernel_size=4, stride=2, padding=1,
                                      bias_attr=False),
                   nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)
