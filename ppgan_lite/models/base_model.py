"""The model contract: what the trainer, export, generation and the predictors may ask
of a model, and nothing else (docs/adding_a_model.md walks through a new one).

A model is PaddleGAN's shape of one:

* ``nets`` (name -> ``paddle.nn.Layer``): every net, under the names that
  ``optimizer.<group>.net_names`` and checkpoints use;
* ``optimizer_groups`` (class attribute, group -> default net names): the optimizer
  groups ``train_iter`` steps. Configs are checked against it before any work, and a
  group that gives no ``net_names`` gets these;
* ``setup_input(batch)``, ``forward()``, ``train_iter(optimizers)`` (abstract), and
  ``test_iter(metrics)``; ``batch_inputs()`` says what ``setup_input`` takes (batch key,
  kind, per-sample shape), so the trainer can check the data against the model before
  the first step;
* ``losses`` (name -> scalar tensor, *every* term, logged each interval) and
  ``visual_items`` (name -> NCHW image tensor in [-1, 1]);
* ``generator_nets`` (class attribute, net -> ``GeneratorNet``: the kinds of input it
  takes and what it does, the main one first; enough to pick a net from a checkpoint
  without building the model) and ``generator_inputs(net)`` (its inputs with their
  shapes, which depend on the config) make ``generators``, one ``GeneratorSpec`` each. Export, ``applications/generate.py``
  and the predictors read these and nothing else; ``generator_layer(net)`` is the Layer
  they call with those inputs (a wrapper where the net's own forward takes more);
* ``sample_inputs(num, seed, **condition)`` -> the generator's inputs as numpy arrays
  (noise from the prior, labels, images), ``generate(inputs)`` -> images, and
  ``sample(num, seed=0, **condition)`` -> the picture a person looks at (generated
  images, or inputs beside their translations); ``sample_condition(batch)`` is what the
  trainer's fixed sample grid passes as condition, ``sample_nrow(num)`` its columns;
* ``after_step(group)``: what follows an optimizer step of ``group`` (weight clipping,
  a generator's moving average, the rho clipper), called by ``step``;
* ``extra_state()`` / ``set_extra_state(state)``: training state that is neither a net
  nor an optimizer (an image pool), saved in checkpoints so a resume is exact.

A model file reads top to bottom like the paper's algorithm box: forward, backward_D,
backward_G, train_iter.
"""
import contextlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import paddle

from ..utils.errors import ConfigError, DataError
from ..utils.registry import OPTIMIZERS, build

INPUT_KINDS = ("noise", "image", "labels", "scalar")


@dataclass(frozen=True)
class NetInput:
    """One input of a generator, per sample (the batch dimension is left out).

    kind: 'noise' (standard normal draws), 'image' (NCHW in [-1, 1]; an H or W of None
    takes any size), 'labels' (one-hot or multi-hot float vectors; a data batch may give
    class indices instead) or 'scalar' (one number per sample, such as a truncation).
    """
    name: str
    kind: str
    shape: tuple

    def __post_init__(self):
        if self.kind not in INPUT_KINDS:
            raise ValueError(f"NetInput kind '{self.kind}' is not one of {INPUT_KINDS}")

    def describe(self):
        dims = ", ".join("any" if d is None else str(d) for d in self.shape)
        return f"{self.name} ({self.kind}, N x [{dims}])"


@dataclass(frozen=True)
class GeneratorNet:
    """What a model class says of one of its generator nets: the kinds of its inputs,
    in order, and what it does."""
    takes: tuple
    does: str = ""


@dataclass(frozen=True)
class GeneratorSpec:
    """A generator net of a model and its inputs, in the order it takes them."""
    net: str
    inputs: tuple
    description: str = ""

    def input(self, kind):
        """The first input of ``kind``, or None."""
        return next((i for i in self.inputs if i.kind == kind), None)

    @property
    def takes_images(self):
        return self.input("image") is not None


