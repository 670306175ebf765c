"""DCGAN generator (Radford et al. 2016, Fig. 1): noise -> image by strided transposed convs.

Constructor arguments and parameter names equal PaddleGAN's ``DCGenerator`` so its
``.pdparams`` load unchanged: one ``self.model`` Sequential whose indices are
``[convT, norm, relu] * n + [convT, tanh]``. For ``img_size=64`` (PaddleGAN's only size)
the layers and their indices are exactly PaddleGAN's; other powers of two add or drop
middle blocks.

PaddleGAN's behaviour kept on purpose: no conv in this generator has a bias (its
``use_bias`` test compares against a class its norm builder never returns), and the
``input_nc`` / ``padding_type`` arguments are accepted and unused.
"""
import paddle.nn as nn

from ...utils.registry import GENERATORS
from ..layers.norm import check_norm_type, make_norm
from ..layers.shapes import check_img_size


@GENERATORS.register()
class DCGenerator(nn.Layer):
    """Noise (N, input_nz, 1, 1) -> image (N, output_nc, img_size, img_size) in [-1, 1].

    Channel widths halve at each 2x upsampling, ending at ``ngf`` before the last layer;
    they are capped at ``8 * ngf`` so large sizes stay PaddleGAN-shaped near the output.
    """

    def __init__(self, input_nz, input_nc, output_nc, ngf=64, norm_type="batch",
                 padding_type="reflect", img_size=64):
        super().__init__()
        check_norm_type(norm_type, "DCGenerator")
        stages = check_img_size(img_size, "DCGenerator")
        self.input_nz, self.img_size = input_nz, img_size

        def width(level):
            return ngf * min(2 ** level, 8)

        # 1x1 -> 4x4: a "fully connected" layer written as a 4x4 transposed conv.
        layers = [nn.Conv2DTranspose(input_nz, width(stages - 1), kernel_size=4, stride=1,
                                     padding=0, bias_attr=False),
                  make_norm(norm_type, width(stages - 1)),
                  nn.ReLU()]
        for level in range(stages - 1, 0, -1):  # each block doubles H and W
            layers += [nn.Conv2DTranspose(width(level), width(level - 1), kernel_size=4,
                                          stride=2, padding=1, bias_attr=False),
                       make_norm(norm_type, width(level - 1)),
                       nn.ReLU()]
        layers += [nn.Conv2DTranspose(ngf, output_nc, kernel_size=4, stride=2, padding=1,
                                      bias_attr=False),
                   nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)
