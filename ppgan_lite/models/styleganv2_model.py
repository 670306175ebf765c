"""StyleGAN2 (Karras et al. 2020) with its training recipe: non-saturating logistic
loss, lazy R1 on D, lazy path-length regularisation on G, style mixing, and a moving
average of G (``gen_ema``) that sampling, validation and export use.

Per iteration (StyleGAN2 appendix B; rosinality's train.py has the same order):
1. D step: logistic loss on a real batch and a batch of (no-grad) fakes;
2. every ``disc_iters`` iterations a separate D step on R1 = E||grad D(x_real)||^2,
   weighted r1_reg_weight / 2 x disc_iters;
3. G step: non-saturating loss on fresh fakes;
4. every ``gen_iters`` iterations a separate G step on the path-length penalty of a
   batch / ``path_batch_shrink``, weighted path_reg_weight x gen_iters;
5. the moving average of G takes one step.
Latents are mixed (two z, a random crossover layer) with probability ``mixing_prob``.

``gan_criterion: {name: GANLoss, gan_mode: wgangp}`` trains D as a WGAN-GP critic
instead (NVlabs' ``D_wgan_gp`` / ``G_wgan``): D(fake) - D(real) + wgan_lambda x
(||grad D(x^)|| - 1)^2 at real/fake interpolates + wgan_epsilon x D(real)^2 in the D
step, -D(G(z)) for G. Its penalty is computed every step, so such configs set
r1_reg_weight 0. On short, small runs (the 32-px digits recipe) the logistic loss
saturates and D stops telling a collapsed batch from a varied one; the critic keeps
giving G a gradient (docs/models/stylegan2.md).

Kept from PaddleGAN (ppgan/models/styleganv2_model.py): the names and config keys, the
penalties' formulas, the EMA decay (default), the lr x c / (c + 1) correction (here
through ``learning_rate_multipliers``). Fixed: the penalties are their own optimizer
steps, as the official code, so the lazy-regularisation corrections mean what they
should (PaddleGAN adds them to the main loss and steps once); the D step's fakes are
made without a generator graph; mixing draws from paddle's generator (PaddleGAN uses
Python's ``random`` inside the net), so a checkpoint resumes the same draws;
``max_eval_steps`` is accepted and the trainer validates on the whole test set.
"""
import zlib

import numpy as np
import paddle

from ..utils.errors import ConfigError, DataError
from ..utils.registry import CRITERIONS, DISCRIMINATORS, GENERATORS, MODELS, build
from .base_model import BaseModel, GeneratorNet, NetInput
from .criterions.gan_loss import gradient_penalty
from .diffaugment import diff_augment, parse_policy
from .styleganv2_parts import (LogisticGANLoss, MeanLatentCache, TruncatedGenerator,
                               ema_beta, lazy_ratio, path_length_penalty, r1_penalty,
                               update_ema)

PARAMS = {"gen_iters": 4, "disc_iters": 16,
          # read by PaddleGAN and never acted on there either
          "disc_start_iters": 0, "visual_iters": 500}
# kept between regularisation steps, so every log line has every term
HELD_TERMS = ("D_r1", "G_path", "path_length")


