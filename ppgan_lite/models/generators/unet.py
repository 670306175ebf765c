"""U-Net generator of pix2pix (Isola et al., 2017, Sec. 3.2.1 and App. 6.1.1),
parameter-compatible with PaddleGAN's ``UnetGenerator`` (ppgan/models/generators/unet.py).

The net is PaddleGAN's (and junyanz's) recursion of ``UnetSkipConnectionBlock``s, from
the innermost block outwards, so its keys nest as ``model.model.1.model.3.model.3...``:

* outermost:    [down conv, submodule, ReLU, up conv (bias), Tanh]          -> 0, 1, 3
* intermediate: [LReLU, down conv, norm, submodule, ReLU, up conv, norm (, Dropout)]
                                                                            -> 1, 2, 3, 5, 6
* innermost:    [LReLU, down conv, ReLU, up conv, norm]                     -> 1, 3, 4

Every block but the outermost returns ``concat([x, block(x)])`` (the skip connection).
Convs have a bias only under instance norm (``uses_conv_bias``), except the outermost up
conv, which always has one. Dropout(0.5) sits only in the ``num_downs - 5`` ngf*8 blocks
between the innermost block and the four that narrow the channels, after their up norm,
as PaddleGAN places it; the paper's "dropout at test time" is not kept: eval mode turns
it off (PaddleGAN's behaviour). The LeakyReLUs are ``layers/activation.py``'s, which
export to ONNX correctly (paddle2onnx garbles nn.LeakyReLU's slope).
"""
import paddle
import paddle.nn as nn

from ...utils.errors import ConfigError
from ...utils.registry import GENERATORS
from ..layers.activation import LeakyReLU
from ..layers.norm import build_norm_layer, check_norm_type, uses_conv_bias
from ..layers.sequential import Sequential, trace_without_rewrite

# The four outer blocks narrow ngf*8 -> ngf; with the innermost that is five levels.
MIN_NUM_DOWNS = 5


class UnetSkipConnectionBlock(nn.Layer):
    """One U-Net level: x -> [down, submodule, up] with the skip ``concat([x, up])``.

    ``outer_nc`` channels leave the block's up conv, ``inner_nc`` leave its down conv;
    ``input_nc`` (default ``outer_nc``) enter it.
    """

    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False,
                 innermost=False, norm_type="batch", use_dropout=False):
        super().__init__()
        self.outermost = outermost
        norm_layer = build_norm_layer(norm_type)
        use_bias = uses_conv_bias(norm_type)
        input_nc = outer_nc if input_nc is None else input_nc

        down_conv = nn.Conv2D(input_nc, inner_nc, kernel_size=4, stride=2, padding=1,
                              bias_attr=use_bias)

        def up_conv(in_ch, bias):
            return nn.Conv2DTranspose(in_ch, outer_nc, kernel_size=4, stride=2, padding=1,
                                      bias_attr=bias)

        if outermost:
            # the input image is not activated or normalised before the first conv
            layers = [down_conv, submodule, nn.ReLU(), up_conv(inner_nc * 2, True), nn.Tanh()]
        elif innermost:
            # the 1x1 bottleneck is not normalised (a batch-1 norm there would be zero)
            layers = [LeakyReLU(0.2), down_conv,
                      nn.ReLU(), up_conv(inner_nc, use_bias), norm_layer(outer_nc)]
        else:
            layers = [LeakyReLU(0.2), down_conv, norm_layer(inner_nc), submodule,
                      nn.ReLU(), up_conv(inner_nc * 2, use_bias), norm_layer(outer_nc)]
            if use_dropout:
                layers.append(nn.Dropout(0.5))
        self.model = Sequential(*layers)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return paddle.concat([x, self.model(x)], axis=1)


@GENERATORS.register()
class UnetGenerator(nn.Layer):
    """forward(x [N, input_nc, H, W]) -> [N, output_nc, H, W] in [-1, 1], with H and W
    multiples of 2**num_downs (num_downs 8 is pix2pix's unet256: a 256 px image reaches
    1x1 at the bottleneck)."""

    def __init__(self, input_nc, output_nc, num_downs, ngf=64, norm_type="batch",
                 use_dropout=False):
        super().__init__()
        check_norm_type(norm_type, "UnetGenerator")
        # PaddleGAN builds its five fixed levels for any num_downs below 5 (its loop
        # over range(num_downs - 5) is then empty), so num_downs 3 silently meant 5.
        if not isinstance(num_downs, int) or num_downs < MIN_NUM_DOWNS:
            raise ConfigError(f"UnetGenerator num_downs must be an integer >= "
                              f"{MIN_NUM_DOWNS} (7 for 128 px, 8 for 256 px images), got "
                              f"{num_downs!r}")
        self.input_nc, self.output_nc, self.num_downs = input_nc, output_nc, num_downs

        def level(outer_nc, inner_nc, submodule, **kwargs):
            return UnetSkipConnectionBlock(outer_nc, inner_nc, submodule=submodule,
                                           norm_type=norm_type, **kwargs)

        block = level(ngf * 8, ngf * 8, None, innermost=True)
        for _ in range(num_downs - MIN_NUM_DOWNS):
            block = level(ngf * 8, ngf * 8, block, use_dropout=use_dropout)
        block = level(ngf * 4, ngf * 8, block)
        block = level(ngf * 2, ngf * 4, block)
        block = level(ngf, ngf * 2, block)
        self.model = level(output_nc, ngf, block, input_nc=input_nc, outermost=True)

    def forward(self, x):
        step = 2 ** self.num_downs
        h, w = x.shape[2], x.shape[3]
        # a size that does not halve evenly num_downs times fails deep inside at a
        # concat; say what fits instead (-1: a dimension left free for export)
        if (h > 0 and h % step) or (w > 0 and w % step):
            raise ConfigError(f"UnetGenerator with num_downs {self.num_downs} takes images "
                              f"whose height and width are multiples of {step}, got "
                              f"{h}x{w}: crop or resize them to such a size")
        return self.model(x)


trace_without_rewrite(__name__)
