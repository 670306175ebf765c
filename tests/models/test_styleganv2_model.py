"""StyleGAN2Model: the penalties against hand-computed values, the logistic loss, the
moving average, the lazy-regularisation intervals, weights and lr / beta corrections,
the (z, truncation) generator, config errors, and an interrupted run resumed through
the trainer equal to an uninterrupted one."""
import math
import os

import numpy as np
import pytest
import yaml

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite import register_all
from ppgan_lite.models.styleganv2_parts import (PADDLEGAN_EMA_DECAY, LogisticGANLoss,
                                                ema_beta, lazy_betas, lazy_ratio,
                                                path_length_penalty, r1_penalty,
                                                update_ema)
from ppgan_lite.solver import build_lr_schedulers
from ppgan_lite.utils.config import load_config, to_attr_dict, validate_config
from ppgan_lite.utils.errors import ConfigError, DataError
from ppgan_lite.utils.registry import MODELS, build

register_all()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = {4: 8, 8: 8, 16: 4}


def model_config(**extra):
    return {"name": "StyleGAN2Model",
            "generator": {"name": "StyleGANv2Generator", "size": 16, "style_dim": 8,
                          "n_mlp": 2, "channels": TINY},
            "discriminator": {"name": "StyleGANv2Discriminator", "size": 16,
                              "channels": TINY}, **extra}


def optimizer_config():
    return {"optimG": {"name": "Adam", "beta1": 0.0, "beta2": 0.99},
            "optimD": {"name": "Adam", "beta1": 0.0, "beta2": 0.99}}


def tiny_model(seed=0, **extra):
    paddle.seed(seed)
    cfg = to_attr_dict({"model": model_config(**extra), "optimizer": optimizer_config(),
                        "lr_scheduler": {"name": "ConstantLR", "learning_rate": 0.002}})
    model = build(cfg.model, MODELS)
    model.setup_optimizers(build_lr_schedulers(cfg, 1, 10, model.learning_rate_multipliers()),
                           cfg.optimizer)
    return model


def batch(n=4, seed=0):
    rng = np.random.RandomState(seed)
    return {"A": paddle.to_tensor(rng.uniform(-1, 1, (n, 3, 16, 16)).astype("float32")),
            "A_path": [f"x/{i}.png" for i in range(n)]}


def params(net):
    return {k: v.numpy().copy() for k, v in net.named_parameters()}


# ---------------------------------------------------------------- penalties and loss
def test_r1_penalty_equals_the_hand_computed_value_and_gradient():
    # D(x) = c * sum(x^2): grad_x = 2 c x, so R1 = mean_n 4 c^2 sum(x_n^2), dR1/dc = 8 c ...
    x_np = np.random.RandomState(0).standard_normal((3, 2, 4, 4)).astype("float32")
    x = paddle.to_tensor(x_np, stop_gradient=False)
    c = paddle.to_tensor(np.float32(0.7), stop_gradient=False)
    pred = c * (x * x).reshape([3, -1]).sum(1, keepdim=True)
    r1 = r1_penalty(pred, x)
    squares = (x_np ** 2).reshape(3, -1).sum(1)
    assert float(r1) == pytest.approx(4 * 0.7 ** 2 * squares.mean(), rel=1e-5)
    r1.backward()  # differentiable w.r.t. D's parameters (create_graph)
    assert float(c.grad) == pytest.approx(8 * 0.7 * squares.mean(), rel=1e-5)


def test_path_length_penalty_equals_the_hand_computed_value():
    rng = np.random.RandomState(1)
    n, layers, dim, shape = 3, 2, 5, (3, 2, 2)
    a = rng.standard_normal((int(np.prod(shape)), layers * dim)).astype("float32")
    w_np = rng.standard_normal((n, layers, dim)).astype("float32")
    y = rng.standard_normal((n,) + shape).astype("float32")
    w = paddle.to_tensor(w_np, stop_gradient=False)
    image = paddle.matmul(w.reshape([n, -1]), paddle.to_tensor(a), transpose_y=True)
    image = image.reshape([n, *shape])  # a linear "generator": J = A
    penalty, lengths, new_mean = path_length_penalty(image, w, 0.5, decay=0.1,
                                                     noise=paddle.to_tensor(y))
    grad = (y.reshape(n, -1) @ a).reshape(n, layers, dim)  # J^T y per sample
    expected_lengths = np.sqrt((grad ** 2).sum(2).mean(1))
    expected_mean = 0.5 + 0.1 * (expected_lengths.mean() - 0.5)
    np.testing.assert_allclose(lengths.numpy(), expected_lengths, rtol=1e-5)
    assert new_mean == pytest.approx(expected_mean, rel=1e-6)
    assert float(penalty) == pytest.approx(((expected_lengths - expected_mean) ** 2).mean(),
                                           rel=1e-4)


