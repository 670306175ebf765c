"""Floating-point work of a training iteration, counted from the layers that run.

Convolutions, transposed convolutions and linear layers carry nearly all of a GAN's
arithmetic; forward hooks count their multiply-adds on the shapes actually used, and
a training iteration is taken as 3x its forward work (backward computes gradients for
inputs and weights, ~2x forward). The benchmark divides this by the time per
iteration to say how much of the machine's matmul speed a model reaches.
"""
import contextlib

import numpy as np
import paddle.nn as nn


def _conv_macs(layer, inputs, output):
    weight = layer.weight
    kernel = int(np.prod(weight.shape[2:]))
    if isinstance(layer, (nn.Conv2DTranspose, nn.Conv1DTranspose, nn.Conv3DTranspose)):
        # every input element is spread over out_channels/groups x kernel outputs
        x = inputs[0]
        return int(np.prod(x.shape)) * int(weight.shape[1]) * kernel
    in_per_group = int(weight.shape[1])
    return int(np.prod(output.shape)) * in_per_group * kernel


def _linear_macs(layer, inputs, output):
    return int(np.prod(output.shape)) * int(layer.weight.shape[0])


@contextlib.contextmanager
def count_macs(nets):
    """``with count_macs(model.nets) as counter: ...`` -> ``counter['macs']`` forward
    multiply-adds of every conv/linear call inside the block."""
    counter = {"macs": 0}
    handles = []

    def hook(layer, inputs, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        if isinstance(layer, nn.Linear):
            counter["macs"] += _linear_macs(layer, inputs, out)
        else:
            counter["macs"] += _conv_macs(layer, inputs, out)

    for net in nets:
        for layer in net.sublayers(include_self=True):
            if isinstance(layer, (nn.Conv1D, nn.Conv2D, nn.Conv3D, nn.Conv1DTranspose,
                                  nn.Conv2DTranspose, nn.Conv3DTranspose, nn.Linear)):
                handles.append(layer.register_forward_post_hook(hook))
    try:
        yield counter
    finally:
        for h in handles:
            h.remove()


def training_flops(forward_macs):
    """Forward multiply-adds of one iteration -> its FLOPs (2 per MAC, x3 for backward)."""
    return 2 * 3 * forward_macs
