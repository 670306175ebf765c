"""pix2pix / CycleGAN nets (UnetGenerator, ResnetGenerator, NLayerDiscriminator):
PaddleGAN's state-dict layout, outputs and gradients equal PaddleGAN's for the same
weights, PaddleGAN .pdparams load, construction errors.

Reference data: tests/reference/make_translation_references.py (PaddleGAN's own classes).
"""
import json
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite.models.discriminators.nlayers import NLayerDiscriminator
from ppgan_lite.models.generators.resnet import ResnetGenerator
from ppgan_lite.models.generators.unet import UnetGenerator
from ppgan_lite.utils.checkpoint import load_weights, place_weights
from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.registry import DISCRIMINATORS, GENERATORS, build

from translation_testutils import (CASE_FILES, DATA, NETS, assert_close, case_net, case_path,
                                   layout, load_case)

# ---------------------------------------------------------------- layouts, read off
# PaddleGAN's classes (ppgan/models/generators/unet.py, resnet.py,
# discriminators/nlayers.py) by the reference script.
BN = ("weight", "bias", "_mean", "_variance")  # nn.BatchNorm's four entries
U = "model.model.1.model.3.model.3."  # the third U-Net level

UNET_ND5_NGF4_BATCH = (
    [("model.model.0.weight", (4, 3, 4, 4)), ("model.model.1.model.1.weight", (8, 4, 4, 4))]
    + [(f"model.model.1.model.2.{n}", (8,)) for n in BN]
    + [("model.model.1.model.3.model.1.weight", (16, 8, 4, 4))]
    + [(f"model.model.1.model.3.model.2.{n}", (16,)) for n in BN]
    + [(U + "model.1.weight", (32, 16, 4, 4))]
    + [(U + f"model.2.{n}", (32,)) for n in BN]
    + [(U + "model.3.model.1.weight", (32, 32, 4, 4)),  # innermost: down, up, norm
       (U + "model.3.model.3.weight", (32, 32, 4, 4))]
    + [(U + f"model.3.model.4.{n}", (32,)) for n in BN]
    + [(U + "model.5.weight", (64, 16, 4, 4))]
    + [(U + f"model.6.{n}", (16,)) for n in BN]
    + [("model.model.1.model.3.model.5.weight", (32, 8, 4, 4))]
    + [(f"model.model.1.model.3.model.6.{n}", (8,)) for n in BN]
    + [("model.model.1.model.5.weight", (16, 4, 4, 4))]
    + [(f"model.model.1.model.6.{n}", (4,)) for n in BN]
    + [("model.model.3.weight", (8, 3, 4, 4)), ("model.model.3.bias", (3,))])


def _resnet_block(i):
    return [(f"model.{i}.conv_block.1.weight", (16, 16, 3, 3)),
            (f"model.{i}.conv_block.1.bias", (16,)), (f"model.{i}.conv_block.2.scale", (16,)),
            (f"model.{i}.conv_block.2.bias", (16,)),
            (f"model.{i}.conv_block.5.weight", (16, 16, 3, 3)),
            (f"model.{i}.conv_block.5.bias", (16,)), (f"model.{i}.conv_block.6.scale", (16,)),
            (f"model.{i}.conv_block.6.bias", (16,))]


RESNET_B2_NGF4_INSTANCE = (
    [("model.1.weight", (4, 3, 7, 7)), ("model.1.bias", (4,)), ("model.2.scale", (4,)),
     ("model.2.bias", (4,)), ("model.4.weight", (8, 4, 3, 3)), ("model.4.bias", (8,)),
     ("model.5.scale", (8,)), ("model.5.bias", (8,)), ("model.7.weight", (16, 8, 3, 3)),
     ("model.7.bias", (16,)), ("model.8.scale", (16,)), ("model.8.bias", (16,))]
    + _resnet_block(10) + _resnet_block(11)
    + [("model.12.weight", (16, 8, 3, 3)), ("model.12.bias", (8,)), ("model.13.scale", (8,)),
       ("model.13.bias", (8,)), ("model.15.weight", (8, 4, 3, 3)), ("model.15.bias", (4,)),
       ("model.16.scale", (4,)), ("model.16.bias", (4,)), ("model.19.weight", (3, 4, 7, 7)),
       ("model.19.bias", (3,))])

