"""ResNet generator of CycleGAN (Zhu et al., 2017, App. 7.2; Johnson et al.'s
fast-style-transfer net), parameter-compatible with PaddleGAN's ``ResnetGenerator``
(ppgan/models/generators/resnet.py).

One ``model`` Sequential, as PaddleGAN's, so the keys are its indices:
``[pad3, conv7, norm, ReLU]`` (0-3), two ``[conv3 s2, norm, ReLU]`` downsamplings (4-9),
``n_blocks`` ``ResnetBlock``s, two ``[convT3 s2, norm, ReLU]`` upsamplings,
``[pad3, conv7 (bias), Tanh]``. Inside a block, ``conv_block`` is
``[pad, conv3, norm, ReLU, (Dropout,) pad, conv3, norm]``; with ``padding_type='zero'``
the pads are the convs' own padding and take no slot, which shifts the indices exactly
as PaddleGAN's do.

Kept from PaddleGAN (and junyanz): the 7x7 stem and head always pad by reflection
whatever ``padding_type`` says, and convs have a bias only under instance norm
(``uses_conv_bias``) except the last one, which always has one.
"""
import paddle.nn as nn

from ...utils.errors import ConfigError
from ...utils.registry import GENERATORS
from ..layers.norm import build_norm_layer, check_norm_type, uses_conv_bias
from ..layers.resample import ReflectionPad2D
from ..layers.sequential import Sequential, trace_without_rewrite

PADDING_TYPES = ("reflect", "replicate", "zero")
N_DOWNSAMPLING = 2


def check_padding_type(padding_type, who):
    if padding_type not in PADDING_TYPES:
        raise ConfigError(f"{who} padding_type '{padding_type}' is unknown; use one of: "
                          f"{', '.join(PADDING_TYPES)}")


def padded_conv3(dim, padding_type, use_bias):
    """[pad, 3x3 conv] for 'reflect' / 'replicate', [3x3 conv with padding 1] for 'zero'."""
    if padding_type == "zero":
        return [nn.Conv2D(dim, dim, kernel_size=3, padding=1, bias_attr=use_bias)]
    # reflection by edge slices: same values as nn.Pad2D(mode='reflect'), faster on CPU
    pad = ReflectionPad2D(1) if padding_type == "reflect" else nn.Pad2D(1, mode="replicate")
    return [pad, nn.Conv2D(dim, dim, kernel_size=3, padding=0, bias_attr=use_bias)]


class ResnetBlock(nn.Layer):
    """x + conv_block(x): two 3x3 convs of ``dim`` channels, with a ReLU between them
    and none after the sum (He et al. 2016, as in Johnson et al.)."""

    def __init__(self, dim, padding_type, norm_type, use_dropout, use_bias):
        super().__init__()
        norm_layer = build_norm_layer(norm_type)
        layers = padded_conv3(dim, padding_type, use_bias) + [norm_layer(dim), nn.ReLU()]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += padded_conv3(dim, padding_type, use_bias) + [norm_layer(dim)]
        self.conv_block = Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


@GENERATORS.register()
class ResnetGenerator(nn.Layer):
    """forward(x [N, input_nc, H, W]) -> [N, output_nc, H, W] in [-1, 1] for H and W
    multiples of 4 (other sizes come back rounded up to one)."""

    def __init__(self, input_nc, output_nc, ngf=64, norm_type="instance", use_dropout=False,
                 n_blocks=6, padding_type="reflect"):
        super().__init__()
        check_norm_type(norm_type, "ResnetGenerator")
        check_padding_type(padding_type, "ResnetGenerator")
        if not isinstance(n_blocks, int) or n_blocks < 0:
            raise ConfigError(f"ResnetGenerator n_blocks must be an integer >= 0 (CycleGAN "
                              f"uses 9 for 256 px, 6 for 128 px), got {n_blocks!r}")
        self.input_nc, self.output_nc = input_nc, output_nc
        norm_layer = build_norm_layer(norm_type)
        use_bias = uses_conv_bias(norm_type)

        layers = [ReflectionPad2D(3),
                  nn.Conv2D(input_nc, ngf, kernel_size=7, padding=0, bias_attr=use_bias),
                  norm_layer(ngf), nn.ReLU()]
        for i in range(N_DOWNSAMPLING):
            ch = ngf * 2 ** i
            layers += [nn.Conv2D(ch, ch * 2, kernel_size=3, stride=2, padding=1,
                                 bias_attr=use_bias),
                       norm_layer(ch * 2), nn.ReLU()]
        dim = ngf * 2 ** N_DOWNSAMPLING
        layers += [ResnetBlock(dim, padding_type, norm_type, use_dropout, use_bias)
                   for _ in range(n_blocks)]
        for i in range(N_DOWNSAMPLING):
            ch = ngf * 2 ** (N_DOWNSAMPLING - i)
            layers += [nn.Conv2DTranspose(ch, ch // 2, kernel_size=3, stride=2, padding=1,
                                          output_padding=1, bias_attr=use_bias),
                       norm_layer(ch // 2), nn.ReLU()]
        layers += [ReflectionPad2D(3), nn.Conv2D(ngf, output_nc, kernel_size=7, padding=0),
                   nn.Tanh()]
        self.model = Sequential(*layers)

    def forward(self, x):
        return self.model(x)


trace_without_rewrite(__name__)
