"""Conditional DCGAN generator (Mirza & Osindero 2014 on DCGAN's nets): the label
vector (one-hot class or multi-hot tags) is concatenated to the noise.

Sizes are ``base * 2**k`` with base 4 (32, 64, 128) or 3 (48, 96: the anime-faces
tutorial's 96 px), so the first transposed conv maps 1x1 to base x base.
"""
import paddle
import paddle.nn as nn

from ...utils.registry import GENERATORS
from ..layers.norm import check_norm_type, make_norm
from ..layers.shapes import size_stages


@GENERATORS.register()
class ConditionalDCGenerator(nn.Layer):
    """(noise (N, nz, 1, 1), label vector (N, num_classes)) -> (N, output_nc, S, S)."""

    def __init__(self, input_nz, num_classes, output_nc=3, ngf=64, img_size=64,
                 norm_type="batch"):
        super().__init__()
        check_norm_type(norm_type, "ConditionalDCGenerator")
        base, stages = size_stages(img_size, "ConditionalDCGenerator")
        self.input_nz, self.num_classes, self.img_size = input_nz, num_classes, img_size

        def width(level):
            return ngf * min(2 ** level, 8)

        layers = [nn.Conv2DTranspose(input_nz + num_classes, width(stages - 1),
                                     kernel_size=base, stride=1, padding=0, bias_attr=False),
                  make_norm(norm_type, width(stages - 1)), nn.ReLU()]
        for level in range(stages - 1, 0, -1):
            layers += [nn.Conv2DTranspose(width(level), width(level - 1), kernel_size=4,
                                          stride=2, padding=1, bias_attr=False),
                       make_norm(norm_type, width(level - 1)), nn.ReLU()]
        layers += [nn.Conv2DTranspose(ngf, output_nc, kernel_size=4, stride=2, padding=1,
                                      bias_attr=False),
                   nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, z, label_vec):
        y = label_vec.reshape([label_vec.shape[0], self.num_classes, 1, 1])
        return self.model(paddle.concat([z, y.astype(z.dtype)], axis=1))