NLAYERS_N3_NDF4_INSTANCE = [
    ("model.0.weight", (4, 3, 4, 4)), ("model.0.bias", (4,)),
    ("model.2.weight", (8, 4, 4, 4)), ("model.2.bias", (8,)), ("model.3.scale", (8,)),
    ("model.3.bias", (8,)), ("model.5.weight", (16, 8, 4, 4)), ("model.5.bias", (16,)),
    ("model.6.scale", (16,)), ("model.6.bias", (16,)), ("model.8.weight", (32, 16, 4, 4)),
    ("model.8.bias", (32,)), ("model.9.scale", (32,)), ("model.9.bias", (32,)),
    ("model.11.weight", (1, 32, 4, 4)), ("model.11.bias", (1,))]

NLAYERS_N3_NDF4_SPECTRAL = [
    entry for i, (cin, cout) in zip((0, 2, 4, 6, 8), ((3, 4), (4, 8), (8, 16), (16, 32), (32, 1)))
    for entry in [(f"model.{i}.weight_orig", (cout, cin, 4, 4)),
                  (f"model.{i}.spectral_norm.weight_u", (cout,)),
                  (f"model.{i}.spectral_norm.weight_v", (cin * 16,))]
    + ([(f"model.{i}.layer.bias", (cout,))] if cout > 1 else [])]  # the last has no bias

# Values in the state dict / trainable values of the sizes PaddleGAN's configs ship
# (pix2pix_facades.yaml, cyclegan_horse2zebra.yaml, makeup.yaml), counted on its classes.
SHIPPED = [
    ("unet256_ngf64_batch", GENERATORS,
     dict(name="UnetGenerator", norm_type="batch", input_nc=3, output_nc=3, num_downs=8,
          ngf=64, use_dropout=False), 54423811, 54413955),
    ("resnet_9blocks_ngf64_instance", GENERATORS,
     dict(name="ResnetGenerator", output_nc=3, n_blocks=9, ngf=64, use_dropout=False,
          norm_type="instance", input_nc=3), 11388675, 11378179),
    ("nlayers_ndf64_instance", DISCRIMINATORS,
     dict(name="NLayerDiscriminator", ndf=64, n_layers=3, norm_type="instance", input_nc=3),
     2766529, 2764737),
    ("nlayers_ndf64_batch_input6", DISCRIMINATORS,
     dict(name="NLayerDiscriminator", ndf=64, n_layers=3, input_nc=6, norm_type="batch"),
     2770433, 2768641),
    ("nlayers_ndf64_spectral", DISCRIMINATORS,
     dict(name="NLayerDiscriminator", ndf=64, n_layers=3, input_nc=3, norm_type="spectral"),
     2781105, 2764736),
]


def test_layouts_equal_paddlegans_literal_lists():
    assert layout(UnetGenerator(3, 3, 5, ngf=4)) == UNET_ND5_NGF4_BATCH
    assert layout(ResnetGenerator(3, 3, ngf=4, n_blocks=2)) == RESNET_B2_NGF4_INSTANCE
    assert layout(NLayerDiscriminator(3, ndf=4, n_layers=3)) == NLAYERS_N3_NDF4_INSTANCE
    assert layout(NLayerDiscriminator(3, ndf=4, norm_type="spectral")) == \
        NLAYERS_N3_NDF4_SPECTRAL


def _layouts_json():
    with open(os.path.join(DATA, "translation_layouts.json"), encoding="utf-8") as f:
        return json.load(f)


