"""A Sequential that ``paddle.jit.to_static`` traces instead of rewriting."""
import sys

import paddle
import paddle.nn as nn


def trace_without_rewrite(module_name):
    """Let ``paddle.jit.to_static`` run the module's functions as plain Python.

    Nothing in these nets branches or loops on tensor values, so tracing needs no
    AST rewrite; skipping it (and using ``Sequential`` below) makes converting a
    Photo2Cartoon generator about 5x faster (ngf 8: 25 s -> 5 s on 2 busy cores).
    """
    paddle.jit.ignore_module([sys.modules[module_name]])


class Sequential(nn.Sequential):
    """nn.Sequential (same ``<index>.<name>`` keys) whose forward lives in a module
    that to_static traces without rewriting."""

    def forward(self, x):
        for layer in self._sub_layers.values():
            x = layer(x)
        return x


trace_without_rewrite(__name__)
