"""PatchGAN discriminator (Isola et al., 2017, Sec. 3.2.2; 70x70 receptive field at
n_layers 3), parameter-compatible with PaddleGAN's ``NLayerDiscriminator``
(ppgan/models/discriminators/nlayers.py).

One ``model`` Sequential with PaddleGAN's indices:
``[conv4 s2, LReLU]``, ``n_layers - 1`` x ``[conv4 s2, norm, LReLU]``,
``[conv4 s1, norm, LReLU]``, ``[conv4 s1 -> 1 channel (bias)]``; channels ndf * min(2^i, 8).

``norm_type='spectral'`` is PaddleGAN's PSGAN variant (configs/makeup.yaml): every conv
spectrally normalised instead of followed by a norm, so the Sequential has no norm slots,
LeakyReLU slope 0.01, convs with bias except the last (keys
``<i>.weight_orig / .spectral_norm.weight_u / .spectral_norm.weight_v / .layer.bias``,
``layers/wrapped_spectral_norm.py``).

Kept from PaddleGAN for its weights' sake: convs have a bias only under instance norm
(``uses_conv_bias``) except the last one, so under batch norm even the first conv, which
no norm follows, has none (junyanz's has one).
"""
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from ...utils.registry import DISCRIMINATORS
from ..layers.norm import NORM_TYPES, build_norm_layer, uses_conv_bias
from ..layers.sequential import Sequential, trace_without_rewrite
from ..layers.wrapped_spectral_norm import SpectralNormConv2D

DISCRIMINATOR_NORM_TYPES = NORM_TYPES + ("spectral",)
KERNEL, PADDING = 4, 1


def _conv(in_ch, out_ch, stride, bias):
    return nn.Conv2D(in_ch, out_ch, kernel_size=KERNEL, stride=stride, padding=PADDING,
                     bias_attr=bias)


def _stage(in_ch, out_ch, stride, norm_type, first=False):
    """conv [+ norm] + LeakyReLU of one level."""
    if norm_type == "spectral":
        return [SpectralNormConv2D(_conv(in_ch, out_ch, stride, True)), nn.LeakyReLU(0.01)]
    conv = _conv(in_ch, out_ch, stride, uses_conv_bias(norm_type))
    if first:  # the image itself is not normalised
        return [conv, nn.LeakyReLU(0.2)]
    return [conv, build_norm_layer(norm_type)(out_ch), nn.LeakyReLU(0.2)]


@DISCRIMINATORS.register()
class NLayerDiscriminator(nn.Layer):
    """forward(x [N, input_nc, H, W]) -> patch logits [N, 1, H/2^n - 2, W/2^n - 2]
    (n = n_layers; sigmoid probabilities with ``use_sigmoid``). pix2pix feeds it the
    input and output images concatenated (input_nc 6)."""

    def __init__(self, input_nc, ndf=64, n_layers=3, norm_type="instance", use_sigmoid=False):
        super().__init__()
        if norm_type not in DISCRIMINATOR_NORM_TYPES:
            raise ConfigError(f"NLayerDiscriminator norm_type '{norm_type}' is unknown; use "
                              f"one of: {', '.join(DISCRIMINATOR_NORM_TYPES)}")
        if not isinstance(n_layers, int) or n_layers < 0:
            raise ConfigError(f"NLayerDiscriminator n_layers must be an integer >= 0 (3 is "
                              f"the 70x70 PatchGAN), got {n_layers!r}")
        self.use_sigmoid = use_sigmoid

        def width(level):
            return ndf * min(2 ** level, 8)

        layers = _stage(input_nc, ndf, 2, norm_type, first=True)
        for level in range(1, n_layers):
            layers += _stage(width(level - 1), width(level), 2, norm_type)
        layers += _stage(width(n_layers - 1) if n_layers else ndf, width(n_layers), 1,
                         norm_type)
        final = _conv(width(n_layers), 1, 1, norm_type != "spectral")
        layers.append(SpectralNormConv2D(final) if norm_type == "spectral" else final)
        self.model = Sequential(*layers)

    def forward(self, x):
        out = self.model(x)
        return F.sigmoid(out) if self.use_sigmoid else out


trace_without_rewrite(__name__)