LAYOUT_NETS = {
    "unet_nd5_ngf4_batch": lambda: UnetGenerator(3, 3, 5, ngf=4),
    "unet_nd6_ngf4_instance_dropout": lambda: UnetGenerator(3, 3, 6, ngf=4,
                                                            norm_type="instance",
                                                            use_dropout=True),
    "unet_nd8_ngf2_batch_dropout": lambda: UnetGenerator(3, 3, 8, ngf=2, use_dropout=True),
    "unet_nd5_ngf4_none": lambda: UnetGenerator(3, 1, 5, ngf=4, norm_type="none"),
    "resnet_b2_ngf4_instance": lambda: ResnetGenerator(3, 3, ngf=4, n_blocks=2),
    "resnet_b1_ngf4_batch_zero": lambda: ResnetGenerator(3, 3, ngf=4, n_blocks=1,
                                                         norm_type="batch",
                                                         padding_type="zero"),
    "resnet_b1_ngf4_none_replicate_dropout": lambda: ResnetGenerator(
        3, 3, ngf=4, n_blocks=1, norm_type="none", padding_type="replicate",
        use_dropout=True),
    "resnet_b2_ngf4_instance_zero_dropout": lambda: ResnetGenerator(
        3, 3, ngf=4, n_blocks=2, padding_type="zero", use_dropout=True),
    "nlayers_n3_ndf4_instance": lambda: NLayerDiscriminator(3, ndf=4),
    "nlayers_n3_ndf4_batch": lambda: NLayerDiscriminator(6, ndf=4, norm_type="batch"),
    "nlayers_n3_ndf4_spectral": lambda: NLayerDiscriminator(3, ndf=4, norm_type="spectral"),
    "nlayers_n1_ndf4_none": lambda: NLayerDiscriminator(3, ndf=4, n_layers=1,
                                                        norm_type="none"),
}


@pytest.mark.parametrize("name", sorted(LAYOUT_NETS))
def test_layouts_and_dropout_places_equal_paddlegans_recorded_ones(name):
    small = _layouts_json()["small"]
    assert set(small) == set(LAYOUT_NETS)
    net = LAYOUT_NETS[name]()
    assert layout(net) == [(k, tuple(s)) for k, s in small[name]["state_dict"]]
    assert [n for n, layer in net.named_sublayers() if isinstance(layer, paddle.nn.Dropout)] \
        == small[name]["dropout"]


def test_dropout_sits_in_the_ngf8_middle_blocks_only():
    """PaddleGAN's U-Net (as junyanz's) has num_downs - 5 dropout layers, each last in a
    middle ngf*8 block, none in the four outer blocks; 8 downs: three."""
    names = LAYOUT_NETS["unet_nd8_ngf2_batch_dropout"]().named_sublayers()
    dropout = [n for n, layer in names if isinstance(layer, paddle.nn.Dropout)]
    outer = "model.model.1.model.3.model.3.model.3."  # the first ngf*8 middle block
    assert dropout == [outer + "model.3." * depth + "model.7" for depth in (2, 1, 0)]


@pytest.mark.parametrize("name,registry,cfg,values,trainable",
                         SHIPPED, ids=[s[0] for s in SHIPPED])
def test_shipped_sizes_have_paddlegans_parameter_counts(name, registry, cfg, values,
                                                        trainable):
    assert _layouts_json()["shipped"][name] == {"state_dict_values": values,
                                                "trainable_values": trainable}
    net = build(cfg, registry)
    assert sum(int(np.prod(v.shape)) for v in net.state_dict().values()) == values
    assert sum(int(np.prod(p.shape)) for p in net.parameters()
               if p.trainable and not p.stop_gradient) == trainable


# ---------------------------------------------------------------- numerics
def test_reference_data_covers_every_mode():
    cases = [load_case(p)[0] for p in CASE_FILES]
    assert len(cases) == 11
    assert {c["family"] for c in cases} == set(NETS)
    norms = {(c["family"], c["kwargs"].get("norm_type", "x")) for c in cases
             if "train" in c["modes"]}
    assert {("unet", "batch"), ("unet", "instance"), ("resnet", "batch"),
            ("resnet", "instance"), ("nlayers", "spectral")} <= norms
    assert sum(c["kwargs"].get("use_dropout", False) for c in cases) == 3