class BaseModel(ABC):
    #: group -> the nets it steps by default (a config's net_names may differ)
    optimizer_groups = {}
    #: generator net -> GeneratorNet (its input kinds, what it does), the main one first
    generator_nets = {}
    #: True where setup_input keeps the first channels of a wider image (DCGAN's gray
    #: MNIST recipe reads its PNGs as 3 channels, as PaddleGAN's does)
    keeps_first_channels = False

    def __init__(self):
        self.nets = OrderedDict()
        self.optimizers = OrderedDict()
        self.losses = OrderedDict()
        self.visual_items = OrderedDict()
        self.is_train = True
        # set by the trainer before each train_iter: schedules inside a model (WGAN's
        # n_critic, for one) derive from it, so they resume exactly
        self.current_iter = 0
        # one paddle.amp.GradScaler per optimizer group under --amp (set by the trainer)
        self.scalers = {}

    # -- training: the trainer calls these -----------------------------------
    @abstractmethod
    def setup_input(self, batch):
        """Take what this step needs from a data batch (dict of tensors and paths)."""

    @abstractmethod
    def forward(self):
        """Run the generator(s) on the current input; fill ``visual_items``."""

    @abstractmethod
    def train_iter(self, optimizers=None):
        """One training iteration: forward, then each optimizer group's step."""

    @abstractmethod
    def batch_inputs(self):
        """What ``setup_input`` takes from a data batch: a tuple of NetInput named by
        batch key (``A``, ``B``, ``label``)."""

    def test_iter(self, metrics=None):
        """Fill ``visual_items`` without gradients and update ``metrics``."""
        with paddle.no_grad():
            self.forward()
        self.update_metrics(metrics)

    def update_metrics(self, metrics):
        for metric in (metrics or {}).values():
            metric.update_visuals(self.visual_items)

    def after_step(self, group):
        """Called after every optimizer step of ``group``; nothing by default."""

    def learning_rate_multipliers(self):
        """group -> factor on its configured learning rate (StyleGAN2's lazy
        regularisation steps less often, so it scales its rates); none by default."""
        return {}

    def extra_state(self):
        """Training state beyond nets and optimizers, for checkpoints: a dict of
        numpy arrays and JSON values."""
        return {}

    def set_extra_state(self, state):
        """Restore what ``extra_state`` returned."""

    # -- generation: export, generate.py, predictors and sample grids --------
    @abstractmethod
    def generator_inputs(self, net):
        """The inputs generator ``net`` takes, in order: a tuple of NetInput."""

    @property
    def generators(self):
        """One GeneratorSpec per generator net, the main one first."""
        return tuple(GeneratorSpec(net, tuple(self.generator_inputs(net)), declared.does)
                     for net, declared in self.generator_nets.items())

    def generator_spec(self, net=None):
        specs = self.generators
        if net is None:
            return specs[0]
        for spec in specs:
            if spec.net == net:
                return spec
        raise ConfigError(f"{type(self).__name__} has no generator '{net}'; its generators "
                          f"are {', '.join(s.net for s in specs)}")

    def generator_layer(self, net):
        """The Layer to call with the spec's inputs, in order; the first output (or
        the output) is the image."""
        return self.nets[net]

    def sample_inputs(self, num, seed=0, **condition):
        """Inputs of the main generator for ``num`` samples, as float32 arrays by
        input name. The default draws every 'noise' input from numpy's RandomState
        (paddle's global generator is left alone, so training stays reproducible);
        other inputs must be given as conditions of the same name."""
        spec = self.generator_spec()
        rng = np.random.RandomState(seed)
        inputs = {}
        for item in spec.inputs:
            if item.name in condition:
                inputs[item.name] = np.asarray(condition.pop(item.name), dtype="float32")
            elif item.kind == "noise":
                inputs[item.name] = rng.standard_normal((num, *item.shape)).astype("float32")
            else:
                raise DataError(f"{type(self).__name__}.sample needs '{item.name}' "
                                f"({item.describe()})")
        if condition:
            raise DataError(f"{type(self).__name__}.sample does not take "
                            f"{', '.join(sorted(condition))}; it takes "
                            f"{', '.join(i.name for i in spec.inputs)}")
        return inputs

    def generate(self, inputs, net=None):
        """The images ``net`` (default: the main generator) makes from ``inputs``
        (arrays or tensors by input name), in eval mode and without gradients."""
        spec = self.generator_spec(net)
        missing = [i.name for i in spec.inputs if i.name not in inputs]
        if missing:
            raise DataError(f"generator {spec.net} needs inputs {', '.join(missing)}")
        args = [_as_tensor(inputs[i.name]) for i in spec.inputs]
        with self.eval_mode():
            out = self.generator_layer(spec.net)(*args)
        return out[0] if isinstance(out, (tuple, list)) else out

    def sample(self, num, seed=0, **condition):
        """Images (NCHW, [-1, 1]) for a person to look at: ``num`` generated ones."""
        return self.generate(self.sample_inputs(num, seed, **condition))

    def sample_condition(self, batch):
        """Conditions the trainer's fixed sample grid passes to ``sample``, taken
        from a fixed data batch; noise models need none."""
        return {}

    def sample_nrow(self, num):
        """Columns of the sample grid of ``num`` images (None: square)."""
        return None

    @contextlib.contextmanager
    def eval_mode(self):
        """Every net in eval mode and no gradients inside; the previous modes after."""
        modes = {name: net.training for name, net in self.nets.items()}
        for net in self.nets.values():
            net.eval()
        try:
            with paddle.no_grad():
                yield
        finally:
            for name, net in self.nets.items():
                net.train() if modes[name] else net.eval()

    # -- helpers for models and trainer -------------------------------------
    def setup_train_mode(self, is_train):
        self.is_train = is_train
        for net in self.nets.values():
            net.train() if is_train else net.eval()

    def setup_optimizers(self, lr_schedulers, cfg):
        """One optimizer per group of ``cfg`` over the parameters of its
        ``net_names`` (default: the group's nets in ``optimizer_groups``);
        ``lr_schedulers`` maps each group to its learning rate or scheduler (one rate
        or scheduler serves every group)."""
        if not cfg:
            raise ConfigError("config needs an 'optimizer' section")
        for group, opt_cfg in cfg.items():
            opt_cfg = {k: v for k, v in dict(opt_cfg).items()
                       if k not in ("learning_rate", "lr_scheduler")}
            net_names = opt_cfg.pop("net_names", None) or self.optimizer_groups.get(group)
            if not net_names:
                raise ConfigError(f"optimizer.{group} needs 'net_names' "
                                  f"(choose from {', '.join(self.nets)})")
            params = []
            for name in net_names:
                if name not in self.nets:
                    raise ConfigError(
                        f"optimizer.{group}.net_names names '{name}', which this model "
                        f"does not have; its nets are {', '.join(self.nets)}")
                params += self.nets[name].parameters()
            lr = lr_schedulers[group] if isinstance(lr_schedulers, dict) else lr_schedulers
            self.optimizers[group] = build(opt_cfg, OPTIMIZERS, f"optimizer.{group}",
                                           learning_rate=lr, parameters=params)
        return self.optimizers

    def backward(self, loss, group):
        """``loss.backward()``, scaled by the group's GradScaler under AMP."""
        scaler = self.scalers.get(group)
        (scaler.scale(loss) if scaler is not None else loss).backward()

    def step(self, optimizers, group):
        """``optimizers[group].step()`` then ``after_step(group)``; under AMP the
        scaler unscales, skips steps with inf/NaN gradients and adapts its scale."""
        scaler = self.scalers.get(group)
        if scaler is None:
            optimizers[group].step()
        else:
            scaler.step(optimizers[group])
            scaler.update()
        self.after_step(group)

    @staticmethod
    def set_requires_grad(nets, requires_grad):
        nets = nets if isinstance(nets, (list, tuple)) else [nets]
        for net in nets:
            if net is not None:
                for p in net.parameters():
                    p.stop_gradient = not requires_grad

    def get_current_losses(self):
        return {k: float(v) for k, v in self.losses.items()}

    def get_current_visuals(self):
        return self.visual_items


def _as_tensor(value):
    if isinstance(value, paddle.Tensor):
        return value
    array = np.asarray(value)
    return paddle.to_tensor(array.astype("float32") if array.dtype.kind == "f" else array)
