"""PGGANModel on tiny nets: the WGAN-GP and drift terms against hand-computed values,
the real images' fade, the moving average, the optimizer reset at each new phase,
the checkpointed state, sampling and the export of the moving-average generator."""
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite import register_all
from ppgan_lite.deploy import add_onnx, export_generator, onnxruntime_available, sample_batch
from ppgan_lite.models.pggan_model import reset_optimizer_state
from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.registry import MODELS, build

register_all()

NET = dict(resolution=16, num_channels=1, fmap_base=32, fmap_max=16)
# batch 8: 4x4 for iterations 0-1, 8x8 fades in over 2-5, stable 6-7, 16x16 fades in 8-11
SCHEDULE = dict(lod_training_kimg=0.016, lod_transition_kimg=0.032, minibatch_base=8)
ADAM = {"name": "Adam", "beta1": 0.0, "beta2": 0.99, "epsilon": 1e-8}


def make_model(seed=0, optimizers=True, **changes):
    paddle.seed(seed)
    cfg = {"name": "PGGANModel", "generator": {"name": "PGGANGenerator", **NET},
           "discriminator": {"name": "PGGANDiscriminator", **NET}, **SCHEDULE, **changes}
    model = build(cfg, MODELS)
    if optimizers:
        model.setup_optimizers(1e-3, {"optimG": dict(ADAM), "optimD": dict(ADAM)})
    return model


def data(n=12, seed=0):
    rng = np.random.RandomState(seed)
    return {"A": paddle.to_tensor(rng.uniform(-1, 1, (n, 1, 16, 16)).astype("float32"))}


def box(x, f):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // f, f, w // f, f).mean(axis=(3, 5))


def up(x, f):
    return np.repeat(np.repeat(x, f, axis=2), f, axis=3)


class LinearCritic(paddle.nn.Layer):
    """D(x) = <w, x>: its input gradient is w everywhere, so the penalty is known."""

    def __init__(self, weight):
        super().__init__()
        self.weight = self.create_parameter(
            list(weight.shape), default_initializer=paddle.nn.initializer.Assign(weight))

    def set_level(self, level, alpha=1.0):
        pass

    def forward(self, x):
        return (x * self.weight).sum(axis=[1, 2, 3]).reshape([-1, 1])


def test_wgan_gp_and_drift_terms_match_hand_computed_values():
    model = make_model(optimizers=False)
    w = np.random.RandomState(1).normal(0, 0.15, (1, 16, 16)).astype("float32")
    model.nets["netD"] = LinearCritic(w)
    model.setup_input(data())
    model.current_iter = 0
    model.forward()
    model.backward_D()
    real, fake = model.real.numpy().astype("float64"), model.fake.numpy().astype("float64")
    s_real, s_fake = (real * w).sum(axis=(1, 2, 3)), (fake * w).sum(axis=(1, 2, 3))
    norm = np.sqrt((w.astype("float64") ** 2).sum())
    assert abs(norm - 1.0) > 0.5  # the penalty is far from 0
    losses = model.get_current_losses()
    assert losses["D_real_loss"] == pytest.approx(-s_real.mean(), rel=1e-5)
    assert losses["D_fake_loss"] == pytest.approx(s_fake.mean(), rel=1e-5)
    assert losses["D_gp_loss"] == pytest.approx(10.0 * (norm - 1.0) ** 2, rel=1e-5)
    assert losses["D_drift_loss"] == pytest.approx(0.001 * (s_real ** 2).mean(), rel=1e-5)
    # d/dw of the whole critic loss: the penalty and the drift are differentiated too
    grad = (fake.mean(axis=0) - real.mean(axis=0) + 10.0 * 2 * (norm - 1.0) * w / norm
            + 0.001 * 2 * (s_real[:, None, None, None] * real).mean(axis=0))
    np.testing.assert_allclose(model.nets["netD"].weight.grad.numpy(), grad, rtol=1e-4,
                               atol=1e-6)
    paddle.seed(5)
    model.backward_G()
    paddle.seed(5)
    fake2 = model.nets["netG"](model.noise(8)).numpy()
    assert model.get_current_losses()["G_adv_loss"] == pytest.approx(
        -(fake2 * w).sum(axis=(1, 2, 3)).mean(), rel=1e-5)