@pytest.mark.parametrize("path", CASE_FILES, ids=[os.path.basename(p)[12:-4] for p in CASE_FILES])
def test_outputs_and_gradients_equal_paddlegans(path):
    case, ref = load_case(path)
    params = ref["params"]
    x = ref["input"]
    assert [k for k, _ in layout(NETS[case["family"]](**case["kwargs"]))] == list(params)

    if "eval" in case["modes"]:
        net = case_net(case, params)
        net.eval()
        with paddle.no_grad():
            assert_close(net(paddle.to_tensor(x)).numpy(), ref["eval"])

    if "train" in case["modes"]:
        net = case_net(case, params)
        net.train()
        xt = paddle.to_tensor(x, stop_gradient=False)
        out = net(xt)
        assert_close(out.numpy(), ref["train"])
        state = net.state_dict()
        for key, value in ref.get("after_train", {}).items():  # batch-norm running stats
            assert_close(state[key].numpy(), value)
        if "grad" in case["modes"]:
            (out * paddle.to_tensor(ref["cotangent"])).sum().backward()
            assert_close(xt.grad.numpy(), ref["grad_input"])
            if case["kwargs"].get("norm_type") == "spectral":
                return  # Paddle's spectral_norm weight gradient is wrong: see below
            named = dict(net.named_parameters())
            for key, value in ref["grad"].items():
                assert_close(named[key].grad.numpy(), value)


def test_batch_norm_uses_the_batch_statistics_in_eval_mode():
    """PaddleGAN's pix2pix norm (trainable_statistics): an image's output depends on the
    batch it comes in, in eval mode too; instance norm's does not."""
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 32, 32)).astype("float32")
    for norm_type, batch_dependent in (("batch", True), ("instance", False)):
        paddle.seed(1)
        net = UnetGenerator(3, 3, 5, ngf=2, norm_type=norm_type)
        net.eval()
        with paddle.no_grad():
            pair = net(paddle.to_tensor(x)).numpy()[:1]
            alone = net(paddle.to_tensor(x[:1])).numpy()
        assert (np.abs(pair - alone).max() > 1e-3) == batch_dependent


# ---------------------------------------------------------------- PaddleGAN files
@pytest.mark.parametrize("name", ["unet_batch", "resnet_instance_reflect",
                                  "nlayers_spectral"])
def test_pdparams_saved_from_paddlegans_state_dict_load(name, tmp_path):
    """A single net's .pdparams (as PaddleGAN publishes) and a training checkpoint's
    {net: state_dict} one, written by paddle.save, place into the same-named net."""
    case, ref = load_case(case_path(name))
    tensors = {k: paddle.to_tensor(v) for k, v in ref["params"].items()}
    mode = case["modes"][0]
    for nested in (False, True):
        path = str(tmp_path / f"{name}_{nested}.pdparams")
        paddle.save({"netG": tensors, "netD": {}} if nested else tensors, path)
        loaded = load_weights(path)
        params = loaded["netG"] if nested else loaded[""]
        net = NETS[case["family"]](**case["kwargs"])
        place_weights(net, params, path, "netG")
        net.train(mode == "train")
        with paddle.no_grad():
            assert_close(net(paddle.to_tensor(ref["input"])).numpy(), ref[mode])


# ---------------------------------------------------------------- spectral norm
def test_spectral_norm_stores_its_power_iteration_and_converges():
    """PaddleGAN's spectral_norm op never writes u and v back (every step restarts
    from the random initial vectors); ours stores them, so sigma converges to the
    largest singular value and eval mode then matches train mode."""
    paddle.seed(3)
    net = NLayerDiscriminator(3, ndf=4, n_layers=1, norm_type="spectral")
    conv = net.model[2]
    u0 = conv.spectral_norm.weight_u.numpy().copy()
    x = paddle.uniform([1, 3, 16, 16], min=-1, max=1)
    net.train()
    for _ in range(30):
        net(x)
    assert not np.allclose(conv.spectral_norm.weight_u.numpy(), u0)
    normalized = conv.normalized_weight().numpy()
    assert abs(np.linalg.svd(normalized.reshape(normalized.shape[0], -1),
                             compute_uv=False)[0] - 1.0) < 1e-3
    train_out = net(x).numpy()
    net.eval()
    assert_close(net(x).numpy(), train_out, rel=1e-3)


