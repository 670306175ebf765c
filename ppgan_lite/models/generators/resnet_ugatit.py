"""U-GAT-IT generator (Kim et al., 2020), full and light.

Encoder (downsampling + residual blocks) -> class activation map (CAM) -> decoder of
AdaLIN residual blocks whose gamma/beta come from the CAM features -> upsampling
with LIN. Parameter names and shapes are PaddleGAN's ``ResnetUGATITGenerator``'s.
"""
import paddle.nn as nn

from ...utils.errors import ConfigError
from ...utils.registry import GENERATORS
from ..layers.lin import LIN, AdaLIN
from ..layers.norm import build_norm_layer
from ..layers.resample import Upsample2x, reflect_conv
from ..layers.sequential import Sequential, trace_without_rewrite
from ..layers.ugatit_blocks import (N_DOWNSAMPLING, ResnetAdaLINBlock, ResnetBlock,
                                    cam_style_input, class_activation, style_mlp)

@GENERATORS.register()
class ResnetUGATITGenerator(nn.Layer):
    """forward(x [N, input_nc, S, S]) -> (out [N, output_nc, S, S] in [-1, 1],
    cam_logit [N, 2], heatmap [N, 1, S/4, S/4]). The full model (light=False) only
    takes S == img_size."""

    def __init__(self, input_nc, output_nc, ngf=64, n_blocks=6, img_size=256,
                 light=False, norm_type="instance"):
        super().__init__()
        if n_blocks < 0:
            raise ConfigError(f"ResnetUGATITGenerator needs n_blocks >= 0, got {n_blocks}")
        self.input_nc, self.output_nc, self.ngf = input_nc, output_nc, ngf
        self.n_blocks, self.img_size, self.light = n_blocks, img_size, light
        norm_layer = build_norm_layer(norm_type)
        mult = 2 ** N_DOWNSAMPLING
        dim = ngf * mult

        down = [*reflect_conv(input_nc, ngf, 7), norm_layer(ngf), nn.ReLU()]
        for i in range(N_DOWNSAMPLING):
            ch = ngf * 2 ** i
            down += [*reflect_conv(ch, ch * 2, 3, stride=2), norm_layer(ch * 2), nn.ReLU()]
        down += [ResnetBlock(dim, norm_layer) for _ in range(n_blocks)]

        self.gap_fc = nn.Linear(dim, 1, bias_attr=False)
        self.gmp_fc = nn.Linear(dim, 1, bias_attr=False)
        self.conv1x1 = nn.Conv2D(dim * 2, dim, kernel_size=1, stride=1, bias_attr=True)
        self.relu = nn.ReLU()

        fc = style_mlp(dim, img_size, ngf, light)
        self.gamma = nn.Linear(dim, dim, bias_attr=False)
        self.beta = nn.Linear(dim, dim, bias_attr=False)
        for i in range(n_blocks):
            setattr(self, f"UpBlock1_{i + 1}", ResnetAdaLINBlock(dim, AdaLIN))

        up = []
        for i in range(N_DOWNSAMPLING):
            ch = ngf * 2 ** (N_DOWNSAMPLING - i)
            up += [Upsample2x(), *reflect_conv(ch, ch // 2, 3), LIN(ch // 2), nn.ReLU()]
        up += [*reflect_conv(ngf, output_nc, 7), nn.Tanh()]

        self.DownBlock = Sequential(*down)
        self.FC = fc
        self.UpBlock2 = Sequential(*up)

    def forward(self, x):
        x = self.DownBlock(x)
        x, cam_logit = class_activation(x, self.gap_fc, self.gmp_fc,
                                        self.gap_fc.weight, self.gmp_fc.weight)
        x = self.relu(self.conv1x1(x))
        heatmap = x.sum(axis=1, keepdim=True)

        style = self.FC(cam_style_input(x, self.light))
        gamma, beta = self.gamma(style), self.beta(style)
        for i in range(self.n_blocks):
            x = getattr(self, f"UpBlock1_{i + 1}")(x, gamma, beta)
        return self.UpBlock2(x), cam_logit, heatmap


trace_without_rewrite(__name__)
