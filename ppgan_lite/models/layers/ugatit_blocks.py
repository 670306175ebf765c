"""Blocks of the U-GAT-IT generators and discriminator: residual blocks (plain and
with AdaLIN / Soft-AdaLIN conditioning) and the class activation map. Keys are
PaddleGAN's."""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .resample import reflect_conv
from .sequential import Sequential, trace_without_rewrite


N_DOWNSAMPLING = 2


def style_mlp(dim, img_size, ngf, light):
    """FC stack that turns CAM features into style features. Light: on the pooled
    [N, C] vector; full: on the flattened map (PaddleGAN's size formula, kept exactly
    so full-model weights keep their shape)."""
    mult = 2 ** N_DOWNSAMPLING
    in_dim = dim if light else img_size // mult * img_size // mult * ngf * mult
    return Sequential(nn.Linear(in_dim, dim, bias_attr=False), nn.ReLU(),
                      nn.Linear(dim, dim, bias_attr=False), nn.ReLU())


def cam_style_input(x, light):
    return x.mean(axis=[2, 3]) if light else x.flatten(1)


class ResnetBlock(nn.Layer):
    """x + [pad conv norm relu pad conv norm](x); keys ``conv_block.{1,2,5,6}``."""

    def __init__(self, dim, norm_layer, use_bias=False):
        super().__init__()
        self.conv_block = Sequential(
            *reflect_conv(dim, dim, 3, bias=use_bias), norm_layer(dim), nn.ReLU(),
            *reflect_conv(dim, dim, 3, bias=use_bias), norm_layer(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetAdaLINBlock(nn.Layer):
    """Decoder residual block whose two norms take conditioning inputs: AdaLIN
    (gamma, beta) in U-GAT-IT, Soft-AdaLIN (content, style) in Photo2Cartoon."""

    def __init__(self, dim, norm_cls, use_bias=False):
        super().__init__()
        self.pad1, self.conv1 = reflect_conv(dim, dim, 3, bias=use_bias)
        self.norm1 = norm_cls(dim)
        self.relu1 = nn.ReLU()
        self.pad2, self.conv2 = reflect_conv(dim, dim, 3, bias=use_bias)
        self.norm2 = norm_cls(dim)

    def forward(self, x, *conditions):
        out = self.relu1(self.norm1(self.conv1(self.pad1(x)), *conditions))
        out = self.norm2(self.conv2(self.pad2(out)), *conditions)
        return out + x


def class_activation(x, gap_fc, gmp_fc, gap_weight, gmp_weight):
    """U-GAT-IT's class activation map (CAM) on features x [N, C, H, W].

    The logits of a linear classifier on the global average- and max-pooled features
    form ``cam_logit`` [N, 2]; the classifier weights ([C, 1] each) re-weight the
    channels of x, giving [N, 2C, H, W] for the following 1x1 conv.
    """
    gap_logit = gap_fc(paddle.mean(x, axis=[2, 3]))
    # a global max *pool*, not paddle.max: Paddle 3.3's CPU backward of the max
    # reduction took 60% of a whole photo2cartoon iteration (0.46 s a call)
    gmp_logit = gmp_fc(F.adaptive_max_pool2d(x, 1).flatten(1))
    weighted = paddle.concat([x * gap_weight.reshape([1, -1, 1, 1]),
                              x * gmp_weight.reshape([1, -1, 1, 1])], axis=1)
    return weighted, paddle.concat([gap_logit, gmp_logit], axis=1)


trace_without_rewrite(__name__)
