"""Broadcasts that stay on Paddle's fast CPU path.

Paddle 3's CPU elementwise kernels are fast when the smaller operand broadcasts over
trailing axes only (``[N, C, 1, 1]`` against ``[N, C, H, W]``) or has a lower rank
(``[C, 1, 1]``), and 5-20x slower, forward and backward, when it broadcasts over a
leading or middle axis of a batch: a bias as ``[1, C, 1, 1]``, a noise map or a
per-pixel norm as ``[N, 1, H, W]``. At StyleGAN2's small widths these helpers make a
training iteration about 18% faster (docs/benchmarks.md, "Tried"). The helpers below give
the same values and gradients through the fast paths.
"""
import paddle


def add_channel_bias(x, bias):
    """x + bias along axis 1, ``bias`` of shape [C], x [N, C, ...]."""
    return x + bias.reshape([-1] + [1] * (x.ndim - 2))


def like(y, x):
    """``y`` broadcast to ``x``'s shape as a real tensor (an expand, whose gradient
    is one reduction, and which double-grads, unlike ``expand_as``), for ``y``
    broadcasting over a leading or middle axis of x. In a static program (export),
    where the batch is unknown, ``y`` as it is: the elementwise op broadcasts it."""
    return paddle.expand(y, x.shape) if paddle.in_dynamic_mode() else y
