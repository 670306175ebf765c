"""Photo2Cartoon generator (minivision's U-GAT-IT variant, PaddleGAN's
``ResnetUGATITP2CGenerator``).

Differences from U-GAT-IT: two hourglass blocks after the first conv and two before
the last, parameter-free instance norms in the encoder, and Soft-AdaLIN decoder
blocks whose gamma/beta blend the encoder's content statistics (pooled features of
encoder block n_blocks-1-i feed decoder block i) with the CAM style features.
Defaults are PaddleGAN's (ngf 32, 4 blocks, light), which its photo2cartoon
predictor builds with no arguments before loading the released weights.
"""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from ...utils.registry import GENERATORS
from ..layers.lin import LIN, SoftAdaLIN
from ..layers.norm import plain_instance_norm
from ..layers.resample import Upsample2x, reflect_conv, upsample2x
from ..layers.sequential import Sequential, trace_without_rewrite
from ..layers.ugatit_blocks import (N_DOWNSAMPLING, ResnetAdaLINBlock, ResnetBlock,
                                    cam_style_input, class_activation, style_mlp)

HOURGLASS_DEPTH = 4  # the hourglass halves the map 4 times: sizes must divide by 16


class ConvBlock(nn.Layer):
    """Pre-activation block: three [IN relu pad conv3x3] stages of dim_out/2, /4, /4
    channels, concatenated (dim_out) and added to the input (1x1 conv if dims differ)."""

    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.dim_in, self.dim_out = dim_in, dim_out
        self.conv_block1 = self._stage(dim_in, dim_out // 2)
        self.conv_block2 = self._stage(dim_out // 2, dim_out // 4)
        self.conv_block3 = self._stage(dim_out // 4, dim_out // 4)
        if dim_in != dim_out:
            self.conv_skip = Sequential(
                plain_instance_norm(dim_in), nn.ReLU(),
                nn.Conv2D(dim_in, dim_out, kernel_size=1, stride=1, bias_attr=False))

    @staticmethod
    def _stage(dim_in, dim_out):
        # [IN relu pad conv] as PaddleGAN, run as [IN pad relu conv]: the same numbers
        # (relu and reflection commute), but the conv's input is relu's own output, so
        # backward keeps one map per stage instead of two (a third less memory per block)
        pad, conv = reflect_conv(dim_in, dim_out, 3)
        return Sequential(plain_instance_norm(dim_in), pad, nn.ReLU(), conv)

    def forward(self, x):
        x1 = self.conv_block1(x)
        x2 = self.conv_block2(x1)
        x3 = self.conv_block3(x2)
        residual = self.conv_skip(x) if self.dim_in != self.dim_out else x
        return residual + paddle.concat([x1, x2, x3], axis=1)


class HourGlassBlock(nn.Layer):
    """Four-level hourglass of ConvBlocks: ConvBlockskip1-4 on the way down,
    ConvBlock1-4 after each 2x average pool, ConvBlock5 at the bottom, ConvBlock6-9
    before each 2x upsampling that is added to its skip."""

    def __init__(self, dim_in):
        super().__init__()
        for i in range(HOURGLASS_DEPTH):
            setattr(self, f"ConvBlockskip{i + 1}", ConvBlock(dim_in, dim_in))
        for i in range(2 * HOURGLASS_DEPTH + 1):
            setattr(self, f"ConvBlock{i + 1}", ConvBlock(dim_in, dim_in))

    def forward(self, x):
        skips = []
        for i in range(HOURGLASS_DEPTH):
            skips.append(getattr(self, f"ConvBlockskip{i + 1}")(x))
            x = getattr(self, f"ConvBlock{i + 1}")(F.avg_pool2d(x, 2))
        x = self.ConvBlock5(x)
        for i in range(HOURGLASS_DEPTH):
            x = upsample2x(getattr(self, f"ConvBlock{i + HOURGLASS_DEPTH + 2}")(x))
            x = skips[HOURGLASS_DEPTH - 1 - i] + x
        return x


class HourGlass(nn.Layer):
    """Hourglass + ConvBlock + 1x1 conv; ``Conv1`` gives a 3-channel intermediate
    image. With use_res the block returns x + Conv2(features) + Conv3(image),
    without it (the last one) the 3-channel image itself."""

    def __init__(self, dim_in, dim_out, use_res=True, recompute=False):
        super().__init__()
        self.use_res, self.recompute = use_res, recompute
        self.HG = Sequential(
            HourGlassBlock(dim_in), ConvBlock(dim_out, dim_out),
            nn.Conv2D(dim_out, dim_out, kernel_size=1, stride=1, bias_attr=False),
            plain_instance_norm(dim_out), nn.ReLU())
        self.Conv1 = nn.Conv2D(dim_out, 3, kernel_size=1, stride=1)
        if use_res:
            self.Conv2 = nn.Conv2D(dim_out, dim_out, kernel_size=1, stride=1)
            self.Conv3 = nn.Conv2D(3, dim_out, kernel_size=1, stride=1)

    def forward(self, x):
        if self.recompute and self.training and paddle.is_grad_enabled():
            # keep only x; backward runs the hourglass forward again (same numbers)
            from paddle.distributed.fleet.utils import recompute
            features = recompute(self.HG, x)
        else:
            features = self.HG(x)
        image = self.Conv1(features)
        if not self.use_res:
            return image
        return x + self.Conv2(features) + self.Conv3(image)


@GENERATORS.register()
class ResnetUGATITP2CGenerator(nn.Layer):
    """forward(x [N, input_nc, S, S], S divisible by 16) -> (out [N, output_nc, S, S]
    in [-1, 1], cam_logit [N, 2], heatmap [N, 1, S/4, S/4]).

    ``recompute`` (not in PaddleGAN; off by default) trades compute for memory in
    training: each hourglass keeps only its input and is run again in backward. For the
    256-px recipe with Face-ID it takes peak RSS from 7.6 GB to 4.4 GB, for about 1.25x
    the step time (docs/benchmarks.md).
    """

    def __init__(self, input_nc=3, output_nc=3, ngf=32, img_size=256, n_blocks=4,
                 light=True, recompute=False):
        super().__init__()
        if n_blocks < 1:
            raise ConfigError(f"ResnetUGATITP2CGenerator needs n_blocks >= 1 (its "
                              f"decoder reads encoder block features), got {n_blocks}")
        self.input_nc, self.output_nc, self.ngf = input_nc, output_nc, ngf
        self.n_blocks, self.img_size, self.light = n_blocks, img_size, light
        mult = 2 ** N_DOWNSAMPLING
        dim = ngf * mult

        down = [*reflect_conv(input_nc, ngf, 7), plain_instance_norm(ngf), nn.ReLU(),
                HourGlass(ngf, ngf, recompute=recompute),
                HourGlass(ngf, ngf, recompute=recompute)]
        for i in range(N_DOWNSAMPLING):
            ch = ngf * 2 ** i
            down += [*reflect_conv(ch, ch * 2, 3, stride=2), plain_instance_norm(ch * 2),
                     nn.ReLU()]
        for i in range(n_blocks):
            setattr(self, f"EncodeBlock{i + 1}", ResnetBlock(dim, plain_instance_norm))

        self.gap_fc = nn.Linear(dim, 1, bias_attr=False)
        self.gmp_fc = nn.Linear(dim, 1, bias_attr=False)
        self.conv1x1 = nn.Conv2D(dim * 2, dim, kernel_size=1, stride=1)
        self.relu = nn.ReLU()

        fc = style_mlp(dim, img_size, ngf, light)
        for i in range(n_blocks):
            setattr(self, f"DecodeBlock{i + 1}", ResnetAdaLINBlock(dim, SoftAdaLIN))

        up = []
        for i in range(N_DOWNSAMPLING):
            ch = ngf * 2 ** (N_DOWNSAMPLING - i)
            up += [Upsample2x(), *reflect_conv(ch, ch // 2, 3), LIN(ch // 2), nn.ReLU()]
        # the last hourglass outputs a 3-channel image, hence the 3 input channels
        up += [HourGlass(ngf, ngf, recompute=recompute),
               HourGlass(ngf, ngf, use_res=False, recompute=recompute),
               *reflect_conv(3, output_nc, 7), nn.Tanh()]

        self.DownBlock = Sequential(*down)
        self.FC = fc
        self.UpBlock = Sequential(*up)

    def forward(self, x):
        x = self.DownBlock(x)
        content = []
        for i in range(self.n_blocks):
            x = getattr(self, f"EncodeBlock{i + 1}")(x)
            content.append(x.mean(axis=[2, 3]))

        x, cam_logit = class_activation(x, self.gap_fc, self.gmp_fc,
                                        self.gap_fc.weight, self.gmp_fc.weight)
        x = self.relu(self.conv1x1(x))
        heatmap = x.sum(axis=1, keepdim=True)

        style = self.FC(cam_style_input(x, self.light))
        for i in range(self.n_blocks):
            # PaddleGAN indexes content[4 - i - 1]; the same for its n_blocks=4
            x = getattr(self, f"DecodeBlock{i + 1}")(x, content[self.n_blocks - 1 - i], style)
        return self.UpBlock(x), cam_logit, heatmap


trace_without_rewrite(__name__)
