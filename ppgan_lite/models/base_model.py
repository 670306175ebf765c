"""The model contract, PaddleGAN's: the trainer only ever calls these methods.

A model owns ``nets`` (name -> paddle.nn.Layer; the names used by
``optimizer.<group>.net_names``), fills ``losses`` (name -> scalar tensor, every
term) and ``visual_items`` (name -> NCHW image tensor in [-1, 1]) and reads like
the paper's algorithm: forward, backward_D, backward_G, train_iter.
"""
from collections import OrderedDict

import paddle

from ..utils.errors import ConfigError
from ..utils.registry import OPTIMIZERS, build


class BaseModel:
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
        # columns of the sample grid (None: square); a conditional model puts a class a row
        self.sample_nrow = None

    # -- the contract -------------------------------------------------------
    def setup_input(self, batch):
        raise NotImplementedError

    def train_iter(self, optimizers=None):
        raise NotImplementedError

    def test_iter(self, metrics=None):
        """Fill ``visual_items`` without gradients and update ``metrics``."""
        with paddle.no_grad():
            self.forward()
        if metrics:
            for metric in metrics.values():
                metric.update_visuals(self.visual_items)

    def forward(self):
        raise NotImplementedError

    def sample(self, num, seed=None):
        """Images (NCHW, [-1, 1]) the generator makes from its input prior; used by
        the trainer's fixed sample grid and by applications/generate.py."""
        raise NotImplementedError

    # -- helpers for models and trainer -------------------------------------
    def setup_train_mode(self, is_train):
        self.is_train = is_train
        for net in self.nets.values():
            net.train() if is_train else net.eval()

    def setup_optimizers(self, lr_schedulers, cfg):
        """Build one optimizer per group in ``cfg`` over the parameters of its
        ``net_names``; ``lr_schedulers`` is one scheduler or a dict by group."""
        if not cfg:
            raise ConfigError("config needs an 'optimizer' section")
        for group, opt_cfg in cfg.items():
            opt_cfg = dict(opt_cfg)
            net_names = opt_cfg.pop("net_names", None)
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
        """``optimizers[group].step()``; under AMP the scaler unscales, skips steps
        with inf/NaN gradients and adapts its scale."""
        scaler = self.scalers.get(group)
        if scaler is None:
            optimizers[group].step()
        else:
            scaler.step(optimizers[group])
            scaler.update()

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
