"""Conditional DCGAN discriminator: strided convs down to base x base features, the
label vector broadcast over that map and concatenated, then a conv to one logit
(the anime-faces tutorial's design: the label joins where the features are coarse)."""
import paddle
import paddle.nn as nn

from ...utils.errors import ConfigError
from ...utils.registry import DISCRIMINATORS
from ..generators.conditional import size_stages
from ..generators.dcgan import NORM_TYPES, make_norm


@DISCRIMINATORS.register()
class ConditionalDCDiscriminator(nn.Layer):
    """(image (N, input_nc, S, S), label vector (N, num_classes)) -> logits (N, 1, 1, 1)."""

    def __init__(self, input_nc, num_classes, ndf=64, img_size=64, norm_type="batch"):
        super().__init__()
        if norm_type not in NORM_TYPES:
            raise ConfigError(f"ConditionalDCDiscriminator norm_type '{norm_type}' is "
                              f"unknown; use one of: {', '.join(NORM_TYPES)}")
        base, stages = size_stages(img_size, "ConditionalDCDiscriminator")
        self.num_classes, self.base = num_classes, base

        def width(level):
            return ndf * min(2 ** level, 8)

        layers = [nn.Conv2D(input_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        for level in range(1, stages):
            layers += [nn.Conv2D(width(level - 1), width(level), 4, stride=2, padding=1,
                                 bias_attr=False if norm_type == "batch" else None),
                       make_norm(norm_type, width(level)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        top = width(stages - 1)
        self.joint = nn.Sequential(
            nn.Conv2D(top + num_classes, top, 1), nn.LeakyReLU(0.2),
            nn.Conv2D(top, 1, kernel_size=base, stride=1, padding=0))

    def forward(self, x, label_vec):
        h = self.features(x)
        y = label_vec.astype(h.dtype).reshape([h.shape[0], self.num_classes, 1, 1])
        y = y.expand([h.shape[0], self.num_classes, h.shape[2], h.shape[3]])
        # Paddle 3.3's double backward (WGAN-GP) of concat fails ("empty GradSlotMeta")
        # when one input needs no gradient; asking for one costs a few bytes.
        y.stop_gradient = False
        return self.joint(paddle.concat([h, y], axis=1))