def test_logistic_loss_is_softplus_and_weights_the_generator_only():
    pred = paddle.to_tensor([[-2.0], [0.5], [3.0]])
    softplus = lambda v: np.log1p(np.exp(v))  # noqa: E731
    values = np.array([-2.0, 0.5, 3.0])
    loss = LogisticGANLoss(loss_weight=2.0)
    assert float(loss(pred, True, is_disc=True)) == pytest.approx(softplus(-values).mean(),
                                                                  rel=1e-6)
    assert float(loss(pred, False, is_disc=True)) == pytest.approx(softplus(values).mean(),
                                                                   rel=1e-6)
    assert float(loss(pred, True)) == pytest.approx(2 * softplus(-values).mean(), rel=1e-6)
    # PaddleGAN's config (GANLoss, gan_mode logistic) builds it
    model = tiny_model(gan_criterion={"name": "GANLoss", "gan_mode": "logistic",
                                      "loss_weight": 1.0})
    assert isinstance(model.gan_criterion, LogisticGANLoss)


# ---------------------------------------------------------------- moving average
def test_ema_decay_paddlegans_and_the_ada_ramp_up():
    assert ema_beta(3, 500) == PADDLEGAN_EMA_DECAY == pytest.approx(0.997784, abs=1e-6)
    assert ema_beta(16, 0, ema_kimg=5, ema_rampup=0.05) == 0.0  # starts as a copy of G
    # 100 iterations of 16 images: half-life min(5000, 1600 x 0.05) = 80 images
    assert ema_beta(16, 100, 5, 0.05) == pytest.approx(0.5 ** (16 / 80))
    assert ema_beta(16, 10 ** 6, 5, 0.05) == pytest.approx(0.5 ** (16 / 5000))
    assert ema_beta(16, 3, 5, None) == pytest.approx(0.5 ** (16 / 5000))


