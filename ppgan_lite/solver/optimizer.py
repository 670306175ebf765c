"""Optimizers by PaddleGAN's names; the config's keys are their constructor's."""
import paddle

from ..utils.registry import OPTIMIZERS

OPTIMIZERS.register("Adam")(paddle.optimizer.Adam)
OPTIMIZERS.register("AdamW")(paddle.optimizer.AdamW)
OPTIMIZERS.register("RMSProp", aliases=("RMSprop",))(paddle.optimizer.RMSProp)
OPTIMIZERS.register("SGD")(paddle.optimizer.SGD)
OPTIMIZERS.register("Momentum")(paddle.optimizer.Momentum)
