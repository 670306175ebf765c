"""DCGAN discriminator: image -> one logit per image by strided convs and LeakyReLU(0.2).

Constructor arguments and parameter names equal PaddleGAN's ``DCDiscriminator`` so its
``.pdparams`` load unchanged: one ``self.model`` Sequential, ``[conv, lrelu]`` then
``[conv, norm, lrelu] * n`` then a 4x4 valid conv to one channel. The output is
(N, 1, 1, 1), PaddleGAN's shape; it is a logit (no sigmoid), as ``GANLoss`` expects.

PaddleGAN's bias layout kept on purpose (the state dict depends on it): the first conv
never has a bias; middle convs have one with norm_type 'batch' and none otherwise; the
last conv always has one. The default norm is 'instance', PaddleGAN's default, although
its DCGAN recipe uses 'batch'.
"""
import paddle.nn as nn

from ...utils.registry import DISCRIMINATORS
from ..layers.norm import check_norm_type, make_norm
from ..layers.shapes import check_img_size


@DISCRIMINATORS.register()
class DCDiscriminator(nn.Layer):
    """(N, input_nc, img_size, img_size) -> logits (N, 1, 1, 1).

    Widths double at each 2x downsampling from ``ndf``, capped at ``8 * ndf``.
    """

    def __init__(self, input_nc, ndf=64, norm_type="instance", img_size=64):
        super().__init__()
        check_norm_type(norm_type, "DCDiscriminator")
        stages = check_img_size(img_size, "DCDiscriminator")
        middle_bias = None if norm_type == "batch" else False  # None: Paddle's default bias

        def width(level):
            return ndf * min(2 ** level, 8)

        layers = [nn.Conv2D(input_nc, ndf, kernel_size=4, stride=2, padding=1,
                            bias_attr=False),
                  nn.LeakyReLU(0.2)]
        for level in range(1, stages):  # each block halves H and W
            layers += [nn.Conv2D(width(level - 1), width(level), kernel_size=4, stride=2,
                                 padding=1, bias_attr=middle_bias),
                       make_norm(norm_type, width(level)),
                       nn.LeakyReLU(0.2)]
        # 4x4 -> 1x1: one logit per image.
        layers += [nn.Conv2D(width(stages - 1), 1, kernel_size=4, stride=1, padding=0)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)
