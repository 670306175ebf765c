"""What a checkpoint holds of the model and its optimizers, under stable names.

Paddle names optimizer state after auto-generated parameter names (``conv2d_3.w_0``)
that depend on how many layers the process built before; a checkpoint stores it
under the structured names instead (``netG/conv.weight``), so it resumes in any
process.
"""
import math
import random

import numpy as np
import paddle

from ..utils.checkpoint import place_weights
from ..utils.errors import ConfigError


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    paddle.seed(seed)


def model_state(model):
    return {name: net.state_dict() for name, net in model.nets.items()}


def _param_names(model):
    """{paddle auto name: 'net/structured.name'} for every parameter."""
    names = {}
    for net_name, net in model.nets.items():
        for key, param in net.named_parameters():
            names[param.name] = f"{net_name}/{key}"
    return names


def _rename(state, mapping):
    out = {}
    by_length = sorted(mapping, key=len, reverse=True)
    for key, value in state.items():
        if isinstance(value, dict):
            out[key] = _rename(value, mapping)
            continue
        for auto in by_length:
            if key == auto or key.startswith(auto + "_"):
                key = mapping[auto] + "|" + key[len(auto):]
                break
        out[key] = value
    return out


def optimizer_state(model, optimizers):
    mapping = _param_names(model)
    return {group: _rename(opt.state_dict(), mapping) for group, opt in optimizers.items()}


def apply_optimizer_state(model, optimizers, saved):
    reverse = {v: k for k, v in _param_names(model).items()}

    def restore(state):
        out = {}
        for key, value in state.items():
            if isinstance(value, dict):
                out[key] = restore(value)
                continue
            if "|" in key:
                structured, suffix = key.split("|", 1)
                if structured in reverse:
                    key = reverse[structured] + suffix
            out[key] = paddle.to_tensor(value) if isinstance(value, np.ndarray) else value
        return out

    for group, opt in optimizers.items():
        if group in saved:
            # Paddle wants the schedule's state here for any scheduler but LambdaDecay
            # (MultiStepDecay, StyleGAN2's); the trainer restores each schedule after
            opt.set_state_dict(restore(saved[group]))


def describe_nan(losses):
    """'G_adv_loss = nan' for the first non-finite loss, else None."""
    for key, value in losses.items():
        if not math.isfinite(value):
            return f"'{key}' = {value}"
    return None


def learning_rates(schedulers):
    """{'lr': rate} when every group runs at the same rate, else {'lr_<group>': rate}."""
    rates = {group: float(sched()) for group, sched in schedulers.items()}
    if len(set(rates.values())) <= 1:
        return {"lr": next(iter(rates.values()))} if rates else {}
    return {f"lr_{group}": rate for group, rate in rates.items()}


def restore_schedules(schedulers, state):
    """Each group's schedule from a checkpoint; checkpoints written before schedules
    were per group hold one ``lr_scheduler`` state, which every group takes."""
    saved = state.get("lr_schedulers")
    if saved is None and state.get("lr_scheduler"):
        saved = {group: state["lr_scheduler"] for group in schedulers}
    for group, scheduler in schedulers.items():
        if (saved or {}).get(group):
            scheduler.set_state_dict(saved[group])


def place_nets(model, nets, path):
    """Weights by net name into the model's nets; a file of one net's parameters (a
    PaddleGAN .pdparams) is the main generator's."""
    if set(nets) == {""}:
        nets = {model.generator_spec().net: nets[""]}
    for name, params in nets.items():
        if name not in model.nets:
            raise ConfigError(f"'{path}' has weights for net '{name}', which this "
                              f"model lacks (it has {', '.join(model.nets)})")
        place_weights(model.nets[name], params, path, name)


def restore_training_state(model, optimizers, schedulers, state, path):
    """Nets, optimizer moments, each group's schedule, the model's own state and the
    AMP loss scales of a checkpoint."""
    place_nets(model, state["nets"], path)
    apply_optimizer_state(model, optimizers, state.get("optimizers", {}))
    restore_schedules(schedulers, state)
    model.set_extra_state(state.get("model_state") or {})
    for group, scaler_state in (state.get("scalers") or {}).items():
        if group in model.scalers:  # the loss scale continues where it was
            model.scalers[group].load_state_dict(scaler_state)
