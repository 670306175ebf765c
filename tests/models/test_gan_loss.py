"""GANLoss values and gradient signs, the WGAN-GP penalty, weight clipping, pixel losses."""
import math

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn as nn

from ppgan_lite.models import criterions  # noqa: F401  (registration)
from ppgan_lite.models.criterions.gan_loss import (GANLoss, GradientPenalty, clip_weights,
                                                   gradient_penalty)
from ppgan_lite.models.criterions.pixel_loss import BCEWithLogitsLoss, L1Loss, MSELoss
from ppgan_lite.models.discriminators.dcdiscriminator import DCDiscriminator
from ppgan_lite.models.layers.init import init_weights
from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.registry import CRITERIONS, build

LOGITS = [2.0, -1.0, 0.5, 3.0]


def _logits(values=LOGITS):
    x = paddle.to_tensor(np.array(values, "float32").reshape(len(values), 1, 1, 1))
    x.stop_gradient = False
    return x


def _softplus(v):
    return math.log1p(math.exp(v))


# Hand-computed on LOGITS (mean over 4 values).
EXPECTED = {
    # BCE with logits: real -log(sigmoid(x)) = softplus(-x); fake softplus(x).
    ("vanilla", True): sum(_softplus(-v) for v in LOGITS) / 4,
    ("vanilla", False): sum(_softplus(v) for v in LOGITS) / 4,
    ("lsgan", True): (1 + 4 + 0.25 + 4) / 4,    # (x - 1)^2
    ("lsgan", False): (4 + 1 + 0.25 + 9) / 4,   # x^2
    ("wgan", True): -4.5 / 4,
    ("wgan", False): 4.5 / 4,
    ("wgangp", True): -4.5 / 4,
    ("wgangp", False): 4.5 / 4,
}


@pytest.mark.parametrize("mode, real", list(EXPECTED))
def test_loss_values_on_known_logits(mode, real):
    loss = GANLoss(mode)(_logits(), real)
    assert list(loss.shape) == [] and loss.dtype == paddle.float32
    assert float(loss) == pytest.approx(EXPECTED[(mode, real)], rel=1e-6)


def test_hinge_values_for_d_and_g():
    hinge = GANLoss("hinge")
    assert float(hinge(_logits(), True, is_disc=True)) == pytest.approx((0 + 2 + 0.5 + 0) / 4)
    assert float(hinge(_logits(), False, is_disc=True)) == pytest.approx((3 + 0 + 1.5 + 4) / 4)
    for real in (True, False):  # G's hinge loss ignores the label
        assert float(hinge(_logits(), real)) == pytest.approx(-4.5 / 4)


def _grad(loss_fn, values=LOGITS, **kwargs):
    x = _logits(values)
    loss_fn(x, **kwargs).backward()
    return x.grad.numpy().ravel()


def _sigmoid(v):
    return 1 / (1 + np.exp(-np.asarray(v)))


def test_gradient_signs_push_real_up_and_fake_down():
    n = len(LOGITS)
    x = np.array(LOGITS)
    # Descent raises D's score on real samples (gradient < 0) and lowers it on fakes.
    expected = {
        ("vanilla", True): (_sigmoid(x) - 1) / n,
        ("vanilla", False): _sigmoid(x) / n,
        ("wgan", True): -np.ones(n) / n,
        ("wgan", False): np.ones(n) / n,
        ("wgangp", True): -np.ones(n) / n,
    }
    for (mode, real), grad in expected.items():
        got = _grad(GANLoss(mode), target_is_real=real)
        np.testing.assert_allclose(got, grad, rtol=1e-5)
        assert np.all(np.sign(got) == (-1 if real else 1))
    # lsgan pulls towards the label from either side: 2 (x - label) / n.
    below, above = [-1.0, 0.5], [1.5, 3.0]
    np.testing.assert_allclose(_grad(GANLoss("lsgan"), below, target_is_real=True),
                               [2 * (v - 1) / 2 for v in below], rtol=1e-6)
    assert np.all(_grad(GANLoss("lsgan"), below, target_is_real=True) < 0)
    assert np.all(_grad(GANLoss("lsgan"), above, target_is_real=False) > 0)