def test_reals_take_the_first_batch_images_faded_like_the_official_lod_input():
    model = make_model(optimizers=False)
    batch = data()
    model.setup_input(batch)
    x = batch["A"].numpy()[:8]
    model.current_iter = 3  # 8x8 fading in, alpha = 8 / 32 images
    model.forward()
    level8 = box(x, 2)
    expected = up(0.25 * level8 + 0.75 * up(box(level8, 2), 2), 2)
    np.testing.assert_allclose(model.real.numpy(), expected, atol=1e-6)
    model.current_iter = 0  # 4x4 stable
    model.forward()
    np.testing.assert_allclose(model.real.numpy(), up(box(x, 4), 4), atol=1e-6)
    assert list(model.fake.shape) == [8, 1, 16, 16]
    assert model.nets["netD"].level_alpha() == model.nets["netG_ema"].level_alpha() == (0, 1.0)


def test_moving_average_follows_G_and_unused_levels_do_not_move():
    model = make_model()
    G, ema, D = model.nets["netG"], model.nets["netG_ema"], model.nets["netD"]
    before = {k: v.numpy().copy() for k, v in G.state_dict().items()}
    np.testing.assert_array_equal(ema.state_dict()["blocks.0.conv.weight"].numpy(),
                                  before["blocks.0.conv.weight"])
    d_before = {k: v.numpy().copy() for k, v in D.state_dict().items()}
    model.setup_input(data())
    model.current_iter = 0
    model.train_iter()
    after, averaged = G.state_dict(), ema.state_dict()
    for key in ("blocks.0.conv.weight", "blocks.0.dense.weight", "to_rgbs.0.bias"):
        new = after[key].numpy()
        assert np.abs(new - before[key]).max() > 1e-5, key
        np.testing.assert_allclose(averaged[key].numpy(), new + (before[key] - new) * 0.999,
                                   atol=1e-7, err_msg=key)
    for key in ("blocks.1.conv0.weight", "blocks.2.conv1.bias", "to_rgbs.1.weight"):
        np.testing.assert_array_equal(after[key].numpy(), before[key], err_msg=key)
    for key in ("from_rgbs.1.weight", "blocks.2.conv0.weight"):
        np.testing.assert_array_equal(D.state_dict()[key].numpy(), d_before[key], err_msg=key)
    assert np.abs(D.state_dict()["from_rgbs.0.weight"].numpy()
                  - d_before["from_rgbs.0.weight"]).max() > 1e-5
    # Adam holds state for every parameter from the first step: one layout throughout
    names = [k for k in model.optimizers["optimD"].state_dict() if "moment1" in k]
    assert len(names) == len(D.parameters())


def beta2_powers(optimizer):
    """The distinct beta2 powers of an Adam (one per parameter, all equal)."""
    return sorted({round(float(v.numpy().reshape(-1)[0]), 9)
                   for k, v in optimizer.state_dict().items() if "beta2_pow_acc" in k})


@pytest.mark.parametrize("reset", [True, False])
def test_optimizer_state_is_reset_when_a_phase_starts(reset):
    model = make_model(reset_opt_for_new_lod=reset)
    model.setup_input(data())
    for iteration in range(2):
        model.current_iter = iteration
        model.train_iter()
    assert beta2_powers(model.optimizers["optimD"]) == pytest.approx([0.99 ** 3], rel=1e-6)
    model.current_iter = 2  # 8x8 starts fading in
    model.train_iter()
    expected = 0.99 ** 2 if reset else 0.99 ** 4
    for group in ("optimD", "optimG"):
        assert beta2_powers(model.optimizers[group]) == pytest.approx([expected], rel=1e-6)


def test_reset_optimizer_state_matches_a_fresh_optimizer():
    paddle.seed(0)
    layer = paddle.nn.Linear(3, 2)
    start = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    x = paddle.randn([4, 3])

    def step(opt, inputs=x):
        opt.clear_grad()
        (layer(inputs) ** 2).mean().backward()
        # the same accumulator names in every optimizer, as a checkpoint's renaming
        # gives them (ppgan_lite/engine/state.py)
        with paddle.utils.unique_name.guard():
            opt.step()

    def weights_after_one_step(opt):
        layer.set_state_dict({k: paddle.to_tensor(v) for k, v in start.items()})
        step(opt)
        return layer.weight.numpy().copy()

    fresh = weights_after_one_step(paddle.optimizer.Adam(0.1, parameters=layer.parameters(),
                                                         beta1=0.5, beta2=0.9))
    used = paddle.optimizer.Adam(0.1, parameters=layer.parameters(), beta1=0.5, beta2=0.9)
    for k in range(3):  # other data: moments far from a fresh optimizer's
        step(used, paddle.randn([4, 3]) * (k + 2))
    saved = {k: v.numpy().copy() for k, v in used.state_dict().items()}

    def loaded_with_saved_state():
        opt = paddle.optimizer.Adam(0.1, parameters=layer.parameters(), beta1=0.5, beta2=0.9)
        opt.set_state_dict({k: paddle.to_tensor(v) for k, v in saved.items()})
        return opt

    reset_optimizer_state(used)  # in place, on a live optimizer
    np.testing.assert_allclose(weights_after_one_step(used), fresh, rtol=1e-6)
    # and on one whose state is loaded but not yet created (a resume at a phase start)
    loaded = loaded_with_saved_state()
    reset_optimizer_state(loaded)
    np.testing.assert_allclose(weights_after_one_step(loaded), fresh, rtol=1e-6)
    stale = loaded_with_saved_state()  # not reset: the test can fail
    assert np.abs(weights_after_one_step(stale) - fresh).max() > 1e-3