@MODELS.register()
class StyleGAN2Model(BaseModel):
    optimizer_groups = {"optimG": ("gen",), "optimD": ("disc",)}
    generator_nets = {
        "gen_ema": GeneratorNet(("noise", "scalar"),
                                "z + truncation -> image (moving average of gen)"),
        "gen": GeneratorNet(("noise", "scalar"), "z + truncation -> image (trained net)")}

    def __init__(self, generator, discriminator=None, gan_criterion=None,
                 num_style_feat=None, mixing_prob=0.9, r1_reg_weight=10.0,
                 path_reg_weight=2.0, path_batch_shrink=2.0, params=None,
                 max_eval_steps=50000, path_length_decay=0.01, ema_kimg=None,
                 ema_rampup=None, diffaugment=None, wgan_lambda=10.0, wgan_epsilon=0.001,
                 D_repeats=1):
        super().__init__()
        self.nets["gen"] = build(generator, GENERATORS, "model.generator")
        if discriminator:
            self.nets["disc"] = build(discriminator, DISCRIMINATORS, "model.discriminator")
        self.nets["gen_ema"] = build(generator, GENERATORS, "model.generator")
        self.nets["gen_ema"].set_state_dict(self.nets["gen"].state_dict())
        self.nets["gen_ema"].eval()
        self.set_requires_grad(self.nets["gen_ema"], False)  # averaged, never trained

        gen = self.nets["gen"]
        self.style_dim, self.size, self.n_latent = gen.style_dim, gen.size, gen.n_latent
        if num_style_feat is not None and num_style_feat != self.style_dim:
            raise ConfigError(f"model.num_style_feat {num_style_feat} differs from the "
                              f"generator's style_dim {self.style_dim}: drop it or make "
                              f"them equal")
        settings = dict(PARAMS)
        for key, value in (params or {}).items():
            if key not in PARAMS:
                raise ConfigError(f"unknown model.params key '{key}': StyleGAN2Model "
                                  f"reads {', '.join(PARAMS)}")
            settings[key] = value
        self.gen_iters, self.disc_iters = int(settings["gen_iters"]), int(settings["disc_iters"])
        if self.gen_iters < 1 or self.disc_iters < 1:
            raise ConfigError(f"model.params gen_iters / disc_iters must be >= 1, got "
                              f"{self.gen_iters} / {self.disc_iters}")
        if not 0 <= mixing_prob <= 1:
            raise ConfigError(f"model.mixing_prob must be in [0, 1], got {mixing_prob}")
        self.mixing_prob = float(mixing_prob)
        self.r1_reg_weight, self.path_reg_weight = float(r1_reg_weight), float(path_reg_weight)
        self.path_batch_shrink = path_batch_shrink
        self.path_length_decay = float(path_length_decay)
        self.ema_kimg, self.ema_rampup = ema_kimg, ema_rampup
        self.diffaugment = parse_policy(diffaugment)
        self.max_eval_steps = max_eval_steps
        self.gan_criterion = _build_criterion(gan_criterion)
        self.wgangp = getattr(self.gan_criterion, "gan_mode", None) == "wgangp"
        if wgan_lambda < 0 or wgan_epsilon < 0:
            raise ConfigError(f"model.wgan_lambda / wgan_epsilon must be >= 0, got "
                              f"{wgan_lambda} / {wgan_epsilon}")
        self.wgan_lambda, self.wgan_epsilon = float(wgan_lambda), float(wgan_epsilon)
        if int(D_repeats) != D_repeats or D_repeats < 1:
            raise ConfigError(f"model.D_repeats must be a whole number >= 1, got {D_repeats}")
        self.D_repeats = int(D_repeats)
        self.mean_path_length = 0.0
        self._mean_latents = {net: MeanLatentCache() for net in self.generator_nets}
        self._last_g_step = False

    # ------------------------------------------------------------ data
    def batch_inputs(self):
        return (NetInput("A", "image", (3, self.size, self.size)),)

    def setup_input(self, batch):
        real = batch["A"]
        if list(real.shape[1:]) != [3, self.size, self.size]:  # G draws RGB
            raise DataError(f"StyleGAN2Model takes RGB {self.size}x{self.size} images (the "
                            f"generator's size); the data gives {list(real.shape[1:])}: "
                            f"resize the data, or set channels: 3 on a gray data set")
        self.real = real
        self.image_paths = batch.get("A_path")

    def latent_codes(self, batch):
        """([z] or [z1, z2], crossover layer or None): two codes with probability
        ``mixing_prob`` (StyleGAN sec. 3.1), drawn from paddle's generator."""
        if self.mixing_prob > 0 and float(paddle.rand([])) < self.mixing_prob:
            inject = int(paddle.randint(1, self.n_latent, []))
            return [paddle.randn([batch, self.style_dim]) for _ in range(2)], inject
        return [paddle.randn([batch, self.style_dim])], None

    def forward(self):
        """``gen_ema``'s images for the current batch (validation and its metrics),
        their z fixed by the batch's file names so every validation sees the same."""
        n = self.real.shape[0]
        key = "|".join(map(str, self.image_paths or [n]))
        z = np.random.RandomState(zlib.crc32(key.encode())).standard_normal(
            (n, self.style_dim)).astype("float32")
        self.visual_items["real"] = self.real
        self.visual_items["fake"] = self.generate(
            {"z": z, "truncation": np.ones((n, 1), "float32")})

    # ------------------------------------------------------------ D
    def discriminate(self, images):
        """D's logits, on images augmented by ``diffaugment`` when it is set (the same
        policy for real and fake, in every term: Zhao et al. 2020)."""
        if self.diffaugment:
            images = diff_augment(images, self.diffaugment)
        return self.nets["disc"](images)

    def backward_D(self):
        with paddle.no_grad():
            codes, inject = self.latent_codes(self.real.shape[0])
            fake, _ = self.nets["gen"](codes, inject_index=inject)
        real_pred = self.discriminate(self.real)
        fake_pred = self.discriminate(fake)
        loss = (self.gan_criterion(real_pred, True, is_disc=True)
                + self.gan_criterion(fake_pred, False, is_disc=True))
        if self.wgangp:  # the critic's Lipschitz penalty and drift, in the same step
            gp = gradient_penalty(self.discriminate, self.real, fake, self.wgan_lambda)
            drift = self.wgan_epsilon * (real_pred * real_pred).mean()
            self.losses["D_gp"] = gp.detach()
            self.losses["D_drift"] = drift.detach()
            loss = loss + gp + drift
        self.backward(loss, "optimD")
        self.losses["D_loss"] = loss
        self.losses["D_real_score"] = real_pred.detach().mean()
        self.losses["D_fake_score"] = fake_pred.detach().mean()

    def backward_D_r1(self):
        real = self.real.detach()
        real.stop_gradient = False
        r1 = r1_penalty(self.discriminate(real), real)  # w.r.t. the un-augmented image
        self.backward(self.r1_reg_weight / 2 * r1 * self.disc_iters, "optimD")
        self.losses["D_r1"] = r1.detach()

    # ------------------------------------------------------------ G
    def backward_G(self):
        codes, inject = self.latent_codes(self.real.shape[0])
        fake, _ = self.nets["gen"](codes, inject_index=inject)
        loss = self.gan_criterion(self.discriminate(fake), True, is_disc=False)
        self.backward(loss, "optimG")
        self.losses["G_loss"] = loss
        self.visual_items["real"] = self.real
        self.visual_items["fake"] = paddle.clip(fake.detach(), -1.0, 1.0)

    def backward_G_path(self):
        gen = self.nets["gen"]
        batch = max(1, int(self.real.shape[0] // self.path_batch_shrink))
        codes, inject = self.latent_codes(batch)
        with gen.double_grad():  # Paddle 3.3 on CPU: no double grad of conv2d_transpose
            fake, latents = gen(codes, inject_index=inject, return_latents=True)
        penalty, lengths, self.mean_path_length = path_length_penalty(
            fake, latents, self.mean_path_length, self.path_length_decay)
        self.backward(self.path_reg_weight * self.gen_iters * penalty, "optimG")
        self.losses["G_path"] = penalty.detach()
        self.losses["path_length"] = lengths.mean()

    def train_iter(self, optimizers=None):
        optimizers = optimizers or self.optimizers
        if "disc" not in self.nets:
            raise ConfigError("StyleGAN2Model needs model.discriminator to train")
        it = self.current_iter
        regularize_d = self.r1_reg_weight > 0 and it % self.disc_iters == 0
        regularize_g = self.path_reg_weight > 0 and it % self.gen_iters == 0
        # set_to_zero=False: a parameter a penalty does not reach gets no Adam step
        # (its second moment is not decayed), as in the official code
        self.set_requires_grad(self.nets["disc"], True)
        for _ in range(self.D_repeats):  # each on fresh fakes, the iteration's reals
            optimizers["optimD"].clear_grad(set_to_zero=False)
            self.backward_D()
            self.step(optimizers, "optimD")
        if regularize_d:
            optimizers["optimD"].clear_grad(set_to_zero=False)
            self.backward_D_r1()
            self.step(optimizers, "optimD")

        self.set_requires_grad(self.nets["disc"], False)
        self._last_g_step = not regularize_g
        optimizers["optimG"].clear_grad(set_to_zero=False)
        self.backward_G()
        self.step(optimizers, "optimG")
        if regularize_g:
            self._last_g_step = True
            optimizers["optimG"].clear_grad(set_to_zero=False)
            self.backward_G_path()
            self.step(optimizers, "optimG")
        self.set_requires_grad(self.nets["disc"], True)

    def after_step(self, group):
        if group == "optimG" and self._last_g_step:  # once per iteration, after G's last step
            beta = ema_beta(self.real.shape[0], self.current_iter, self.ema_kimg,
                            self.ema_rampup)
            update_ema(self.nets["gen_ema"], self.nets["gen"], beta)

    def learning_rate_multipliers(self):
        """Lazy regularisation adds a step every c iterations: lr x c / (c + 1)."""
        factors = {}
        if self.path_reg_weight > 0:
            factors["optimG"] = lazy_ratio(self.gen_iters)
        if self.r1_reg_weight > 0:
            factors["optimD"] = lazy_ratio(self.disc_iters)
        return factors

    def setup_optimizers(self, lr_schedulers, cfg):
        for group, opt_cfg in (cfg or {}).items():
            if "gen_ema" in ((opt_cfg or {}).get("net_names") or ()):
                raise ConfigError(f"optimizer.{group}.net_names names gen_ema, the moving "
                                  f"average of gen, which is never trained: use gen")
        return super().setup_optimizers(lr_schedulers, cfg)

    # ------------------------------------------------------------ state
    def extra_state(self):
        held = {k: float(self.losses[k]) for k in HELD_TERMS if k in self.losses}
        return {"mean_path_length": float(self.mean_path_length), "held_losses": held}

    def set_extra_state(self, state):
        self.mean_path_length = float(state.get("mean_path_length", 0.0))
        for key, value in (state.get("held_losses") or {}).items():
            self.losses[key] = float(value)

    # ------------------------------------------------------------ generation
    def generator_inputs(self, net):
        return (NetInput("z", "noise", (self.style_dim,)),
                NetInput("truncation", "scalar", (1,)))

    def generator_layer(self, net):
        """(z, truncation) -> image around ``net``, truncating towards its mean W."""
        generator = self.nets[net]
        return TruncatedGenerator(generator, self._mean_latents[net].get(generator))

    def sample_inputs(self, num, seed=0, truncation=1.0, **condition):
        """z from RandomState(seed) and a truncation per sample (a number or N values;
        1: none)."""
        t = np.asarray(truncation, dtype="float32").reshape(-1, 1)
        t = np.broadcast_to(t, (num, 1)).copy()
        return super().sample_inputs(num, seed, truncation=t, **condition)


def _build_criterion(cfg):
    """PaddleGAN's GANLoss with ``gan_mode: logistic`` (StyleGAN's loss, the default)
    is LogisticGANLoss; any other criterion config builds as given."""
    cfg = dict(cfg or {"name": "GANLoss", "gan_mode": "logistic"})
    if cfg.get("name") == "GANLoss" and cfg.get("gan_mode") == "logistic":
        unknown = set(cfg) - {"name", "gan_mode", "loss_weight"}
        if unknown:
            raise ConfigError(f"model.gan_criterion: GANLoss logistic takes loss_weight only, "
                              f"not {', '.join(sorted(unknown))}")
        return LogisticGANLoss(cfg.get("loss_weight", 1.0))
    return build(cfg, CRITERIONS, "model.gan_criterion")
