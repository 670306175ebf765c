"""Learning-rate schedules, one per optimizer group, stepped once per iteration by the
trainer.

``LinearDecay`` keeps PaddleGAN's rule (constant until ``start_epoch``, then linear to
zero over ``decay_epochs``), with ``iters_per_epoch`` filled in by the trainer from the
data loader, as PaddleGAN does.
"""
import math

from paddle.optimizer import lr as paddle_lr

from ..utils.registry import LR_SCHEDULERS


@LR_SCHEDULERS.register()
class LinearDecay(paddle_lr.LambdaDecay):
    def __init__(self, learning_rate: float, start_epoch: int, decay_epochs: int,
                 iters_per_epoch=1):
        self.start_epoch = start_epoch
        self.decay_epochs = decay_epochs
        self.iters_per_epoch = max(1, int(iters_per_epoch))
        super().__init__(learning_rate, self._factor)

    def _factor(self, step):
        epoch = step // self.iters_per_epoch
        return 1.0 - max(0, epoch + 1 - self.start_epoch) / float(self.decay_epochs + 1)


@LR_SCHEDULERS.register(aliases=("StepDecay",))
class MultiStepDecay(paddle_lr.MultiStepDecay):
    """Multiply the rate by ``gamma`` at each iteration in ``milestones``."""

    def __init__(self, learning_rate: float, milestones, gamma=0.1):
        super().__init__(learning_rate, milestones=list(milestones), gamma=gamma)


@LR_SCHEDULERS.register(aliases=("CosineAnnealingDecay",))
class CosineDecay(paddle_lr.LambdaDecay):
    """Cosine from ``learning_rate`` to ``eta_min`` over ``T_max`` iterations, with an
    optional linear warm-up."""

    def __init__(self, learning_rate: float, T_max: int, eta_min=0.0, warmup_iters=0):
        self.T_max, self.eta_min, self.warmup_iters = max(1, T_max), eta_min, warmup_iters
        self.base = learning_rate
        super().__init__(learning_rate, self._factor)

    def _factor(self, step):
        if step < self.warmup_iters:
            return (step + 1) / self.warmup_iters
        t = min(step, self.T_max) / self.T_max
        floor = self.eta_min / self.base if self.base else 0.0
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))


@LR_SCHEDULERS.register()
class ConstantLR(paddle_lr.LambdaDecay):
    def __init__(self, learning_rate: float):
        super().__init__(learning_rate, lambda step: 1.0)


def build_lr_scheduler(cfg, iters_per_epoch, total_iters):
    """From the config's ``lr_scheduler`` (a learning rate alone is a constant)."""
    from ..utils.registry import build

    cfg = dict(cfg)
    if cfg["name"] == "LinearDecay" or "iters_per_epoch" in cfg:
        cfg["iters_per_epoch"] = iters_per_epoch
    if cfg["name"] in ("CosineDecay", "CosineAnnealingDecay"):
        cfg.setdefault("T_max", total_iters)
    return build(cfg, LR_SCHEDULERS, "lr_scheduler")


DEFAULT_LEARNING_RATE = 2e-4


def group_schedule_configs(cfg, multipliers=None):
    """group -> the lr_scheduler config of each ``optimizer.<group>``.

    A group's own ``lr_scheduler`` wins; else the global ``lr_scheduler``, with the
    group's ``learning_rate`` as its base rate when the group gives one (the schedule's
    shape is shared, the rates differ: TTUR, StyleGAN2's lazy regularisation); else a
    constant ``learning_rate`` (default 2e-4). ``multipliers`` (group -> factor, from
    the model) scale the base rate.
    """
    from ..utils.errors import ConfigError

    shared = cfg.get("lr_scheduler")
    out = {}
    for group, opt_cfg in (cfg.get("optimizer") or {}).items():
        opt_cfg = opt_cfg or {}
        own, rate = opt_cfg.get("lr_scheduler"), opt_cfg.get("learning_rate")
        if own:
            sched = dict(own)
            if rate is not None and sched.get("learning_rate", rate) != rate:
                raise ConfigError(f"optimizer.{group} sets learning_rate {rate} and an "
                                  f"lr_scheduler with learning_rate "
                                  f"{sched['learning_rate']}: keep one of the two")
            sched.setdefault("learning_rate", rate)
        elif shared:
            sched = dict(shared)
            if rate is not None:
                sched["learning_rate"] = rate
        else:
            sched = {"name": "ConstantLR",
                     "learning_rate": DEFAULT_LEARNING_RATE if rate is None else rate}
        factor = (multipliers or {}).get(group, 1.0)
        if factor != 1.0:
            sched["learning_rate"] = sched["learning_rate"] * factor
        out[group] = sched
    return out


def build_lr_schedulers(cfg, iters_per_epoch, total_iters, multipliers=None):
    """group -> scheduler, one object per group (each is stepped once an iteration)."""
    return {group: build_lr_scheduler(sched, iters_per_epoch, total_iters)
            for group, sched in group_schedule_configs(cfg, multipliers).items()}
