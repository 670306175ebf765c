"""Progressive growing of GANs (Karras et al. 2018, "Progressive Growing of GANs for
Improved Quality, Stability, and Variation"), as the official code trains it
(tkarras/progressive_growing_of_gans ``train.py``, ``loss.py``, ``config.py``).

Per iteration, at the level and fade-in ``alpha`` that ``GrowthSchedule`` gives for
``current_iter``:

1. the first ``batch`` images of the data batch (the loader's batch is fixed: set it to
   the largest per-level batch) are box-filtered to the level's resolution, blended
   with their own 2x-coarser version by ``1 - alpha`` and upsampled back (the official
   ``process_reals``, its lod input);
2. D step, WGAN-GP with drift: ``D(fake) - D(real) + lambda (||grad D(x^)|| - 1)^2 +
   epsilon D(real)^2`` (``D_wgangp_acgan``, lambda 10, epsilon 0.001);
3. G step on fresh latents: ``-D(G(z))`` (``G_wgan_acgan``); then the moving average
   ``netG_ema = lerp(netG, netG_ema, G_smoothing)`` (0.999), which samples and exports.

At the first iteration of every phase after the first (a fade-in starts, or ends) both
optimizers' state is reset (``reset_opt_for_new_lod = True``, the official default:
Adam's moments to 0 and its beta powers to their start). Every parameter takes part in
every loss (unused levels with weight 0), so Adam holds state for all of them from the
first step and checkpoints keep one layout.
"""
import paddle

from ..utils.errors import ConfigError
from ..utils.logger import get_logger
from ..utils.registry import DISCRIMINATORS, GENERATORS, MODELS, build
from .base_model import BaseModel, GeneratorNet, NetInput
from .criterions.gan_loss import gradient_penalty
from .layers.progressive import downscale, fade, upscale
from .pggan_schedule import GrowthSchedule