def test_spectral_norm_weight_gradient_is_the_true_one_not_paddles():
    """d/dW of L(W / sigma), sigma = u.Wv with u, v constant, is
    (G - <G, W/sigma> u v^T) / sigma for G = dL/d(W/sigma). Paddle's spectral_norm_grad
    kernel (PaddleGAN's path) computes G * (1 - u v^T * sum(W/sigma)) / sigma instead, so
    PaddleGAN's recorded weight gradient differs; the input gradient agrees (above)."""
    case, ref = load_case(case_path("nlayers_spectral"))
    net = case_net(case, ref["params"])
    net.train()
    out = net(paddle.to_tensor(ref["input"]))
    (out * paddle.to_tensor(ref["cotangent"])).sum().backward()
    conv = net.model[0]
    ours = conv.weight_orig.grad.numpy()
    net.eval()  # from here on the vectors that step stored, i.e. the weights it used

    # G: the same loss as a function of the normalised first-layer weight
    normalized = paddle.to_tensor(conv.normalized_weight().numpy(), stop_gradient=False)
    h = paddle.nn.functional.conv2d(paddle.to_tensor(ref["input"]), normalized,
                                    conv.layer.bias, stride=2, padding=1)
    for layer in list(net.model)[1:]:
        h = layer(h)
    (h * paddle.to_tensor(ref["cotangent"])).sum().backward()
    g = normalized.grad.numpy()
    w_n = normalized.numpy()
    u = conv.spectral_norm.weight_u.numpy()
    v = conv.spectral_norm.weight_v.numpy()
    sigma = float(conv.weight_orig.numpy().reshape(len(u), -1)[0, 0] /
                  w_n.reshape(len(u), -1)[0, 0])
    uv = np.outer(u, v).reshape(w_n.shape)
    assert_close(ours, (g - (g * w_n).sum() * uv) / sigma, rel=1e-4)
    assert_close(ref["grad"]["model.0.weight_orig"], g * (1 - uv * w_n.sum()) / sigma,
                 rel=1e-4)
    assert np.abs(ours - ref["grad"]["model.0.weight_orig"]).max() > 0.1 * np.abs(ours).max()


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("make,words", [
    (lambda: UnetGenerator(3, 3, 8, norm_type="group"), ["norm_type 'group'", "batch"]),
    (lambda: UnetGenerator(3, 3, 8, norm_type="spectral"), ["norm_type", "instance"]),
    (lambda: UnetGenerator(3, 3, 4), ["num_downs", ">= 5", "256 px"]),
    (lambda: UnetGenerator(3, 3, 7.0), ["num_downs", "integer"]),
    (lambda: ResnetGenerator(3, 3, norm_type="layer"), ["norm_type 'layer'", "none"]),
    (lambda: ResnetGenerator(3, 3, padding_type="circular"),
     ["padding_type 'circular'", "reflect, replicate, zero"]),
    (lambda: ResnetGenerator(3, 3, n_blocks=-1), ["n_blocks", ">= 0"]),
    (lambda: NLayerDiscriminator(3, norm_type="group"), ["norm_type 'group'", "spectral"]),
    (lambda: NLayerDiscriminator(3, n_layers=-2), ["n_layers", ">= 0"]),
])
def test_bad_construction_arguments_are_one_line(make, words):
    with pytest.raises(ConfigError) as info:
        make()
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_unet_refuses_a_size_it_cannot_halve_with_one_line():
    net = UnetGenerator(3, 3, 5, ngf=2)
    with pytest.raises(ConfigError, match=r"multiples of 32, got 48x32"):
        net(paddle.zeros([1, 3, 48, 32]))


def test_nets_build_from_paddlegans_config_sections():
    netG = build(dict(name="UnetGenerator", input_nc=3, output_nc=3, num_downs=5, ngf=2,
                      norm_type="batch", use_dropout=True), GENERATORS)
    netD = build(dict(name="NLayerDiscriminator", input_nc=6, ndf=4, n_layers=3,
                      norm_type="batch"), DISCRIMINATORS)
    fake = netG(paddle.zeros([2, 3, 32, 32]))
    assert fake.shape == [2, 3, 32, 32]
    assert netD(paddle.concat([fake, fake], axis=1)).shape == [2, 1, 2, 2]
