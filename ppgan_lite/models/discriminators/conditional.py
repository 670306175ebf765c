"""Conditional DCGAN discriminator with a projection head (Miyato & Koyama 2018):
strided convs map the image to features phi(x) (summed over space), and the logit is
``w . phi(x) + embed(y) . phi(x)``. The inner product makes "does this image fit
this label" a first-class question; concatenating the label to a feature map only
lets D add it, and on digits D then ignored the label. ``embed`` is a bias-free
linear map, so multi-hot tag vectors project as the sum of their tags."""
import paddle.nn as nn

from ...utils.registry import DISCRIMINATORS
from ..layers.norm import check_norm_type, make_norm
from ..layers.shapes import size_stages


@DISCRIMINATORS.register()
class ConditionalDCDiscriminator(nn.Layer):
    """(image (N, input_nc, S, S), label vector (N, num_classes)) -> logits (N, 1, 1, 1)."""

    def __init__(self, input_nc, num_classes, ndf=64, img_size=64, norm_type="batch"):
        super().__init__()
        check_norm_type(norm_type, "ConditionalDCDiscriminator")
        _, stages = size_stages(img_size, "ConditionalDCDiscriminator")
        self.num_classes = num_classes

        def width(level):
            return ndf * min(2 ** level, 8)

        layers = [nn.Conv2D(input_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        for level in range(1, stages):
            layers += [nn.Conv2D(width(level - 1), width(level), 4, stride=2, padding=1,
                                 bias_attr=False if norm_type == "batch" else None),
                       make_norm(norm_type, width(level)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        top = width(stages - 1)
        self.linear = nn.Linear(top, 1)
        self.embed = nn.Linear(num_classes, top, bias_attr=False)

    def forward(self, x, label_vec):
        phi = self.features(x).sum(axis=[2, 3])                      # (N, top)
        projection = (self.embed(label_vec.astype(phi.dtype)) * phi).sum(axis=1, keepdim=True)
        return (self.linear(phi) + projection).reshape([-1, 1, 1, 1])
