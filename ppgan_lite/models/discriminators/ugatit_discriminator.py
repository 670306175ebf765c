"""U-GAT-IT discriminator (global: n_layers 7, local: n_layers 5) with spectral norm
and a class activation map, parameter-compatible with PaddleGAN's
``UGATITDiscriminator``.

Spectral norm keeps PaddleGAN's state-dict layout (``layers/spectral_norm.py``).
"""
import paddle.nn as nn

from ...utils.errors import ConfigError
from ...utils.registry import DISCRIMINATORS
from ..layers.sequential import Sequential, trace_without_rewrite
from ..layers.spectral_norm import SpectralNormConv2D, SpectralNormLinear
from ..layers.ugatit_blocks import class_activation


def _down(dim_in, dim_out, stride):
    return [nn.Pad2D([1, 1, 1, 1], mode="reflect"),
            SpectralNormConv2D(dim_in, dim_out, 4, stride=stride, bias_attr=True),
            nn.LeakyReLU(0.2)]


@DISCRIMINATORS.register()
class UGATITDiscriminator(nn.Layer):
    """forward(x [N, input_nc, S, S]) -> (out [N, 1, S/2^(n_layers-2) - 2, ...],
    cam_logit [N, 2], heatmap [N, 1, S/2^(n_layers-2) - 1, ...]): n_layers-2
    stride-2 convs, one stride-1 conv, CAM, and a 4x4 conv to one logit map."""

    def __init__(self, input_nc, ndf=64, n_layers=5):
        super().__init__()
        if n_layers < 3:
            raise ConfigError(f"UGATITDiscriminator needs n_layers >= 3, got {n_layers} "
                              f"(U-GAT-IT uses 7 for the global and 5 for the local one)")
        model = _down(input_nc, ndf, stride=2)
        for i in range(1, n_layers - 2):
            ch = ndf * 2 ** (i - 1)
            model += _down(ch, ch * 2, stride=2)
        ch = ndf * 2 ** (n_layers - 3)
        model += _down(ch, ch * 2, stride=1)

        dim = ndf * 2 ** (n_layers - 2)
        self.gap_fc = SpectralNormLinear(dim, 1, bias_attr=False)
        self.gmp_fc = SpectralNormLinear(dim, 1, bias_attr=False)
        self.conv1x1 = nn.Conv2D(dim * 2, dim, kernel_size=1, stride=1, bias_attr=True)
        self.leaky_relu = nn.LeakyReLU(0.2)
        self.pad = nn.Pad2D([1, 1, 1, 1], mode="reflect")
        self.conv = SpectralNormConv2D(dim, 1, 4, stride=1, bias_attr=False)
        self.model = Sequential(*model)

    def forward(self, x):
        x = self.model(x)
        # The CAM re-weights channels with the raw ``weight_orig`` (PaddleGAN and
        # UGATIT-pytorch take parameters()[0]) while the logits use the normalised one.
        x, cam_logit = class_activation(x, self.gap_fc, self.gmp_fc,
                                        self.gap_fc.weight_orig, self.gmp_fc.weight_orig)
        x = self.leaky_relu(self.conv1x1(x))
        heatmap = x.sum(axis=1, keepdim=True)
        return self.conv(self.pad(x)), cam_logit, heatmap


trace_without_rewrite(__name__)
