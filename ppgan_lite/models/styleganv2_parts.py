"""The pieces StyleGAN2Model's training step and its generation are made of: the
non-saturating logistic loss, R1 and path-length penalties, lazy-regularisation
factors, the generator's moving average, and the (z, truncation) -> image wrapper that
sampling, export and the predictors call.

References: Karras et al. 2020 ("Analyzing and Improving the Image Quality of StyleGAN",
StyleGAN2) sec. 3.1-3.2 and appendix B; Mescheder et al. 2018 eq. 9 (R1); StyleGAN2-ADA
(Karras et al. 2020b) training_loop.py for the EMA ramp-up.
"""
import math

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

# PaddleGAN's (and rosinality's) moving-average decay per step: a half-life of 10k
# images at batch 32 (ppgan/models/styleganv2_model.py, model_ema(decay=0.5 ** (32 / 10000)))
PADDLEGAN_EMA_DECAY = 0.5 ** (32 / (10 * 1000))
# PaddleGAN's truncation centre: the mean W of 10 x 1024 z (get_mean_style)
MEAN_LATENT_SAMPLES = 10 * 1024


# ---------------------------------------------------------------- losses
class LogisticGANLoss(nn.Layer):
    """StyleGAN's loss with PaddleGAN's GANLoss call (``gan_mode: logistic``):
    softplus(-D) for 'real', softplus(D) for 'fake' (the generator's real target makes
    it the non-saturating loss, Goodfellow et al. 2014 sec. 3); ``loss_weight`` scales
    the generator's side only, as PaddleGAN's GANLoss does."""

    gan_mode = "logistic"

    def __init__(self, loss_weight=1.0):
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, prediction, target_is_real, is_disc=False):
        loss = F.softplus(-prediction if target_is_real else prediction).mean()
        return loss if is_disc else loss * self.loss_weight


def r1_penalty(real_pred, real_img):
    """E ||grad_x D(x)||^2 over real images (Mescheder et al. 2018 eq. 9 without the
    gamma / 2), differentiable w.r.t. D's parameters. ``real_img`` must have
    ``stop_gradient = False`` before D ran on it."""
    (grad,) = paddle.grad(outputs=real_pred.sum(), inputs=real_img, create_graph=True)
    return (grad * grad).reshape([grad.shape[0], -1]).sum(1).mean()


def path_length_penalty(fake_img, latents, mean_path_length, decay=0.01, noise=None):
    """StyleGAN2 eq. 4: E (||J_w^T y||_2 - a)^2, y ~ N(0, I) / sqrt(H W), the Jacobian
    taken w.r.t. the W+ latents; ``a`` is the running mean of the lengths, moved by
    ``decay`` towards this batch's mean (with its gradient, as rosinality's and
    PaddleGAN's g_path_regularize). Returns (penalty, lengths [N], the new mean as a
    float). ``noise``: y itself (tests); None draws it."""
    if noise is None:
        noise = paddle.randn(fake_img.shape) / math.sqrt(fake_img.shape[2] * fake_img.shape[3])
    (grad,) = paddle.grad(outputs=(fake_img * noise).sum(), inputs=latents, create_graph=True)
    lengths = paddle.sqrt((grad * grad).sum(2).mean(1))
    path_mean = mean_path_length + decay * (lengths.mean() - mean_path_length)
    penalty = ((lengths - path_mean) ** 2).mean()
    return penalty, lengths.detach(), float(path_mean)


def lazy_ratio(interval):
    """c / (c + 1): a penalty applied every ``interval`` steps as its own step makes
    c + 1 optimizer steps per c minibatches, so StyleGAN2 (appendix B, "lazy
    regularization") scales the learning rate by this and raises Adam's betas to its
    power (beta ** ratio) to keep the same time constants."""
    return interval / (interval + 1.0)


def lazy_betas(beta1, beta2, interval):
    """The official correction of Adam's betas for lazy regularisation:
    (beta1 ** ratio, beta2 ** ratio), e.g. (0, 0.99) -> (0, 0.99199) for G (every 4)
    and (0, 0.99055) for D (every 16). PaddleGAN's config multiplies instead (0.99 x
    0.8 = 0.792)."""
    ratio = lazy_ratio(interval)
    return beta1 ** ratio, beta2 ** ratio


# ---------------------------------------------------------------- moving average
def ema_beta(batch, current_iter, ema_kimg=None, ema_rampup=None):
    """The decay of this step's moving-average update.

    ``ema_kimg`` None: PaddleGAN's fixed decay. Otherwise StyleGAN2-ADA's: a half-life
    of ``ema_kimg`` thousand images, shortened during the first images to
    ``ema_rampup`` x the images seen so far (so a short run's average is not stuck near
    its random start): beta = 0.5 ** (batch / half_life).
    """
    if ema_kimg is None:
        return PADDLEGAN_EMA_DECAY
    half_life = ema_kimg * 1000.0
    if ema_rampup is not None:
        half_life = min(half_life, current_iter * batch * ema_rampup)
    return 0.5 ** (batch / max(half_life, 1e-8))


@paddle.no_grad()
def update_ema(ema_net, net, beta):
    """ema <- beta ema + (1 - beta) net, parameter by parameter (buffers, the fixed
    noise maps, are copied once when the average starts)."""
    params = dict(net.named_parameters())
    for name, ema_param in ema_net.named_parameters():
        ema_param.set_value(ema_param * beta + params[name] * (1.0 - beta))


# ---------------------------------------------------------------- generation
@paddle.no_grad()
def mean_latent(generator, num=MEAN_LATENT_SAMPLES, seed=0):
    """Mean W of ``num`` z drawn from numpy's RandomState(seed), [1, style_dim]: the
    truncation centre (PaddleGAN's get_mean_style averages as many, drawn from
    paddle's global generator; a fixed draw leaves training's random stream alone and
    gives the same centre every time)."""
    rng = np.random.RandomState(seed)
    total = None
    for start in range(0, num, 2048):
        z = rng.standard_normal((min(2048, num - start), generator.style_dim))
        w = generator.style(paddle.to_tensor(z.astype("float32"))).sum(0, keepdim=True)
        total = w if total is None else total + w
    return total / num


class TruncatedGenerator(nn.Layer):
    """(z [N, style_dim], truncation [N, 1]) -> image [N, 3, size, size] in [-1, 1].

    W is pulled towards ``mean`` (a buffer, so an export carries it) by the per-sample
    truncation (1: none; PaddleGAN's predictor uses 0.7); the noise maps are the
    generator's fixed buffers (``randomize_noise=False``), so an image depends on its
    z and truncation only. The synthesis ends in a linear ToRGB, so the image is
    clipped to [-1, 1] here (PaddleGAN clips when it saves).
    """

    def __init__(self, generator, mean):
        super().__init__()
        self.generator = generator
        self.register_buffer("mean_latent", mean)

    def forward(self, z, truncation):
        image = self.generator([z], truncation=truncation, truncation_latent=self.mean_latent,
                               randomize_noise=False)[0]
        return paddle.clip(image, -1.0, 1.0)


class MeanLatentCache:
    """``mean_latent(generator)`` recomputed only when the mapping net's weights
    changed since the last call (the EMA moves them every step; a generation loop
    asks many times with the same ones)."""

    def __init__(self):
        self.weights, self.mean = None, None

    def get(self, generator):
        weights = [p.numpy() for p in generator.style.parameters()]
        if self.weights is None or any(not np.array_equal(a, b)
                                       for a, b in zip(weights, self.weights)):
            self.weights, self.mean = weights, mean_latent(generator)
        return self.mean