def test_update_ema_blends_parameters_and_leaves_buffers():
    from ppgan_lite.models.generators.stylegan2 import StyleGANv2Generator

    paddle.seed(0)
    net, ema = StyleGANv2Generator(8, 4, 1, channels={4: 4, 8: 4}), \
        StyleGANv2Generator(8, 4, 1, channels={4: 4, 8: 4})
    before, target = params(ema), params(net)
    noise = ema.noises.noise_0.numpy().copy()
    update_ema(ema, net, 0.9)
    for k, v in params(ema).items():
        np.testing.assert_allclose(v, 0.9 * before[k] + 0.1 * target[k], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(ema.noises.noise_0.numpy(), noise)


def test_gen_ema_starts_as_gen_and_moves_once_per_iteration():
    model = tiny_model(ema_kimg=0.001, params={"gen_iters": 1, "disc_iters": 16})
    gen, ema = model.nets["gen"], model.nets["gen_ema"]
    for a, b in zip(gen.state_dict().values(), ema.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # buffers too
    assert all(p.stop_gradient for p in ema.parameters())
    stepped = {id(p) for opt in model.optimizers.values() for p in opt._parameter_list}
    assert stepped == {id(p) for n in ("gen", "disc") for p in model.nets[n].parameters()}
    for it in (0, 1):  # every iteration has a path-length step: two G steps, one EMA move
        before = params(ema)
        model.setup_input(batch())
        model.current_iter = it
        model.train_iter(model.optimizers)
        beta = ema_beta(4, it, 0.001, None)
        for k, v in params(ema).items():
            np.testing.assert_allclose(v, beta * before[k] + (1 - beta) * params(gen)[k],
                                       rtol=1e-5, atol=1e-6)


def test_wgangp_critic_terms_equal_the_hand_computed_ones(monkeypatch):
    """gan_mode wgangp: D's step is D(fake) - D(real) + lambda (||grad D(x^)|| - 1)^2
    + epsilon D(real)^2 (NVlabs' D_wgan_gp), G's is -D(G(z)); R1 off, no R1 step."""
    model = tiny_model(gan_criterion={"name": "GANLoss", "gan_mode": "wgangp"},
                       r1_reg_weight=0, path_reg_weight=0, mixing_prob=0,
                       wgan_lambda=7.0, wgan_epsilon=0.01)
    seen, backwards = [], []
    original_discriminate = model.discriminate

    def record(images):
        scores = original_discriminate(images)
        if not images.stop_gradient and len(seen) == 2:  # the penalty's interpolates
            grad = paddle.grad(scores.sum(), images, retain_graph=True)[0]
            norms = np.sqrt((grad.numpy().reshape(len(grad), -1) ** 2).sum(1))
            seen.append(7.0 * ((norms - 1) ** 2).mean())
        else:
            seen.append(scores.numpy().ravel().copy())
        return scores

    monkeypatch.setattr(model, "discriminate", record)
    original_backward = model.backward
    monkeypatch.setattr(model, "backward", lambda loss, group: (
        backwards.append((group, float(loss))), original_backward(loss, group)))
    model.setup_input(batch())
    model.current_iter = 0
    model.train_iter(model.optimizers)
    real, fake, gp, g_scores = seen
    drift = 0.01 * (real ** 2).mean()
    assert float(model.losses["D_gp"]) == pytest.approx(gp, rel=1e-4) and gp > 0
    assert float(model.losses["D_drift"]) == pytest.approx(drift, rel=1e-5)
    assert backwards[0] == ("optimD", pytest.approx(
        fake.mean() - real.mean() + gp + drift, rel=1e-4, abs=1e-5))
    assert backwards[1:] == [("optimG", pytest.approx(-g_scores.mean(), rel=1e-5))]
    assert "D_r1" not in model.losses


def test_d_repeats_steps_d_on_fresh_fakes_before_each_g_step(monkeypatch):
    model = tiny_model(r1_reg_weight=10.0, path_reg_weight=0, D_repeats=3,
                       params={"gen_iters": 4, "disc_iters": 2})
    steps, fakes = [], []
    original_step = model.step
    monkeypatch.setattr(model, "step", lambda opts, group: (
        steps.append((model.current_iter, group)), original_step(opts, group)))
    original_discriminate = model.discriminate
    monkeypatch.setattr(model, "discriminate", lambda images: (
        fakes.append(images.numpy().copy()), original_discriminate(images))[1])
    for it in range(2):
        model.setup_input(batch())
        model.current_iter = it
        model.train_iter(model.optimizers)
    # iteration 0: 3 D steps + the R1 step, then G; iteration 1: 3 D steps, then G
    assert steps == [(0, "optimD")] * 4 + [(0, "optimG")] + [(1, "optimD")] * 3 + [(1, "optimG")]
    d_fakes = [fakes[i] for i in (1, 3, 5)]  # real, fake per D step in iteration 0
    assert not np.allclose(d_fakes[0], d_fakes[1]) and not np.allclose(d_fakes[1], d_fakes[2])
    with pytest.raises(ConfigError, match="D_repeats must be a whole number >= 1"):
        build(model_config(D_repeats=0), MODELS)


def test_wgangp_settings_are_checked():
    with pytest.raises(ConfigError, match="wgan_lambda / wgan_epsilon must be >= 0"):
        build(model_config(gan_criterion={"name": "GANLoss", "gan_mode": "wgangp"},
                           wgan_lambda=-1), MODELS)
    assert not build(model_config(), MODELS).wgangp  # the logistic default


# ---------------------------------------------------------------- lazy regularisation
def test_lazy_intervals_steps_and_weights(monkeypatch):
    model = tiny_model(r1_reg_weight=10.0, path_reg_weight=2.0,
                       params={"gen_iters": 4, "disc_iters": 8})
    calls, backwards = [], []
    original_backward = model.backward

    def record_backward(loss, group):
        backwards.append((model.current_iter, group, float(loss)))
        original_backward(loss, group)

    monkeypatch.setattr(model, "backward", record_backward)
    original_step = model.step
    monkeypatch.setattr(model, "step", lambda opts, group: (
        calls.append((model.current_iter, group)), original_step(opts, group)))
    for it in range(9):
        model.setup_input(batch())
        model.current_iter = it
        model.train_iter(model.optimizers)
        if it % 8 == 0:  # the R1 step's loss is r1_reg_weight / 2 x R1 x disc_iters
            r1_loss = [b for b in backwards if b[0] == it and b[1] == "optimD"][1][2]
            assert r1_loss == pytest.approx(10.0 / 2 * float(model.losses["D_r1"]) * 8,
                                            rel=1e-5)
        if it % 4 == 0:
            path_loss = [b for b in backwards if b[0] == it and b[1] == "optimG"][1][2]
            assert path_loss == pytest.approx(2.0 * 4 * float(model.losses["G_path"]),
                                              rel=1e-5)
    steps = {(it, g): sum(1 for c in calls if c == (it, g)) for it, g in set(calls)}
    assert [it for it in range(9) if steps[(it, "optimD")] == 2] == [0, 8]
    assert [it for it in range(9) if steps[(it, "optimG")] == 2] == [0, 4, 8]
    assert all(steps[(it, g)] in (1, 2) for it in range(9) for g in ("optimD", "optimG"))
    assert set(model.losses) == {"D_loss", "D_real_score", "D_fake_score", "D_r1", "G_loss",
                                 "G_path", "path_length"}
    assert model.mean_path_length > 0


def test_learning_rate_and_beta_corrections():
    model = tiny_model(params={"gen_iters": 4, "disc_iters": 16})
    assert model.learning_rate_multipliers() == {"optimG": 0.8, "optimD": 16 / 17}
    assert lazy_ratio(4) == 0.8
    assert tiny_model(r1_reg_weight=0).learning_rate_multipliers() == {"optimG": 0.8}
    # the trainer's schedule carries the factor
    cfg = to_attr_dict({"optimizer": optimizer_config(),
                        "lr_scheduler": {"name": "ConstantLR", "learning_rate": 0.0025}})
    rates = build_lr_schedulers(cfg, 1, 10, model.learning_rate_multipliers())
    assert rates["optimG"]() == pytest.approx(0.002) and rates["optimD"]() == pytest.approx(
        0.0025 * 16 / 17)
    # the official betas, beta ** ratio; our recipes use them, PaddleGAN's multiplies
    assert lazy_betas(0.0, 0.99, 4) == (0.0, pytest.approx(0.99199197, abs=1e-8))
    assert lazy_betas(0.0, 0.99, 16) == (0.0, pytest.approx(0.99058546, abs=1e-8))
    for name in ("styleganv2_mnist32.yaml", "styleganv2_lfw.yaml"):
        cfg = load_config(os.path.join(ROOT, "configs", name))
        params_ = cfg.model.params
        for group, interval in (("optimG", params_.gen_iters), ("optimD", params_.disc_iters)):
            b1, b2 = lazy_betas(0.0, 0.99, interval)
            assert cfg.optimizer[group].beta1 == b1
            assert cfg.optimizer[group].beta2 == pytest.approx(b2, abs=1e-9), (name, group)
    paddlegan = load_config(os.path.join(ROOT, "configs", "stylegan_v2_256_ffhq.yaml"))
    assert paddlegan.optimizer.optimG.beta2 == pytest.approx(0.99 * 0.8)
    assert paddlegan.optimizer.optimD.beta2 == pytest.approx(0.99 * 16 / 17)


# ---------------------------------------------------------------- generation
def test_generator_layer_takes_z_and_a_truncation_per_sample():
    model = tiny_model()
    assert list(model.generator_nets)[0] == "gen_ema"
    assert [i.kind for i in model.generator_spec().inputs] == ["noise", "scalar"]
    layer = model.generator_layer("gen_ema")
    z = paddle.to_tensor(np.random.RandomState(0).standard_normal((3, 8)).astype("float32"))
    with paddle.no_grad():
        plain = model.nets["gen_ema"]([z], randomize_noise=False)[0].clip(-1, 1).numpy()
        untruncated = layer(z, paddle.ones([3, 1])).numpy()
        collapsed = layer(z, paddle.zeros([3, 1])).numpy()
        mixed = layer(z, paddle.to_tensor([[1.0], [0.0], [1.0]])).numpy()
    np.testing.assert_allclose(untruncated, plain, atol=1e-5)
    np.testing.assert_allclose(collapsed[0], collapsed[1], atol=1e-5)  # all the mean face
    assert np.abs(collapsed[0] - untruncated[0]).max() > 1e-3
    np.testing.assert_allclose(mixed[[0, 2]], untruncated[[0, 2]], atol=1e-5)
    np.testing.assert_allclose(mixed[1], collapsed[1], atol=1e-5)
    # sample: the same seed, the same images, in [-1, 1]; a truncation per sample
    first, again = model.sample(4, seed=2).numpy(), model.sample(4, seed=2).numpy()
    np.testing.assert_array_equal(first, again)
    assert np.abs(first).max() <= 1.0
    assert model.sample_inputs(2, truncation=0.5)["truncation"].tolist() == [[0.5], [0.5]]


def test_validation_draws_the_ema_images_of_a_batch_reproducibly():
    model = tiny_model()
    model.setup_input(batch())
    model.test_iter()
    first = model.visual_items["fake"].numpy()
    model.test_iter()
    np.testing.assert_array_equal(first, model.visual_items["fake"].numpy())
    assert set(model.visual_items) == {"real", "fake"}


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("extra, match", [
    ({"num_style_feat": 512}, "style_dim 8"),
    ({"params": {"gen_iter": 4}}, "unknown model.params key 'gen_iter'"),
    ({"params": {"disc_iters": 0}}, "disc_iters must be >= 1"),
    ({"mixing_prob": 1.5}, "mixing_prob"),
    ({"gan_criterion": {"name": "GANLoss", "gan_mode": "logistic", "weight": 1}},
     "loss_weight only"),
])
def test_bad_model_settings_are_one_line(extra, match):
    with pytest.raises(ConfigError, match=match) as err:
        build(model_config(**extra), MODELS)
    assert "\n" not in str(err.value)


def test_gen_ema_in_an_optimizer_and_wrong_data_are_refused():
    model = build(model_config(), MODELS)
    with pytest.raises(ConfigError, match="gen_ema, the moving average"):
        model.setup_optimizers(0.002, {"optimG": {"name": "Adam", "net_names": ["gen_ema"]},
                                       "optimD": {"name": "Adam"}})
    with pytest.raises(DataError, match="16x16"):
        model.setup_input({"A": paddle.zeros([2, 3, 32, 32])})
    with pytest.raises(DataError, match="channels: 3"):
        model.setup_input({"A": paddle.zeros([2, 1, 16, 16])})
    no_disc = build({k: v for k, v in model_config().items() if k != "discriminator"}, MODELS)
    no_disc.setup_input(batch())
    with pytest.raises(ConfigError, match="needs model.discriminator"):
        no_disc.train_iter({})


# ---------------------------------------------------------------- configs and resume
def test_paddlegans_ffhq_config_loads_with_its_own_keys():
    path = os.path.join(ROOT, "configs", "stylegan_v2_256_ffhq.yaml")
    cfg = validate_config(load_config(path))
    assert cfg.validate.save_imig is False and cfg.model.max_eval_steps == 50000
    assert cfg.dataset.train.name == "SingleDataset"
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    assert raw["optimizer"]["optimG"]["beta2"] == 0.792  # PaddleGAN's, kept verbatim
    assert cfg.model.params == {"gen_iters": 4, "disc_iters": 16}


def trainer_config(root, iters, diffaugment=None):
    return validate_config(to_attr_dict({
        "total_iters": iters, "output_dir": "unused",
        "model": model_config(params={"gen_iters": 2, "disc_iters": 4}, ema_kimg=0.01,
                              ema_rampup=0.05, diffaugment=diffaugment),
        "dataset": {"train": {"name": "DigitsDataset", "size": 16, "channels": 3, "per_class": 2,
                              "batch_size": 4}},
        "optimizer": optimizer_config(),
        "lr_scheduler": {"name": "ConstantLR", "learning_rate": 0.002},
        "log_config": {"interval": 1, "visiual_interval": 10 ** 6},
        "snapshot_config": {"interval": 3, "keep_last": 5},
    }))


@pytest.mark.parametrize("diffaugment", [None, "color,translation,cutout"])
def test_an_interrupted_run_resumed_equals_an_uninterrupted_one(tmp_path, diffaugment):
    from ppgan_lite.engine.trainer import Trainer
    from ppgan_lite.utils.checkpoint import load_state
    from ppgan_lite.utils.logger import read_jsonl

    whole = Trainer(trainer_config(tmp_path, 6, diffaugment), str(tmp_path / "whole"), seed=3)
    final = whole.train()
    halfway = str(tmp_path / "whole" / "checkpoints" / "iter_00000003.ckpt.npz")
    resumed = Trainer(trainer_config(tmp_path, 6, diffaugment), str(tmp_path / "resumed"),
                      seed=3, resume=halfway)
    assert resumed.current_iter == 3
    again = resumed.train()
    a, b = load_state(final), load_state(again)
    assert a["model_state"]["mean_path_length"] > 0  # iterations 4 has a path-length step
    assert a["model_state"] == b["model_state"]
    for net in ("gen", "disc", "gen_ema"):
        for key, value in a["nets"][net].items():
            np.testing.assert_array_equal(value, b["nets"][net][key], err_msg=f"{net}.{key}")
    logs = [[{k: v for k, v in r.items() if k[0].isupper() or k == "path_length"}
             for r in read_jsonl(str(tmp_path / run / "log.jsonl")) if r["iter"] > 3]
            for run in ("whole", "resumed")]
    assert logs[0] == logs[1] and len(logs[0]) == 3
    assert all(math.isfinite(v) for r in logs[0] for v in r.values())