@MODELS.register()
class PGGANModel(BaseModel):
    optimizer_groups = {"optimG": ("netG",), "optimD": ("netD",)}
    generator_nets = {
        "netG_ema": GeneratorNet(("noise",), "latent -> image (moving average of netG)"),
        "netG": GeneratorNet(("noise",), "latent -> image"),
    }

    def __init__(self, generator, discriminator=None, lod_initial_resolution=4,
                 lod_training_kimg=600, lod_transition_kimg=600, minibatch_base=16,
                 minibatch_dict=None, G_smoothing=0.999, wgan_lambda=10.0, wgan_epsilon=0.001,
                 reset_opt_for_new_lod=True):
        super().__init__()
        self.nets["netG"] = build(generator, GENERATORS, "model.generator")
        self.nets["netG_ema"] = build(generator, GENERATORS, "model.generator")
        self.nets["netG_ema"].set_state_dict(self.nets["netG"].state_dict())
        netG = self.nets["netG"]
        group = 1
        if discriminator:
            self.nets["netD"] = build(discriminator, DISCRIMINATORS, "model.discriminator")
            netD = self.nets["netD"]
            if (netD.resolution, netD.num_channels) != (netG.resolution, netG.num_channels):
                raise ConfigError(
                    f"PGGANModel's discriminator takes {netD.num_channels}x{netD.resolution}"
                    f"x{netD.resolution} images, its generator makes {netG.num_channels}x"
                    f"{netG.resolution}x{netG.resolution}: give both the same resolution "
                    f"and num_channels")
            group = max(1, netD.mbstd_group_size)
        if not 0.0 <= G_smoothing < 1.0:
            raise ConfigError(f"PGGANModel G_smoothing must be in [0, 1), got {G_smoothing!r}")
        self.schedule = GrowthSchedule(netG.resolution, lod_initial_resolution,
                                       lod_training_kimg, lod_transition_kimg, minibatch_base,
                                       minibatch_dict, batch_multiple=group)
        self.G_smoothing = float(G_smoothing)
        self.wgan_lambda = float(wgan_lambda)
        self.wgan_epsilon = float(wgan_epsilon)
        self.reset_opt_for_new_lod = bool(reset_opt_for_new_lod)
        self._warned_short_batch = False
        self.set_level(*self.schedule.at(0)[:2])

    def batch_inputs(self):
        netG = self.nets["netG"]
        return (NetInput("A", "image", (netG.num_channels, netG.resolution, netG.resolution)),)

    def setup_input(self, batch):
        data, channels = batch["A"], self.nets["netG"].num_channels
        self.data = data[:, :channels] if data.shape[1] > channels else data
        self.image_paths = batch.get("A_path")

    def set_level(self, level, alpha):
        for net in self.nets.values():
            net.set_level(level, alpha)

    # ------------------------------------------------------------- the algorithm
    def take_batch(self, batch):
        """The first ``batch`` images of the data batch (all of it if it is shorter)."""
        if self.data.shape[0] < batch and not self._warned_short_batch:
            self._warned_short_batch = True
            get_logger().warning(f"PGGANModel: the data batch has {self.data.shape[0]} "
                                 f"images, the schedule asks for {batch} at this level; set "
                                 f"dataset.train.batch_size to the largest per-level batch")
        return self.data[:batch]

    def process_reals(self, real, level, alpha):
        """Real images at ``level``, faded with their 2x-coarser version by 1 - alpha,
        at the nets' resolution (the official FadeLOD + UpscaleLOD)."""
        steps = self.nets["netG"].max_level - level
        x = downscale(real, steps)
        if alpha < 1.0:
            x = fade(x, upscale(downscale(x)), alpha)
        return upscale(x, steps)

    def noise(self, n):
        return paddle.randn([n, self.nets["netG"].latent_size])

    def forward(self):
        level, alpha, batch = self.schedule.at(self.current_iter)
        self.set_level(level, alpha)
        self.real = self.process_reals(self.take_batch(batch), level, alpha)
        with paddle.no_grad():  # D's fakes; the G step draws its own latents
            self.fake = self.nets["netG"](self.noise(self.real.shape[0]))
        self.visual_items["real"] = self.real
        self.visual_items["fake"] = self.fake.clip(-1.0, 1.0)

    def backward_D(self):
        netD = self.nets["netD"]
        real_scores = netD(self.real)
        fake_scores = netD(self.fake.detach())
        loss_real = -real_scores.mean()
        loss_fake = fake_scores.mean()
        gp = gradient_penalty(netD, self.real, self.fake, self.wgan_lambda)
        drift = self.wgan_epsilon * (real_scores * real_scores).mean()
        loss_D = loss_fake + loss_real + gp + drift + every_parameter_times_zero(netD)
        self.losses["D_real_loss"] = loss_real
        self.losses["D_fake_loss"] = loss_fake
        self.losses["D_gp_loss"] = gp
        self.losses["D_drift_loss"] = drift
        self.backward(loss_D, "optimD")

    def backward_G(self):
        fake = self.nets["netG"](self.noise(self.real.shape[0]))
        loss_G = -self.nets["netD"](fake).mean()
        self.losses["G_adv_loss"] = loss_G
        self.backward(loss_G + every_parameter_times_zero(self.nets["netG"]), "optimG")

    def train_iter(self, optimizers=None):
        optimizers = optimizers or self.optimizers
        if self.reset_opt_for_new_lod and self.schedule.starts_phase(self.current_iter):
            for group in ("optimD", "optimG"):
                reset_optimizer_state(optimizers[group])
        self.forward()

        self.set_requires_grad(self.nets["netD"], True)
        optimizers["optimD"].clear_grad()
        self.backward_D()
        self.step(optimizers, "optimD")

        self.set_requires_grad(self.nets["netD"], False)
        optimizers["optimG"].clear_grad()
        self.backward_G()
        self.step(optimizers, "optimG")
        # the level of detail, logged as the official code's Progress/lod
        self.losses["lod"] = self.schedule.lod(self.current_iter)

    def after_step(self, group):
        if group == "optimG":
            self.update_ema()

    @paddle.no_grad()
    def update_ema(self):
        """netG_ema <- netG + (netG_ema - netG) * G_smoothing (the official
        ``setup_as_moving_average_of``); the lod buffer is set, not averaged."""
        beta = self.G_smoothing
        for ema, param in zip(self.nets["netG_ema"].parameters(),
                              self.nets["netG"].parameters()):
            ema.set_value(param + (ema - param) * beta)

    # ------------------------------------------------------------ checkpoints
    def extra_state(self):
        level, alpha, batch = self.schedule.at(self.current_iter)
        return {"pggan": {"iter": int(self.current_iter), "level": level, "alpha": alpha,
                          "batch": batch}}

    def set_extra_state(self, state):
        saved = (state or {}).get("pggan")
        if not saved:
            return
        iteration = int(saved["iter"])
        level, alpha, batch = self.schedule.at(iteration)
        if (level, batch) != (saved["level"], saved["batch"]) \
                or abs(alpha - saved["alpha"]) > 1e-9:
            res = 4 * 2 ** int(saved["level"])
            raise ConfigError(
                f"the checkpoint was at {res}x{res}, alpha {saved['alpha']:.4f}, batch "
                f"{saved['batch']} at iteration {iteration}; this config's schedule gives "
                f"{4 * 2 ** level}x{4 * 2 ** level}, alpha {alpha:.4f}, batch {batch}: "
                f"resume with the schedule it was trained with")
        self.current_iter = iteration
        self.set_level(level, alpha)

    # ------------------------------------------------------------- generation
    def generator_inputs(self, net):
        return (NetInput("latent", "noise", (self.nets[net].latent_size,)),)

    def generator_layer(self, net):
        """The net's image clipped to [-1, 1] (its last layer is linear; the official
        code clips when it writes pictures): what export, generation and the sample
        grid call. Samples are the current level's images at the final size (nearest
        upsampling), so every level's grid has one size."""
        return ClippedPGGANGenerator(self.nets[net])


class ClippedPGGANGenerator(paddle.nn.Layer):
    """A PGGANGenerator whose image is clipped to [-1, 1] (``net``: its weights)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, latent):
        return self.net(latent).clip(-1.0, 1.0)


def every_parameter_times_zero(net):
    """0 * the sum of every parameter: a gradient (of 0) for the layers of levels not
    running yet, so the optimizer holds state for every parameter from the first step.
    Adam moves a parameter whose moments are 0 by exactly 0."""
    return paddle.add_n([p.sum() for p in net.parameters()]) * 0.0


@paddle.no_grad()
def reset_optimizer_state(optimizer):
    """Adam's state back to where a fresh optimizer starts, in place: moments 0, beta
    powers beta1 and beta2 (the official ``reset_optimizer_state``). The tensors
    ``state_dict`` returns are the optimizer's own (or, before its first step after
    ``set_state_dict``, the ones it will load)."""
    betas = {"beta1_pow_acc": getattr(optimizer, "_beta1", 0.9),
             "beta2_pow_acc": getattr(optimizer, "_beta2", 0.999)}
    for key, value in optimizer.state_dict().items():
        if not isinstance(value, paddle.Tensor):
            continue  # the learning-rate schedule's state
        fill = next((float(b) for name, b in betas.items() if name in key), 0.0)
        value.set_value(paddle.full(value.shape, fill, dtype=value.dtype))
