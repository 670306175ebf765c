"""The model contract (ppgan_lite/models/base_model.py), checked on every config in
configs/: a new config is covered by adding the file.

Each config's model is built with its nets' widths and sizes capped (``WIDTH_CAPS``:
the same layers at a fraction of the cost, so every recipe runs in seconds), then:
``setup_input`` on a synthetic batch of what ``batch_inputs`` declares, two
``train_iter`` with the config's optimizer groups and per-group schedules, ``test_iter``,
``sample`` through ``sample_condition``, the export of every declared generator, and a
checkpoint round trip after which a fresh model continues with the same losses.
"""
import glob
import math
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite import register_all
from ppgan_lite.deploy import export_layer, run_dynamic, sample_batch
from ppgan_lite.engine.state import apply_optimizer_state, model_state, optimizer_state
from ppgan_lite.models.base_model import BaseModel, GeneratorNet
from ppgan_lite.solver import build_lr_schedulers
from ppgan_lite.utils.checkpoint import load_state, save_state
from ppgan_lite.utils.config import load_config, validate_config
from ppgan_lite.utils.registry import MODELS, build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))
# the sizes a contract check needs, not the recipe's: the same layers at a fraction of
# the cost (a 64 px U-GAT-IT discriminator takes at most 5 layers)
WIDTH_CAPS = {"ngf": 8, "ndf": 8, "img_size": 64, "n_layers": 5, "n_blocks": 2,
              "num_downs": 6,
              # StyleGAN2: 8 px, a 16-wide W and a 2-layer mapping (its widths at 8 px
              # stay the config's, 512 for PaddleGAN's FFHQ recipe)
              "size": 8, "style_dim": 16, "n_mlp": 2}
IMAGE_CAP = 64  # the side of a model's image_shape (a U-Net of 6 levels reaches 1x1 at 64)

register_all()


def shrunk(node):
    if isinstance(node, dict):
        return {k: (min(v, WIDTH_CAPS[k]) if k in WIDTH_CAPS and isinstance(v, int)
                    else shrunk(v)) for k, v in node.items()}
    return node


def shrunk_model(model_cfg):
    """The model config with WIDTH_CAPS applied, and a model's ``image_shape`` (its
    own, its constructor's default, or IMAGE_CAP) at most IMAGE_CAP px."""
    import inspect

    cfg = shrunk(dict(model_cfg))
    params = inspect.signature(MODELS.get(cfg["name"]).__init__).parameters
    if "image_shape" in params:
        channels, height, width = (cfg.get("image_shape") or params["image_shape"].default
                                   or (cfg["generator"].get("input_nc", 3), IMAGE_CAP,
                                       IMAGE_CAP))
        cfg["image_shape"] = [channels, min(height, IMAGE_CAP), min(width, IMAGE_CAP)]
    return cfg


def build_model(cfg, seed):
    paddle.seed(seed)
    np.random.seed(seed)
    model = build(shrunk_model(cfg.model), MODELS, "model")
    schedules = build_lr_schedulers(cfg, iters_per_epoch=1, total_iters=10,
                                    multipliers=model.learning_rate_multipliers())
    model.setup_optimizers(schedules, cfg.optimizer)
    return model


def synthetic_batch(model, n=2, seed=0):
    rng = np.random.RandomState(seed)
    batch = {}
    for item in model.batch_inputs():
        shape = (n,) + tuple(item.shape)
        if item.kind == "image":
            value = rng.uniform(-1, 1, shape)
        elif item.kind == "labels":
            value = np.eye(item.shape[0])[rng.randint(0, item.shape[0], n)]
        else:
            value = rng.standard_normal(shape)
        batch[item.name] = paddle.to_tensor(value.astype("float32"))
        batch[f"{item.name}_path"] = [f"synthetic/{item.name}_{i}.png" for i in range(n)]
    return batch


def train_step(model, batch, iteration):
    paddle.seed(1000 + iteration)
    model.setup_train_mode(True)
    model.setup_input(batch)
    model.current_iter = iteration
    model.train_iter(model.optimizers)
    return model.get_current_losses()


