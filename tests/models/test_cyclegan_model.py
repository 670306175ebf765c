"""CycleGANModel: the loss terms against their definitions (identity weight
semantics included), one forward per generator use, the order of the steps, the image
pools' state, direction, test visuals, the sample strip and errors."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite.metrics.psnr_ssim import PSNR
from ppgan_lite.utils.errors import ConfigError, DataError
from ppgan_lite.utils.registry import MODELS, build

from translation_model_testutils import SIZE

GENERATOR = {"name": "ResnetGenerator", "input_nc": 3, "output_nc": 3, "ngf": 4, "n_blocks": 1,
             "norm_type": "instance"}
DISCRIMINATOR = {"name": "NLayerDiscriminator", "input_nc": 3, "ndf": 4, "n_layers": 2,
                 "norm_type": "instance"}
OPTIMIZERS = {"optimG": {"name": "Adam", "beta1": 0.5}, "optimD": {"name": "Adam", "beta1": 0.5}}
G_TERMS = ["G_idt_A_loss", "G_idt_B_loss", "G_A_adv_loss", "G_B_adv_loss", "G_A_cycle_loss",
           "G_B_cycle_loss"]
D_TERMS = [f"D_{d}_{part}loss" for d in "AB" for part in ("real_", "fake_", "")]


def tiny(seed=0, **changes):
    paddle.seed(seed)
    np.random.seed(seed)
    cfg = {"name": "CycleGANModel", "generator": dict(GENERATOR),
           "discriminator": dict(DISCRIMINATOR),
           "idt_criterion": {"name": "L1Loss", "loss_weight": 0.5},
           "image_shape": [3, SIZE, SIZE], **changes}
    model = build(cfg, MODELS, "model")
    model.setup_optimizers(2e-4, OPTIMIZERS)
    model.setup_train_mode(True)
    return model


def batch(n=1, seed=0):
    rng = np.random.default_rng(seed)
    return {k: paddle.to_tensor(rng.uniform(-1, 1, (n, 3, SIZE, SIZE)).astype("float32"))
            for k in "AB"}


def count_calls(model):
    """{net: forward calls}, counted by forward pre-hooks."""
    counts = {name: 0 for name in model.nets}
    for name, net in model.nets.items():
        def hook(layer, inputs, name=name):
            counts[name] += 1
        net.register_forward_pre_hook(hook)
    return counts


def test_every_term_is_logged_and_is_its_definition():
    model = tiny()
    model.setup_input(batch(n=2))
    model.train_iter()
    losses = model.get_current_losses()
    assert sorted(losses) == sorted(G_TERMS + D_TERMS)
    real_A, real_B = model.real_A.numpy(), model.real_B.numpy()
    l1 = lambda x, y: float(np.abs(x.numpy() - y).mean())  # noqa: E731
    # identity: PaddleGAN's idt_criterion(G_A(B), B) * lambda_b, with the criterion's
    # loss_weight 0.5 in it: 0.5 x 10 = 5 x the L1 distance
    visuals = model.get_current_visuals()
    assert losses["G_idt_A_loss"] == pytest.approx(5.0 * l1(visuals["idt_A"], real_B), rel=1e-5)
    assert losses["G_idt_B_loss"] == pytest.approx(5.0 * l1(visuals["idt_B"], real_A), rel=1e-5)
    assert losses["G_A_cycle_loss"] == pytest.approx(10.0 * l1(model.rec_A, real_A), rel=1e-5)
    assert losses["G_B_cycle_loss"] == pytest.approx(10.0 * l1(model.rec_B, real_B), rel=1e-5)
    for d in "AB":
        assert losses[f"D_{d}_loss"] == pytest.approx(
            0.5 * (losses[f"D_{d}_real_loss"] + losses[f"D_{d}_fake_loss"]), rel=1e-6)


def test_lambdas_and_no_identity_criterion():
    model = tiny(lambda_a=2.0, lambda_b=4.0, idt_criterion=None)
    model.setup_input(batch())
    model.train_iter()
    losses = model.get_current_losses()
    assert "G_idt_A_loss" not in losses and "idt_A" not in model.get_current_visuals()
    l1 = lambda x, y: float(np.abs(x.numpy() - y.numpy()).mean())  # noqa: E731
    assert losses["G_A_cycle_loss"] == pytest.approx(2.0 * l1(model.rec_A, model.real_A), rel=1e-5)
    assert losses["G_B_cycle_loss"] == pytest.approx(4.0 * l1(model.rec_B, model.real_B), rel=1e-5)


def test_one_forward_per_generator_use():
    """fake_B, rec_A, fake_A, rec_B, idt_A, idt_B: six generator runs, three each; D_A
    and D_B once in the G step and twice (real, pooled fake) in the D step."""
    model = tiny()
    counts = count_calls(model)
    model.setup_input(batch())
    model.train_iter()
    assert counts == {"netG_A": 3, "netG_B": 3, "netD_A": 3, "netD_B": 3}


def test_g_step_then_d_step_on_pooled_detached_fakes():
    """The G step leaves no gradient in the frozen discriminators; the D step leaves
    none in the generators; both steps move their own nets."""
    model = tiny()
    before = {n: [p.numpy().copy() for p in net.parameters()] for n, net in model.nets.items()}
    model.setup_input(batch())
    model.forward()
    model.set_requires_grad([model.nets["netD_A"], model.nets["netD_B"]], False)
    model.backward_G()
    assert all(p.grad is None for n in ("netD_A", "netD_B") for p in model.nets[n].parameters())
    model.optimizers["optimG"].clear_grad()
    model.set_requires_grad([model.nets["netD_A"], model.nets["netD_B"]], True)
    model.backward_D()
    assert all(p.grad is None or float(p.grad.abs().sum()) == 0.0
               for n in ("netG_A", "netG_B") for p in model.nets[n].parameters())
    model.setup_input(batch(seed=1))
    model.train_iter()
    for name, net in model.nets.items():
        moved = [not np.array_equal(p.numpy(), b) for p, b in zip(net.parameters(), before[name])]
        assert any(moved), name


def test_pools_are_seeded_from_numpy_and_saved_in_extra_state():
    model, again = tiny(seed=3, pool_size=2), tiny(seed=3, pool_size=2)
    other = tiny(seed=4, pool_size=2)
    state = model.extra_state()
    assert state["fake_A_pool"]["rng"] == again.extra_state()["fake_A_pool"]["rng"]
    assert state["fake_A_pool"]["rng"] != other.extra_state()["fake_A_pool"]["rng"]
    assert state["fake_A_pool"]["rng"] != state["fake_B_pool"]["rng"]  # two streams
    for i in range(3):  # the pools fill (2 images each), then draw
        model.setup_input(batch(seed=i))
        model.train_iter()
    state = model.extra_state()
    assert len(state["fake_B_pool"]["images"]) == 2
    other.set_extra_state(state)
    fake = paddle.to_tensor(np.zeros((4, 3, SIZE, SIZE), "float32"))
    np.testing.assert_array_equal(model.fake_B_pool.query(fake).numpy(),
                                  other.fake_B_pool.query(fake).numpy())
    assert model.extra_state()["fake_B_pool"]["rng"] == other.extra_state()["fake_B_pool"]["rng"]


def test_direction_b2a_swaps_the_domains():
    model = tiny(direction="b2a")
    data = batch()
    model.setup_input(data)
    np.testing.assert_array_equal(model.real_A.numpy(), data["B"].numpy())
    np.testing.assert_array_equal(model.real_B.numpy(), data["A"].numpy())


def test_test_iter_visuals_metrics_and_one_domain_batches():
    model = tiny()
    model.setup_input(batch())
    model.train_iter()  # leaves idt_A / idt_B among the visuals
    model.setup_train_mode(False)
    model.setup_input(batch(n=3, seed=5))
    named, default = PSNR(pred_key="fake_B", gt_key="real_B"), PSNR()
    model.test_iter({"named": named, "default": default})
    visuals = model.get_current_visuals()
    assert list(visuals) == ["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"]
    assert named.accumulate() == default.accumulate()
    model.setup_input({"A": batch(n=2)["A"]})  # a folder of A photos only
    model.test_iter()
    assert list(model.get_current_visuals()) == ["real_A", "fake_B", "rec_A"]
    with pytest.raises(DataError, match="both 'A' and 'B'"):
        model.train_iter()
    with pytest.raises(DataError, match="UnpairedDataset"):
        model.setup_input({"label": 1})


def test_sample_strip_shows_both_cycles():
    model = tiny()
    data = batch(n=3)
    strip = model.sample(2, **model.sample_condition(data)).numpy()
    assert strip.shape == (2, 3, SIZE, 6 * SIZE)
    np.testing.assert_array_equal(strip[..., :SIZE], data["A"].numpy()[:2])
    np.testing.assert_array_equal(strip[..., 3 * SIZE:4 * SIZE], data["B"].numpy()[:2])
    fake_B = model.generate({"image": data["A"][:2]}, net="netG_A")
    np.testing.assert_allclose(strip[..., SIZE:2 * SIZE], fake_B.numpy(), atol=1e-6)
    rec_A = model.generate({"image": fake_B}, net="netG_B")
    np.testing.assert_allclose(strip[..., 2 * SIZE:3 * SIZE], rec_A.numpy(), atol=1e-6)
    assert model.sample(2, image=data["A"]).shape == [2, 3, SIZE, 3 * SIZE]
    assert model.sample(2) is None


@pytest.mark.parametrize("changes, message", [
    ({"generator": dict(GENERATOR, output_nc=1)}, "input_nc 3 != output_nc 1"),
    ({"discriminator": dict(DISCRIMINATOR, input_nc=6)}, "input_nc: 3"),
    ({"pool_size": -1}, "pool_size must be an integer"),
    ({"direction": "x"}, "direction 'x' is unknown"),
])
def test_bad_arguments_are_one_line(changes, message):
    with pytest.raises(ConfigError, match=message) as err:
        tiny(**changes)
    assert "\n" not in str(err.value)


def test_defaults_are_paddlegans():
    model = build({"name": "CycleGANModel", "generator": dict(GENERATOR)}, MODELS)
    assert model.gan_criterion.gan_mode == "lsgan"
    assert (model.lambda_a, model.lambda_b) == (10.0, 10.0)
    assert model.fake_A_pool.pool_size == model.fake_B_pool.pool_size == 50
    assert model.idt_criterion is None and model.direction == "a2b"
    assert [s.net for s in model.generators] == ["netG_A", "netG_B"]
    assert model.generator_spec("netG_B").inputs[0].shape == (3, 256, 256)
