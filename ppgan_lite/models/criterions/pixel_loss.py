"""Pixel-wise criterions under PaddleGAN's names: ``loss(pred, target)`` times ``loss_weight``.

``reduction`` is 'mean' (default), 'sum' or 'none' (element-wise, same shape as pred).
"""
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from ...utils.registry import CRITERIONS

REDUCTIONS = ("mean", "sum", "none")


class _PixelLoss(nn.Layer):
    def __init__(self, reduction="mean", loss_weight=1.0):
        super().__init__()
        name = type(self).__name__
        if reduction not in REDUCTIONS:
            raise ConfigError(f"{name} reduction '{reduction}' is unknown; use one of: "
                              f"{', '.join(REDUCTIONS)}")
        if loss_weight < 0:
            raise ConfigError(f"{name} loss_weight must be >= 0, got {loss_weight}")
        self.reduction = reduction
        self.loss_weight = float(loss_weight)

    def forward(self, pred, target):
        # PaddleGAN's versions also take and silently ignore **kwargs (e.g. weight=); here
        # such a call fails loudly instead of computing an unweighted loss.
        return self.loss_weight * self.compute(pred, target)

    def compute(self, pred, target):
        raise NotImplementedError


@CRITERIONS.register()
class L1Loss(_PixelLoss):
    """Mean absolute error."""

    def compute(self, pred, target):
        return F.l1_loss(pred, target, reduction=self.reduction)


@CRITERIONS.register()
class MSELoss(_PixelLoss):
    """Mean squared error."""

    def compute(self, pred, target):
        return F.mse_loss(pred, target, reduction=self.reduction)


@CRITERIONS.register()
class BCEWithLogitsLoss(_PixelLoss):
    """Binary cross-entropy on logits (numerically stable; no sigmoid before it)."""

    def compute(self, pred, target):
        return F.binary_cross_entropy_with_logits(pred, target, reduction=self.reduction)