@pytest.fixture(scope="module", params=CONFIGS, ids=[os.path.basename(c) for c in CONFIGS])
def trained(request, tmp_path_factory):
    """(config, model after two iterations, its batch, a checkpoint of that state)."""
    cfg = validate_config(load_config(request.param))
    model = build_model(cfg, seed=0)
    batch = synthetic_batch(model)
    losses = [train_step(model, batch, i) for i in range(2)]
    path = str(tmp_path_factory.mktemp("contract") / "state.ckpt.npz")
    save_state(path, {"nets": model_state(model),
                      "optimizers": optimizer_state(model, model.optimizers),
                      "model_state": model.extra_state()})
    return cfg, model, batch, losses, path


def test_declarations(trained):
    cfg, model, _, _, _ = trained
    assert isinstance(model, BaseModel)
    assert set(cfg.optimizer) == set(type(model).optimizer_groups)
    for group, nets in type(model).optimizer_groups.items():
        assert set(nets) <= set(model.nets), group
    assert model.generator_nets and model.generators
    assert [s.net for s in model.generators] == list(type(model).generator_nets)
    for spec in model.generators:
        declared = type(model).generator_nets[spec.net]
        assert isinstance(declared, GeneratorNet)
        assert spec.net in model.nets
        assert tuple(i.kind for i in spec.inputs) == tuple(declared.takes)
    assert {i.name for i in model.batch_inputs()} >= {"A"}


def test_train_iter_logs_finite_losses(trained):
    _, model, _, losses, _ = trained
    for step in losses:
        assert step and all(math.isfinite(v) for v in step.values()), step
    assert set(losses[0]) <= set(losses[1]) or set(losses[1]) <= set(losses[0])


def test_test_iter_and_sample(trained):
    _, model, batch, _, _ = trained
    model.setup_train_mode(False)
    model.setup_input(batch)
    model.test_iter()
    visuals = model.get_current_visuals()
    assert visuals and all(len(v.shape) == 4 for v in visuals.values())
    condition = model.sample_condition(batch)
    first = model.sample(4, seed=3, **condition)
    again = model.sample(4, seed=3, **condition)
    assert first is not None and len(first.shape) == 4
    assert float(first.abs().max()) <= 1.0 + 1e-5
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert all(net.training is False for net in model.nets.values())  # modes restored


def test_every_declared_generator_exports(trained, tmp_path):
    """Every generator exports; two generators of one class and config (U-GAT-IT's
    genA2B and genB2A) are the same program, so the second one is not converted again."""
    _, model, _, _, _ = trained
    seen = set()
    for k, spec in enumerate(model.generators):
        layer = model.generator_layer(spec.net)
        shapes = tuple((n, tuple(p.shape)) for n, p in layer.state_dict().items())
        if (type(layer), shapes, spec.inputs) in seen:
            continue
        seen.add((type(layer), shapes, spec.inputs))
        folder = str(tmp_path / spec.net)
        meta = export_layer(layer, spec.inputs, folder, type(model).__name__, spec.net)
        assert [i["kind"] for i in meta["inputs"]] == [i.kind for i in spec.inputs]
        if k == 0:  # the main generator's program gives the dynamic net's images
            program = paddle.jit.load(os.path.join(folder, "model"))
            inputs = sample_batch(spec.inputs, 2, seed=4)
            with paddle.no_grad():
                out = program(*[paddle.to_tensor(a) for a in inputs])
            np.testing.assert_allclose(out.numpy(), run_dynamic(layer, *inputs), atol=1e-4)


def test_checkpoint_round_trip_continues_identically(trained):
    cfg, model, batch, _, path = trained
    fresh = build_model(cfg, seed=7)  # other initial weights
    state = load_state(path)
    for name, params in state["nets"].items():
        fresh.nets[name].set_state_dict({k: paddle.to_tensor(v) for k, v in params.items()})
    apply_optimizer_state(fresh, fresh.optimizers, state["optimizers"])
    fresh.set_extra_state(state.get("model_state") or {})
    expected = train_step(model, batch, 2)
    got = train_step(fresh, batch, 2)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == pytest.approx(expected[key], rel=1e-5, abs=1e-6), key