def test_hinge_gradients_d_margins_and_g():
    hinge = GANLoss("hinge")
    # D real: -1/n where x < 1 (inside the margin), 0 beyond it.
    np.testing.assert_allclose(_grad(hinge, target_is_real=True, is_disc=True),
                               [0, -0.25, -0.25, 0])
    # D fake: +1/n where x > -1.
    np.testing.assert_allclose(_grad(hinge, target_is_real=False, is_disc=True),
                               [0.25, 0, 0.25, 0.25])
    # G: -1/n everywhere, raising D's score on its samples, whatever the label.
    for real in (True, False):
        np.testing.assert_allclose(_grad(hinge, target_is_real=real), [-0.25] * 4)


def test_labels_and_loss_weight():
    smooth = GANLoss("lsgan", target_real_label=0.9, target_fake_label=0.1, loss_weight=2.0)
    x = _logits()
    by_hand = np.mean((np.array(LOGITS) - 0.9) ** 2)
    # PaddleGAN's rule: loss_weight scales the loss unless is_disc=True.
    assert float(smooth(x, True)) == pytest.approx(2 * by_hand, rel=1e-6)
    assert float(smooth(x, True, is_disc=True)) == pytest.approx(by_hand, rel=1e-6)
    fake_by_hand = np.mean((np.array(LOGITS) - 0.1) ** 2)
    assert float(smooth(x, False, is_disc=True)) == pytest.approx(fake_by_hand, rel=1e-6)


def test_targets_follow_batch_size_and_dtype():
    loss = GANLoss("vanilla")
    loss(_logits(), True)
    # A second call with another shape must not reuse the first target.
    value = loss(paddle.zeros([3, 1, 2, 2]), True)
    assert float(value) == pytest.approx(math.log(2), rel=1e-6)
    target = loss.get_target_tensor(paddle.zeros([5, 1], dtype="float16"), False)
    assert target.dtype == paddle.float16 and list(target.shape) == [5, 1]


def test_bad_gan_mode_and_registry_build():
    with pytest.raises(ConfigError, match="vanilla, lsgan, wgan, wgangp, hinge"):
        GANLoss("lsgam")
    built = build({"name": "GANLoss", "gan_mode": "hinge"}, CRITERIONS)
    assert isinstance(built, GANLoss) and built.gan_mode == "hinge"


class LinearCritic(nn.Layer):
    """D(x) = <w, flatten(x)>: its input gradient is w everywhere, so the penalty is
    exactly lambda * (||w|| - 1)^2."""

    def __init__(self, dim, norm):
        super().__init__()
        self.fc = nn.Linear(dim, 1, bias_attr=False)
        w = np.random.default_rng(0).standard_normal((dim, 1)).astype("float32")
        self.fc.weight.set_value(w / np.linalg.norm(w) * norm)

    def forward(self, x):
        return self.fc(x.reshape([x.shape[0], -1]))


def _images(seed):
    paddle.seed(seed)
    return paddle.rand([4, 1, 4, 4]) * 2 - 1, paddle.rand([4, 1, 4, 4]) * 2 - 1


def test_gradient_penalty_is_zero_for_a_1_lipschitz_linear_critic():
    real, fake = _images(0)
    penalty = gradient_penalty(LinearCritic(16, norm=1.0), real, fake)
    assert float(penalty) == pytest.approx(0.0, abs=1e-9)


def test_gradient_penalty_value_and_gradient_for_a_steeper_critic():
    real, fake = _images(1)
    critic = LinearCritic(16, norm=2.0)
    penalty = gradient_penalty(critic, real, fake, lambda_gp=10.0)
    assert float(penalty) == pytest.approx(10.0, rel=1e-5)  # 10 * (2 - 1)^2
    penalty.backward()
    # d/dw 10 (||w|| - 1)^2 = 20 (||w|| - 1) w / ||w|| = 10 w
    np.testing.assert_allclose(critic.fc.weight.grad.numpy(),
                               10 * critic.fc.weight.numpy(), rtol=1e-4)


