"""Adversarial objectives: GANLoss (five modes), the WGAN-GP penalty, WGAN weight clipping.

``GANLoss`` keeps PaddleGAN's call, ``loss(prediction, target_is_real, is_disc=False)``,
and its weighting: ``loss_weight`` scales the loss unless ``is_disc`` is True. Targets are
made per call with ``paddle.full_like``, so they follow the prediction's shape and dtype
(PaddleGAN caches the first target, which breaks when the batch size changes).
"""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from ...utils.registry import CRITERIONS
from ..layers.init import BATCH_NORM_TYPES

GAN_MODES = ("vanilla", "lsgan", "wgan", "wgangp", "hinge")


@CRITERIONS.register()
class GANLoss(nn.Layer):
    """One adversarial loss; ``prediction`` is the discriminator's raw output (logits).

    - vanilla: BCE with logits against the real/fake label (Goodfellow et al. 2014).
    - lsgan:   mean squared error against the label (Mao et al. 2017).
    - wgan, wgangp: -mean(D) for real, +mean(D) for fake (Arjovsky et al. 2017); the
      Lipschitz constraint is separate: ``clip_weights`` or ``gradient_penalty``.
    - hinge:   D: mean(relu(1 - D)) real, mean(relu(1 + D)) fake; G (is_disc=False):
      -mean(D) whatever ``target_is_real`` says (Lim & Ye 2017, SAGAN's form).
    """

    def __init__(self, gan_mode, target_real_label=1.0, target_fake_label=0.0,
                 loss_weight=1.0):
        super().__init__()
        if gan_mode not in GAN_MODES:
            raise ConfigError(
                f"unknown gan_mode '{gan_mode}'; use one of: {', '.join(GAN_MODES)}")
        if loss_weight < 0:
            raise ConfigError(f"GANLoss loss_weight must be >= 0, got {loss_weight}")
        self.gan_mode = gan_mode
        self.target_real_label = float(target_real_label)
        self.target_fake_label = float(target_fake_label)
        self.loss_weight = float(loss_weight)

    def get_target_tensor(self, prediction, target_is_real):
        label = self.target_real_label if target_is_real else self.target_fake_label
        return paddle.full_like(prediction, label)

    def forward(self, prediction, target_is_real, is_disc=False):
        mode = self.gan_mode
        if mode == "vanilla":
            loss = F.binary_cross_entropy_with_logits(
                prediction, self.get_target_tensor(prediction, target_is_real))
        elif mode == "lsgan":
            loss = F.mse_loss(prediction, self.get_target_tensor(prediction, target_is_real))
        elif mode in ("wgan", "wgangp"):
            loss = -prediction.mean() if target_is_real else prediction.mean()
        elif is_disc:  # hinge, discriminator side
            margin = 1.0 - prediction if target_is_real else 1.0 + prediction
            loss = F.relu(margin).mean()
        else:  # hinge, generator side
            loss = -prediction.mean()
        return loss if is_disc else loss * self.loss_weight


def gradient_penalty(netD, real, fake, lambda_gp=10.0):
    """WGAN-GP's penalty (Gulrajani et al. 2017, Eq. 3): lambda * E[(||grad D(x^)||_2 - 1)^2]
    at random interpolates x^ between real and fake samples.

    Differentiable w.r.t. netD's parameters (``create_graph=True``), so add it to the
    critic loss before ``backward()``. ``fake`` is detached. The paper's critic has no
    BatchNorm (it mixes samples, so per-sample gradients lose their meaning): build
    netD with norm_type 'instance' or 'none'.
    """
    real = real.detach()
    fake = fake.detach()
    alpha = paddle.rand([real.shape[0]] + [1] * (real.ndim - 1), dtype=real.dtype)
    interpolates = alpha * real + (1.0 - alpha) * fake
    interpolates.stop_gradient = False
    scores = netD(interpolates)
    grads = paddle.grad(outputs=scores, inputs=interpolates,
                        grad_outputs=paddle.ones_like(scores),
                        create_graph=True, retain_graph=True)[0]
    grads = grads.reshape([grads.shape[0], -1])
    # The epsilon keeps sqrt differentiable where a gradient is exactly zero.
    norms = paddle.sqrt((grads * grads).sum(axis=1) + 1e-12)
    return lambda_gp * ((norms - 1.0) ** 2).mean()


@CRITERIONS.register()
class GradientPenalty(nn.Layer):
    """``gradient_penalty`` as a criterion: ``GradientPenalty(lambda_gp)(netD, real, fake)``."""

    def __init__(self, lambda_gp=10.0):
        super().__init__()
        if lambda_gp < 0:
            raise ConfigError(f"GradientPenalty lambda_gp must be >= 0, got {lambda_gp}")
        self.lambda_gp = float(lambda_gp)

    def forward(self, netD, real, fake):
        return gradient_penalty(netD, real, fake, self.lambda_gp)


@paddle.no_grad()
def clip_weights(net, clip_value):
    """Clamp every learned parameter of ``net`` into [-clip_value, clip_value] in place:
    the original WGAN's crude Lipschitz constraint (Arjovsky et al. 2017, Alg. 1,
    c = 0.01). Call it after each critic step.

    Paddle stores BatchNorm running statistics and frozen affines (learning_rate 0) as
    parameters too; they are not weights, so they are left alone. ``stop_gradient`` is
    not consulted: models set it on the critic while training G.
    """
    if clip_value <= 0:
        raise ConfigError(f"clip_weights needs clip_value > 0, got {clip_value}")
    statistics = {id(stat) for layer in net.sublayers(include_self=True)
                  if isinstance(layer, BATCH_NORM_TYPES)
                  for stat in (layer._mean, layer._variance)}
    for param in net.parameters():
        frozen = param.optimize_attr.get("learning_rate", 1.0) == 0
        if id(param) not in statistics and not frozen:
            param.set_value(paddle.clip(param, -clip_value, clip_value))