def test_extra_state_is_checked_against_the_schedule():
    model = make_model(optimizers=False)
    model.current_iter = 4
    state = model.extra_state()
    assert state == {"pggan": {"iter": 4, "level": 1, "alpha": 0.5, "batch": 8}}
    fresh = make_model(seed=1, optimizers=False)
    fresh.set_extra_state(state)
    assert fresh.current_iter == 4
    level, alpha = fresh.nets["netG_ema"].level_alpha()
    assert level == 1 and alpha == pytest.approx(0.5)
    other = make_model(optimizers=False, lod_transition_kimg=0.064)
    with pytest.raises(ConfigError, match="resume with the schedule it was trained with"):
        other.set_extra_state(state)


def test_sample_is_the_moving_average_at_the_current_level_at_full_size():
    model = make_model(optimizers=False)
    first = model.sample(4, seed=2).numpy()
    assert first.shape == (4, 1, 16, 16) and np.abs(first).max() <= 1.0
    np.testing.assert_array_equal(first, up(first[:, :, ::4, ::4], 4))  # 4x4, nearest
    with paddle.no_grad():
        for p in model.nets["netG"].parameters():
            p.set_value(p * 0.0)  # sampling does not use netG
    np.testing.assert_array_equal(model.sample(4, seed=2).numpy(), first)
    assert [s.net for s in model.generators] == ["netG_ema", "netG"]
    assert model.generator_spec().inputs[0].shape == (16,)


def test_bad_model_configs_are_config_errors():
    with pytest.raises(ConfigError, match="same resolution and num_channels"):
        make_model(discriminator={"name": "PGGANDiscriminator", **NET, "resolution": 8})
    with pytest.raises(ConfigError, match="multiple of the discriminator's mbstd_group_size"):
        make_model(minibatch_dict={8: 6})
    with pytest.raises(ConfigError, match="G_smoothing"):
        make_model(G_smoothing=1.0)


@pytest.mark.skipif(not onnxruntime_available(), reason="onnxruntime not installed")
def test_moving_average_generator_exports_mid_fade_in(tmp_path):
    model = make_model(optimizers=False)
    rng = np.random.RandomState(0)
    with paddle.no_grad():  # weights that look trained: no bias or ToRGB left at 0
        for p in model.nets["netG_ema"].parameters():
            p.set_value(p + paddle.to_tensor(rng.normal(0, 0.1, p.shape).astype("float32")))
    model.set_level(2, 0.5)
    meta, layer, inputs = export_generator(model, str(tmp_path))
    assert meta["net"] == "netG_ema" and meta["output_shape"] == [None, 1, 16, 16]
    latent = sample_batch(inputs, 3, seed=1)
    dynamic = model.generate({"latent": latent[0]}).numpy()
    program = paddle.jit.load(os.path.join(str(tmp_path), "model"))
    with paddle.no_grad():
        static = program(paddle.to_tensor(latent[0])).numpy()
    np.testing.assert_allclose(static, dynamic, atol=1e-4)
    assert np.abs(dynamic - model.nets["netG_ema"].synthesize(
        paddle.to_tensor(latent[0]), 2, 1.0).numpy()).max() > 1e-3  # the fade is in it
    _, diff = add_onnx(layer, inputs, str(tmp_path), meta, atol=1e-4)
    assert diff is not None and diff <= 1e-4
    from ppgan_lite.deploy.backends import OnnxRuntimeBackend
    onnx_out = OnnxRuntimeBackend(os.path.join(str(tmp_path), "model.onnx"))(latent[0])
    np.testing.assert_allclose(onnx_out, dynamic, atol=1e-4)