def test_gradient_penalty_backpropagates_into_a_dcgan_critic():
    paddle.seed(3)
    critic = init_weights(DCDiscriminator(1, ndf=4, norm_type="none", img_size=16),
                          init_gain=0.5)
    real, fake = paddle.rand([3, 1, 16, 16]), paddle.rand([3, 1, 16, 16])
    penalty = build({"name": "GradientPenalty", "lambda_gp": 5.0}, CRITERIONS)(
        critic, real, fake)
    assert isinstance(penalty, paddle.Tensor) and float(penalty) > 0
    penalty.backward()
    # Every weight shapes D's input gradient; the last conv's bias cannot, so it gets none.
    weights = [(n, p) for n, p in critic.named_parameters() if n.endswith("weight")]
    assert len(weights) == 3
    for name, param in weights:
        assert param.grad is not None, name
        assert float(param.grad.abs().sum()) > 0, name


def test_gradient_penalty_criterion_rejects_negative_lambda():
    with pytest.raises(ConfigError, match="lambda_gp"):
        GradientPenalty(lambda_gp=-1)


def test_clip_weights_bounds_every_weight_and_leaves_statistics_alone():
    paddle.seed(4)
    critic = init_weights(DCDiscriminator(1, ndf=4, norm_type="batch", img_size=16),
                          init_gain=1.0)
    critic.model[3]._variance.set_value(paddle.full([8], 4.0))  # running stats > clip
    before = {k: p.numpy().copy() for k, p in critic.named_parameters()}
    for param in critic.parameters():  # as a model does while it trains G
        param.stop_gradient = True
    clip_weights(critic, 0.01)
    weights = [n for n in before if n.endswith(("weight", "bias"))]
    assert len(weights) == 7  # 3 convs (the first without bias), 1 BatchNorm affine
    for name, param in critic.named_parameters():
        value = param.numpy()
        if name in weights:
            assert np.abs(value).max() <= 0.01 + 1e-9, name
            np.testing.assert_array_equal(value, np.clip(before[name], -0.01, 0.01))
        else:  # BatchNorm running mean / variance
            assert name.endswith(("_mean", "_variance")), name
            np.testing.assert_array_equal(value, before[name])
    assert np.abs(critic.model[0].weight.numpy()).max() == pytest.approx(0.01)
    assert np.all(critic.model[3]._variance.numpy() == 4.0)
    with pytest.raises(ConfigError, match="clip_value"):
        clip_weights(critic, 0)


def test_clip_weights_skips_frozen_instance_norm_affine():
    critic = init_weights(DCDiscriminator(1, ndf=4, norm_type="instance", img_size=16),
                          init_gain=1.0)
    clip_weights(critic, 0.01)
    assert np.all(critic.model[3].scale.numpy() == 1.0)
    assert np.abs(critic.model[2].weight.numpy()).max() <= 0.01 + 1e-9


PRED = np.array([[0.5, -1.0], [2.0, 0.0]], "float32")
TARGET = np.array([[0.0, 1.0], [1.0, 1.0]], "float32")


def test_pixel_losses_values():
    pred, target = paddle.to_tensor(PRED), paddle.to_tensor(TARGET)
    assert float(L1Loss()(pred, target)) == pytest.approx((0.5 + 2 + 1 + 1) / 4)
    assert float(MSELoss()(pred, target)) == pytest.approx((0.25 + 4 + 1 + 1) / 4)
    assert float(L1Loss(reduction="sum", loss_weight=3.0)(pred, target)) == pytest.approx(13.5)
    elementwise = MSELoss(reduction="none")(pred, target).numpy()
    np.testing.assert_allclose(elementwise, (PRED - TARGET) ** 2)
    bce_by_hand = np.mean(np.log1p(np.exp(PRED)) - TARGET * PRED)
    assert float(BCEWithLogitsLoss()(pred, target)) == pytest.approx(bce_by_hand, rel=1e-6)


def test_pixel_loss_build_and_errors():
    loss = build({"name": "L1Loss", "loss_weight": 0.5}, CRITERIONS)
    assert float(loss(paddle.ones([2]), paddle.zeros([2]))) == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="mean, sum, none"):
        MSELoss(reduction="avg")
    with pytest.raises(ConfigError, match="loss_weight"):
        BCEWithLogitsLoss(loss_weight=-1)
    with pytest.raises(ConfigError, match="Did you mean 'loss_weight'"):
        build({"name": "MSELoss", "loss_weigth": 2}, CRITERIONS)
