"""Pix2PixModel: direction, the conditional D's input, the loss terms against their
definitions, test visuals and metrics, the sample strip, and errors."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn.functional as F

from ppgan_lite.metrics.psnr_ssim import PSNR
from ppgan_lite.utils.errors import ConfigError, DataError
from ppgan_lite.utils.registry import DISCRIMINATORS, MODELS, build

from translation_model_testutils import SIZE

GENERATOR = {"name": "UnetGenerator", "input_nc": 3, "output_nc": 3, "num_downs": 5, "ngf": 4,
             "norm_type": "batch"}
DISCRIMINATOR = {"name": "NLayerDiscriminator", "input_nc": 6, "ndf": 4, "n_layers": 2,
                 "norm_type": "batch"}
OPTIMIZERS = {"optimG": {"name": "Adam", "beta1": 0.5}, "optimD": {"name": "Adam", "beta1": 0.5}}


def tiny(**changes):
    paddle.seed(0)
    cfg = {"name": "Pix2PixModel", "generator": dict(GENERATOR),
           "discriminator": dict(DISCRIMINATOR), "image_shape": [3, SIZE, SIZE], **changes}
    model = build(cfg, MODELS, "model")
    model.setup_optimizers(2e-4, OPTIMIZERS)
    return model


def pair_batch(n=2, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (n, 3, SIZE, SIZE)).astype("float32")
    b = rng.uniform(-1, 1, (n, 3, SIZE, SIZE)).astype("float32")
    return {"A": paddle.to_tensor(a), "B": paddle.to_tensor(b),
            "A_path": [f"a{i}.png" for i in range(n)], "B_path": [f"a{i}.png" for i in range(n)]}


@pytest.mark.parametrize("direction, source", [("a2b", "A"), ("b2a", "B"), ("AtoB", "A"),
                                               ("BtoA", "B")])
def test_direction_is_honoured(direction, source):
    """PaddleGAN compares direction with 'AtoB' and so trains B -> A for a2b too; here
    the config decides (junyanz's AtoB/BtoA spellings mean the same)."""
    model = tiny(direction=direction)
    batch = pair_batch()
    model.setup_input(batch)
    target = "B" if source == "A" else "A"
    np.testing.assert_array_equal(model.real_A.numpy(), batch[source].numpy())
    np.testing.assert_array_equal(model.real_B.numpy(), batch[target].numpy())
    assert model.sample_condition(batch)["image"] is batch[source]


def test_losses_are_their_definitions():
    """D: BCE of D(A|G(A)) against 0 and of D(A|B) against 1, halved in the step; G:
    BCE of D(A|G(A)) against 1 plus 100 x mean |G(A) - B|; all four logged."""
    model = tiny()
    model.setup_train_mode(True)
    model.setup_input(pair_batch())
    netG, netD = model.nets["netG"], model.nets["netD"]
    state = {k: v.numpy().copy() for k, v in netD.state_dict().items()}
    model.train_iter()
    losses = model.get_current_losses()
    assert sorted(losses) == ["D_fake_loss", "D_real_loss", "G_L1_loss", "G_adv_loss"]
    # G's terms were computed after the D step, with that G's output (fake_B)
    fake = model.fake_B.detach()
    with paddle.no_grad():
        pred = netD(paddle.concat([model.real_A, fake], axis=1))
    assert losses["G_adv_loss"] == pytest.approx(
        float(F.binary_cross_entropy_with_logits(pred, paddle.ones_like(pred))), rel=1e-4)
    assert losses["G_L1_loss"] == pytest.approx(
        100.0 * float(np.abs(fake.numpy() - model.real_B.numpy()).mean()), rel=1e-5)
    # D's terms came from the weights before its step
    fresh = build(dict(DISCRIMINATOR), DISCRIMINATORS)
    fresh.set_state_dict({k: paddle.to_tensor(v) for k, v in state.items()})
    fresh.train()
    with paddle.no_grad():
        pred_fake = fresh(paddle.concat([model.real_A, fake], axis=1))
        pred_real = fresh(paddle.concat([model.real_A, model.real_B], axis=1))
    assert losses["D_fake_loss"] == pytest.approx(
        float(F.binary_cross_entropy_with_logits(pred_fake, paddle.zeros_like(pred_fake))),
        rel=1e-4)
    assert losses["D_real_loss"] == pytest.approx(
        float(F.binary_cross_entropy_with_logits(pred_real, paddle.ones_like(pred_real))),
        rel=1e-4)
    assert netG.training and all(not p.stop_gradient for p in netD.parameters())


def test_discriminator_must_see_both_images():
    with pytest.raises(ConfigError, match="input_nc: 6") as err:
        tiny(discriminator=dict(DISCRIMINATOR, input_nc=3))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("changes, message", [
    ({"direction": "ab"}, "direction 'ab' is unknown"),
    ({"image_shape": [1, 32, 32]}, "image_shape must be"),
    ({"image_shape": [3, 32]}, "image_shape must be"),
])
def test_bad_arguments_are_one_line(changes, message):
    with pytest.raises(ConfigError, match=message) as err:
        tiny(**changes)
    assert "\n" not in str(err.value)


def test_unpaired_batch_is_a_data_error():
    with pytest.raises(DataError, match="PairedDataset"):
        tiny().setup_input({"A": pair_batch()["A"]})


def test_test_iter_visuals_and_metrics_score_fake_B_against_real_B():
    model = tiny()
    model.setup_train_mode(False)
    model.setup_input(pair_batch(n=3))
    named, default = PSNR(pred_key="fake_B", gt_key="real_B"), PSNR()  # fake / real
    model.test_iter({"named": named, "default": default})
    visuals = model.get_current_visuals()
    assert list(visuals) == ["real_A", "fake_B", "real_B"]
    assert all(list(v.shape) == [3, 3, SIZE, SIZE] for v in visuals.values())
    assert visuals["fake_B"].stop_gradient  # no graph at test time
    reference = PSNR()
    reference.update(visuals["fake_B"], visuals["real_B"])
    assert named.accumulate() == default.accumulate() == reference.accumulate()


def test_sample_is_input_output_target():
    model = tiny()
    batch = pair_batch(n=3)
    strip = model.sample(2, **model.sample_condition(batch)).numpy()
    assert strip.shape == (2, 3, SIZE, 3 * SIZE)
    np.testing.assert_array_equal(strip[..., :SIZE], batch["A"].numpy()[:2])
    np.testing.assert_array_equal(strip[..., 2 * SIZE:], batch["B"].numpy()[:2])
    generated = model.generate({"image": batch["A"][:2]}).numpy()
    np.testing.assert_allclose(strip[..., SIZE:2 * SIZE], generated, atol=1e-6)
    assert model.sample(2) is None
    assert model.sample(1, image=batch["A"].numpy()).shape == [1, 3, SIZE, 2 * SIZE]


def test_defaults_are_the_papers_and_to_static_is_accepted():
    model = build({"name": "Pix2PixModel", "generator": dict(GENERATOR, num_downs=8),
                   "to_static": True}, MODELS)
    assert model.pixel_criterion.loss_weight == 100.0
    assert model.gan_criterion.gan_mode == "vanilla"
    assert model.direction == "a2b"
    assert model.generator_spec().inputs[0].shape == (3, 256, 256)  # unet256's size
    assert set(model.nets) == {"netG"}  # no discriminator: inference only
