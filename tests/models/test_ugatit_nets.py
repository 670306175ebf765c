"""U-GAT-IT / Photo2Cartoon networks: output contract, PaddleGAN state-dict layout,
numerics against reference values, float32 only, RhoClipper, spectral norm,
to_static."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn.functional as F
from paddle.static import InputSpec

from ppgan_lite.models.discriminators.ugatit_discriminator import UGATITDiscriminator
from ppgan_lite.models.generators.resnet_ugatit import ResnetUGATITGenerator
from ppgan_lite.models.generators.resnet_ugatit_p2c import ResnetUGATITP2CGenerator
from ppgan_lite.models.layers.lin import LIN, RhoClipper, SoftAdaLIN, mix_instance_layer_norm
from ppgan_lite.models.layers.resample import reflection_pad, upsample2x
from ppgan_lite.models.layers.spectral_norm import SpectralNormConv2D, SpectralNormLinear
from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.registry import DISCRIMINATORS, GENERATORS, build

# ---------------------------------------------------------------------------
# PaddleGAN's state-dict layouts, read off ppgan/models/generators/resnet_ugatit.py,
# resnet_ugatit_p2c.py and discriminators/discriminator_ugatit.py (+ modules/utils.py
# spectral_norm: weight_orig parameter, weight_u / weight_v buffers).

# Photo2Cartoon generator, configs/ugatit_photo2cartoon.yaml: ngf 32, n_blocks 4, light.
P2C_TOP = [
    ("DownBlock.1.weight", (32, 3, 7, 7)), ("DownBlock.7.weight", (64, 32, 3, 3)),
    ("DownBlock.11.weight", (128, 64, 3, 3)), ("gap_fc.weight", (128, 1)),
    ("gmp_fc.weight", (128, 1)), ("conv1x1.weight", (128, 256, 1, 1)),
    ("conv1x1.bias", (128,)), ("FC.0.weight", (128, 128)),
    ("FC.2.weight", (128, 128)), ("UpBlock.2.weight", (64, 128, 3, 3)),
    ("UpBlock.3.rho", (1, 64, 1, 1)), ("UpBlock.3.gamma", (1, 64, 1, 1)),
    ("UpBlock.3.beta", (1, 64, 1, 1)), ("UpBlock.7.weight", (32, 64, 3, 3)),
    ("UpBlock.8.rho", (1, 32, 1, 1)), ("UpBlock.8.gamma", (1, 32, 1, 1)),
    ("UpBlock.8.beta", (1, 32, 1, 1)), ("UpBlock.13.weight", (3, 3, 7, 7)),
]
P2C_CONVBLOCK = [
    ("conv_block1.3.weight", (16, 32, 3, 3)),
    ("conv_block2.3.weight", (8, 16, 3, 3)),
    ("conv_block3.3.weight", (8, 8, 3, 3)),
]
P2C_HOURGLASS_BLOCKS = ["ConvBlockskip1", "ConvBlockskip2", "ConvBlockskip3", "ConvBlockskip4",
                        "ConvBlock1", "ConvBlock2", "ConvBlock3", "ConvBlock4", "ConvBlock5",
                        "ConvBlock6", "ConvBlock7", "ConvBlock8", "ConvBlock9"]
P2C_HOURGLASS_TAIL = [
    ("HG.2.weight", (32, 32, 1, 1)), ("Conv1.weight", (3, 32, 1, 1)),
    ("Conv1.bias", (3,)),
]
P2C_HOURGLASS_RES = [
    ("Conv2.weight", (32, 32, 1, 1)), ("Conv2.bias", (32,)),
    ("Conv3.weight", (32, 3, 1, 1)), ("Conv3.bias", (32,)),
]
P2C_HOURGLASSES = {"DownBlock.4": True, "DownBlock.5": True, "UpBlock.10": True,
                   "UpBlock.11": False}  # prefix -> use_res
P2C_ENCODE_BLOCK = [("conv_block.1.weight", (128, 128, 3, 3)),
                    ("conv_block.5.weight", (128, 128, 3, 3))]
P2C_SOFT_ADALIN = [
    ("w_gamma", (1, 128)), ("w_beta", (1, 128)),
    ("norm.rho", (1, 128, 1, 1)), ("c_gamma.0.weight", (128, 128)),
    ("c_gamma.2.weight", (128, 128)), ("c_beta.0.weight", (128, 128)),
    ("c_beta.2.weight", (128, 128)), ("s_gamma.weight", (128, 128)),
    ("s_beta.weight", (128, 128)),
]
P2C_TOTAL = 3767333  # values in the state dict (all parameters)

# U-GAT-IT light, configs/ugatit_selfie2anime_light.yaml: ngf 64, n_blocks 4, light.
UGATIT_TOP = [
    ("DownBlock.1.weight", (64, 3, 7, 7)), ("DownBlock.2.scale", (64,)),
    ("DownBlock.2.bias", (64,)), ("DownBlock.5.weight", (128, 64, 3, 3)),
    ("DownBlock.6.scale", (128,)), ("DownBlock.6.bias", (128,)),
    ("DownBlock.9.weight", (256, 128, 3, 3)), ("DownBlock.10.scale", (256,)),
    ("DownBlock.10.bias", (256,)), ("gap_fc.weight", (256, 1)),
    ("gmp_fc.weight", (256, 1)), ("conv1x1.weight", (256, 512, 1, 1)),
    ("conv1x1.bias", (256,)), ("FC.0.weight", (256, 256)),
    ("FC.2.weight", (256, 256)), ("gamma.weight", (256, 256)),
    ("beta.weight", (256, 256)), ("UpBlock2.2.weight", (128, 256, 3, 3)),
    ("UpBlock2.3.rho", (1, 128, 1, 1)), ("UpBlock2.3.gamma", (1, 128, 1, 1)),
    ("UpBlock2.3.beta", (1, 128, 1, 1)), ("UpBlock2.7.weight", (64, 128, 3, 3)),
    ("UpBlock2.8.rho", (1, 64, 1, 1)), ("UpBlock2.8.gamma", (1, 64, 1, 1)),
    ("UpBlock2.8.beta", (1, 64, 1, 1)), ("UpBlock2.11.weight", (3, 64, 7, 7)),
]
UGATIT_RESNET_BLOCK = [  # DownBlock.12 .. DownBlock.15
    ("conv_block.1.weight", (256, 256, 3, 3)), ("conv_block.2.scale", (256,)),
    ("conv_block.2.bias", (256,)), ("conv_block.5.weight", (256, 256, 3, 3)),
    ("conv_block.6.scale", (256,)), ("conv_block.6.bias", (256,)),
]
UGATIT_ADALIN_BLOCK = [  # UpBlock1_1 .. UpBlock1_4
    ("conv1.weight", (256, 256, 3, 3)), ("norm1.rho", (1, 256, 1, 1)),
    ("conv2.weight", (256, 256, 3, 3)), ("norm2.rho", (1, 256, 1, 1)),
]
UGATIT_TOTAL = 10594880

# Discriminators of configs/ugatit_photo2cartoon.yaml: ndf 32, n_layers 7 (global), 5 (local).
D_GLOBAL = [
    ("model.1.bias", (32,)), ("model.1.weight_orig", (32, 3, 4, 4)),
    ("model.1.weight_u", (32,)), ("model.1.weight_v", (48,)),
    ("model.4.bias", (64,)), ("model.4.weight_orig", (64, 32, 4, 4)),
    ("model.4.weight_u", (64,)), ("model.4.weight_v", (512,)),
    ("model.7.bias", (128,)), ("model.7.weight_orig", (128, 64, 4, 4)),
    ("model.7.weight_u", (128,)), ("model.7.weight_v", (1024,)),
    ("model.10.bias", (256,)), ("model.10.weight_orig", (256, 128, 4, 4)),
    ("model.10.weight_u", (256,)), ("model.10.weight_v", (2048,)),
    ("model.13.bias", (512,)), ("model.13.weight_orig", (512, 256, 4, 4)),
    ("model.13.weight_u", (512,)), ("model.13.weight_v", (4096,)),
    ("model.16.bias", (1024,)), ("model.16.weight_orig", (1024, 512, 4, 4)),
    ("model.16.weight_u", (1024,)), ("model.16.weight_v", (8192,)),
    ("gap_fc.weight_orig", (1024, 1)), ("gap_fc.weight_u", (1,)), ("gap_fc.weight_v", (1024,)),
    ("gmp_fc.weight_orig", (1024, 1)), ("gmp_fc.weight_u", (1,)), ("gmp_fc.weight_v", (1024,)),
    ("conv1x1.weight", (1024, 2048, 1, 1)), ("conv1x1.bias", (1024,)),
    ("conv.weight_orig", (1, 1024, 4, 4)), ("conv.weight_u", (1,)), ("conv.weight_v", (16384,)),
]
D_GLOBAL_TOTAL = 13330419
D_LOCAL = D_GLOBAL[:16] + [  # the same first four convs, then the CAM at 256 channels
    ("gap_fc.weight_orig", (256, 1)), ("gap_fc.weight_u", (1,)), ("gap_fc.weight_v", (256,)),
    ("gmp_fc.weight_orig", (256, 1)), ("gmp_fc.weight_u", (1,)), ("gmp_fc.weight_v", (256,)),
    ("conv1x1.weight", (256, 512, 1, 1)), ("conv1x1.bias", (256,)),
    ("conv.weight_orig", (1, 256, 4, 4)), ("conv.weight_u", (1,)), ("conv.weight_v", (4096,)),
]
D_LOCAL_TOTAL = 834803


def _prefixed(prefix, entries):
    return [(f"{prefix}.{key}", shape) for key, shape in entries]


def expected_p2c():
    entries = list(P2C_TOP)
    for prefix, use_res in P2C_HOURGLASSES.items():
        for block in P2C_HOURGLASS_BLOCKS:
            entries += _prefixed(f"{prefix}.HG.0.{block}", P2C_CONVBLOCK)
        entries += _prefixed(f"{prefix}.HG.1", P2C_CONVBLOCK)
        entries += _prefixed(prefix, P2C_HOURGLASS_TAIL + (P2C_HOURGLASS_RES if use_res else []))
    for i in range(1, 5):
        entries += _prefixed(f"EncodeBlock{i}", P2C_ENCODE_BLOCK)
        entries += [(f"DecodeBlock{i}.conv1.weight", (128, 128, 3, 3)),
                    (f"DecodeBlock{i}.conv2.weight", (128, 128, 3, 3))]
        entries += _prefixed(f"DecodeBlock{i}.norm1", P2C_SOFT_ADALIN)
        entries += _prefixed(f"DecodeBlock{i}.norm2", P2C_SOFT_ADALIN)
    return entries


def expected_ugatit_light():
    entries = list(UGATIT_TOP)
    for i in range(12, 16):
        entries += _prefixed(f"DownBlock.{i}", UGATIT_RESNET_BLOCK)
    for i in range(1, 5):
        entries += _prefixed(f"UpBlock1_{i}", UGATIT_ADALIN_BLOCK)
    return entries


LAYOUTS = {  # name: (net, expected entries, number of keys, values in the state dict)
    "p2c": (lambda: ResnetUGATITP2CGenerator(3, 3, ngf=32, img_size=256, n_blocks=4, light=True),
            expected_p2c, 298, P2C_TOTAL),
    # PaddleGAN's photo2cartoon predictor builds the generator with no arguments
    "p2c_defaults": (ResnetUGATITP2CGenerator, expected_p2c, 298, P2C_TOTAL),
    "ugatit_light": (lambda: ResnetUGATITGenerator(3, 3, ngf=64, n_blocks=4, img_size=256,
                                                   light=True),
                     expected_ugatit_light, 66, UGATIT_TOTAL),
    "d_global": (lambda: UGATITDiscriminator(3, ndf=32, n_layers=7), lambda: D_GLOBAL, 35,
                 D_GLOBAL_TOTAL),
    "d_local": (lambda: UGATITDiscriminator(3, ndf=32, n_layers=5), lambda: D_LOCAL, 27,
                D_LOCAL_TOTAL),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_state_dict_matches_paddlegan(name):
    make_net, make_expected, n_keys, total = LAYOUTS[name]
    expected = make_expected()
    assert len(expected) == n_keys and len(dict(expected)) == n_keys
    assert sum(int(np.prod(shape)) for _, shape in expected) == total
    got = {k: tuple(v.shape) for k, v in make_net().state_dict().items()}
    assert got == dict(expected)


# ---------------------------------------------------------------------------
# Output contract (small nets)

def _x(n=2, size=64, seed=0):
    rng = np.random.default_rng(seed)
    return paddle.to_tensor(rng.uniform(-1, 1, (n, 3, size, size)).astype("float32"))


@pytest.mark.parametrize("make_net", [
    lambda: ResnetUGATITGenerator(3, 3, ngf=8, n_blocks=2, img_size=64, light=True),
    lambda: ResnetUGATITGenerator(3, 3, ngf=8, n_blocks=2, img_size=64, light=False),
    lambda: ResnetUGATITP2CGenerator(3, 3, ngf=8, img_size=64, n_blocks=2, light=True),
    lambda: ResnetUGATITP2CGenerator(3, 3, ngf=8, img_size=64, n_blocks=4, light=False),
], ids=["ugatit_light", "ugatit_full", "p2c_light", "p2c_full"])
def test_generator_returns_image_cam_logit_heatmap(make_net):
    outs = make_net()(_x())
    assert isinstance(outs, tuple) and len(outs) == 3
    out, cam_logit, heatmap = outs
    assert tuple(out.shape) == (2, 3, 64, 64)
    assert tuple(cam_logit.shape) == (2, 2)
    assert tuple(heatmap.shape) == (2, 1, 16, 16)
    assert all(t.dtype == paddle.float32 for t in outs)
    assert float(out.abs().max()) <= 1.0 and float(out.std()) > 1e-3
    assert float(heatmap.min()) >= 0.0  # sum over channels after ReLU


@pytest.mark.parametrize("n_layers,size,out_hw,heat_hw", [(5, 64, 6, 7), (7, 128, 2, 3)])
def test_discriminator_returns_logits_cam_logit_heatmap(n_layers, size, out_hw, heat_hw):
    outs = UGATITDiscriminator(3, ndf=8, n_layers=n_layers)(_x(size=size))
    assert isinstance(outs, tuple) and len(outs) == 3
    out, cam_logit, heatmap = outs
    assert tuple(out.shape) == (2, 1, out_hw, out_hw)
    assert tuple(cam_logit.shape) == (2, 2)
    assert tuple(heatmap.shape) == (2, 1, heat_hw, heat_hw)


def test_nets_build_from_config_mappings():
    gen = build({"name": "ResnetUGATITP2CGenerator", "input_nc": 3, "output_nc": 3, "ngf": 8,
                 "n_blocks": 2, "img_size": 64, "light": True}, GENERATORS)
    disc = build({"name": "UGATITDiscriminator", "input_nc": 3, "ndf": 8, "n_layers": 5},
                 DISCRIMINATORS)
    assert isinstance(gen, ResnetUGATITP2CGenerator) and isinstance(disc, UGATITDiscriminator)
    assert "ResnetUGATITGenerator" in GENERATORS


@pytest.mark.parametrize("make", [
    lambda: ResnetUGATITGenerator(3, 3, n_blocks=-1),
    lambda: ResnetUGATITGenerator(3, 3, ngf=8, norm_type="layer"),
    lambda: ResnetUGATITP2CGenerator(n_blocks=0),
    lambda: UGATITDiscriminator(3, n_layers=2),
    lambda: RhoClipper(1.0, 0.0),
], ids=["negative_blocks", "norm_type", "p2c_no_blocks", "d_layers", "clip_range"])
def test_bad_arguments_raise_config_error(make):
    with pytest.raises(ConfigError):
        make()


# ---------------------------------------------------------------------------
# Numerics: reference values from PaddleGAN's formulas run in float64 with the
# deterministic weights below (input _x(seed=1) scaled the same way).

def deterministic_state(net, seed=0):
    rng = np.random.default_rng(seed)
    state = {}
    for key, value in sorted(net.state_dict().items()):
        shape = tuple(value.shape)
        leaf = key.rsplit(".", 1)[-1]
        if leaf in ("rho", "w_gamma", "w_beta"):
            arr = rng.uniform(0.0, 1.0, shape)
        elif leaf in ("gamma", "beta") and len(shape) == 4:
            arr = rng.uniform(0.5, 1.5, shape) if leaf == "gamma" else rng.uniform(-0.5, 0.5, shape)
        elif leaf in ("weight_u", "weight_v"):
            arr = rng.standard_normal(shape)
            arr /= np.linalg.norm(arr)
        elif leaf == "scale":
            arr = np.ones(shape)
        elif len(shape) == 1:
            arr = rng.uniform(-0.1, 0.1, shape)
        else:
            fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))
            arr = rng.uniform(-1.0, 1.0, shape) * np.sqrt(3.0 / fan_in)
        state[key] = paddle.to_tensor(arr.astype("float32"))
    return state


REFERENCE = {
    "p2c": dict(out_sum=-1852.7011, out_abs_sum=8938.487924,
                out_px0=[0.2006441, -0.0008606, 0.6491804], out_px1=[-0.38836, -0.212479, 0.0390947],
                cam=[[-0.2059403, -5.1748679], [-0.2079672, -4.7057688]],
                heat_sum=2286.134218, heat_max=10.653381),
    "ugatit": dict(out_sum=6346.392213, out_abs_sum=9707.223873,
                   out_px0=[0.6066402, 0.1513381, -0.065905],
                   out_px1=[-0.1016817, -0.1106604, 0.2763653],
                   cam=[[-0.1855626, 3.6254421], [-0.1837993, 3.2470065]],
                   heat_sum=1906.499378, heat_max=7.303452),
    "d_local": dict(out_sum=1.086512, out_abs_sum=1.086512, out_px0=[0.0185084],
                    out_px1=[0.0147892], cam=[[0.0274023, 0.1302546], [0.0396091, 0.1221454]],
                    heat_sum=100.849072, heat_max=1.137666),
}
REFERENCE_NETS = {
    "p2c": lambda: ResnetUGATITP2CGenerator(ngf=8, img_size=64),
    "ugatit": lambda: ResnetUGATITGenerator(3, 3, ngf=8, n_blocks=2, img_size=64, light=True),
    "d_local": lambda: UGATITDiscriminator(3, ndf=8, n_layers=5),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_outputs_match_paddlegan_reference_values(name):
    net = REFERENCE_NETS[name]()
    net.set_state_dict(deterministic_state(net))
    x = _x(seed=1)
    if name == "d_local":  # three power-iteration steps, then the deterministic eval pass
        net.train()
        with paddle.no_grad():
            for _ in range(3):
                net(x)
    net.eval()
    with paddle.no_grad():
        out, cam, heat = [t.numpy().astype("float64") for t in net(x)]
    ref = REFERENCE[name]
    np.testing.assert_allclose(out.sum(), ref["out_sum"], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(np.abs(out).sum(), ref["out_abs_sum"], rtol=1e-5)
    np.testing.assert_allclose(out[0, :, out.shape[2] // 2, out.shape[3] // 3], ref["out_px0"],
                               atol=2e-4)
    np.testing.assert_allclose(out[1, :, -2, 1], ref["out_px1"], atol=2e-4)
    np.testing.assert_allclose(cam, ref["cam"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(heat.sum(), ref["heat_sum"], rtol=1e-5)
    np.testing.assert_allclose(heat.max(), ref["heat_max"], rtol=1e-5)


def _lin_float64(x, rho, eps=1e-5):
    """U-GAT-IT's formula as written (unbiased variances), in float64."""
    in_mean, in_var = x.mean((2, 3), keepdims=True), x.var((2, 3), keepdims=True, ddof=1)
    ln_mean, ln_var = x.mean((1, 2, 3), keepdims=True), x.var((1, 2, 3), keepdims=True, ddof=1)
    return (rho * (x - in_mean) / np.sqrt(in_var + eps)
            + (1 - rho) * (x - ln_mean) / np.sqrt(ln_var + eps))


def test_folded_norm_matches_formula_in_float64():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((2, 16, 24, 20)) * rng.uniform(0.1, 3.0, (2, 16, 1, 1))
         + rng.uniform(-2, 4, (2, 16, 1, 1)))
    rho = rng.uniform(0, 1, (1, 16, 1, 1))
    gamma, beta = rng.uniform(0.5, 1.5, (2, 16)), rng.uniform(-1, 1, (2, 16))
    expected = _lin_float64(x, rho) * gamma[:, :, None, None] + beta[:, :, None, None]
    as32 = lambda a: paddle.to_tensor(a.astype("float32"))  # noqa: E731
    got = mix_instance_layer_norm(as32(x), as32(rho), as32(gamma[:, :, None, None]),
                                  as32(beta[:, :, None, None]), 1e-5)
    assert got.dtype == paddle.float32
    np.testing.assert_allclose(got.numpy(), expected, atol=3e-5)

    lin = LIN(16)
    lin.rho.set_value(as32(rho))
    np.testing.assert_allclose(lin(as32(x)).numpy(), _lin_float64(x, rho), atol=3e-5)


def test_soft_adalin_blends_style_and_content():
    paddle.seed(0)
    norm = SoftAdaLIN(8)
    x = paddle.randn([2, 8, 6, 6])
    content, style = paddle.randn([2, 8]), paddle.randn([2, 8])
    norm.w_gamma.set_value(paddle.ones([1, 8]))  # gamma all content, beta all style
    expected = norm.norm(x, norm.c_gamma(content), norm.s_beta(style))
    np.testing.assert_allclose(norm(x, content, style).numpy(), expected.numpy(), atol=1e-6)


@pytest.mark.parametrize("size", [64, 9])  # the slice path and the pad3d path
@pytest.mark.parametrize("pad", [1, 3])
def test_reflection_pad_equals_paddle_reflect_pad(size, pad):
    x = paddle.randn([2, 3, size, size + 2])
    expected = F.pad(x, [pad] * 4, mode="reflect")
    assert bool((reflection_pad(x, pad) == expected).all())


def test_upsample2x_equals_nearest_interpolation():
    x = paddle.randn([2, 3, 5, 7])
    assert bool((upsample2x(x) == F.interpolate(x, scale_factor=2, mode="nearest")).all())


# ---------------------------------------------------------------------------
# float32 everywhere

def test_every_layer_output_and_weight_is_float32():
    seen = []

    def record(layer, inputs, outputs):
        for out in outputs if isinstance(outputs, (tuple, list)) else [outputs]:
            seen.append((type(layer).__name__, out.dtype))

    nets = [ResnetUGATITP2CGenerator(ngf=8, img_size=64, n_blocks=2),
            ResnetUGATITGenerator(3, 3, ngf=8, n_blocks=2, img_size=64),
            UGATITDiscriminator(3, ndf=8, n_layers=5)]
    for net in nets:
        assert all(v.dtype == paddle.float32 for v in net.state_dict().values())
        for layer in net.sublayers(include_self=True):
            layer.register_forward_post_hook(record)
        net(_x())
    assert len(seen) > 500
    assert {dtype for _, dtype in seen} == {paddle.float32}, \
        sorted({name for name, dtype in seen if dtype != paddle.float32})


# ---------------------------------------------------------------------------
# RhoClipper

def test_rho_clipper_clamps_rho_and_soft_adalin_weights_in_place():
    net = ResnetUGATITP2CGenerator(ngf=8, img_size=64, n_blocks=2)
    targets = {k: v for k, v in net.state_dict().items()
               if k.rsplit(".", 1)[-1] in ("rho", "w_gamma", "w_beta")}
    untouched = {k: v for k, v in net.state_dict().items() if k.endswith((".gamma", ".beta"))}
    assert len(targets) == 2 + 2 * 2 * 3 and len(untouched) == 4  # LIN x2, SoftAdaLIN x4
    rng = np.random.default_rng(0)
    for v in list(targets.values()) + list(untouched.values()):
        v.set_value(paddle.to_tensor(rng.uniform(-1.0, 2.0, v.shape).astype("float32")))
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}

    assert RhoClipper(0.0, 1.0)(net) == len(targets)
    after = net.state_dict()
    for key in targets:
        np.testing.assert_array_equal(after[key].numpy(), np.clip(before[key], 0.0, 1.0))
    for key in untouched:  # LIN's affine gamma/beta are not mixing weights
        np.testing.assert_array_equal(after[key].numpy(), before[key])
    assert float(after["UpBlock.3.gamma"].max()) > 1.0


def test_rho_clipper_on_ugatit_generator():
    net = ResnetUGATITGenerator(3, 3, ngf=8, n_blocks=2, img_size=64, light=True)
    for key, value in net.state_dict().items():
        if key.endswith("rho"):
            value.set_value(paddle.full(value.shape, 1.7))
    assert RhoClipper()(net) == 2 * 2 + 2
    assert all(float(v.max()) == 1.0 for k, v in net.state_dict().items() if k.endswith("rho"))


# ---------------------------------------------------------------------------
# Spectral norm

def test_spectral_norm_normalises_by_largest_singular_value():
    paddle.seed(0)
    conv = SpectralNormConv2D(4, 6, 3, stride=1, bias_attr=True)
    linear = SpectralNormLinear(5, 3, bias_attr=False)
    assert [n for n, _ in conv.named_parameters()] == ["bias", "weight_orig"]
    assert tuple(conv.weight_u.shape) == (6,) and tuple(conv.weight_v.shape) == (36,)
    assert tuple(linear.weight_u.shape) == (3,) and tuple(linear.weight_v.shape) == (5,)
    for layer, x, matrix in [(conv, paddle.randn([1, 4, 5, 5]), lambda w: w.reshape(6, -1)),
                             (linear, paddle.randn([2, 5]), lambda w: w.T)]:
        layer.train()
        for _ in range(50):
            layer(x)
        sigma = np.linalg.svd(matrix(layer.weight_orig.numpy()), compute_uv=False)[0]
        layer.eval()
        normalized = np.linalg.svd(matrix(layer.normalized_weight().numpy()), compute_uv=False)
        assert sigma > 0.1
        np.testing.assert_allclose(normalized[0], 1.0, rtol=1e-4)
        # ``layer.weight`` is the derived tensor, as after PaddleGAN's spectral_norm
        np.testing.assert_array_equal(layer.weight.numpy(), layer.normalized_weight().numpy())
    assert "SpectralNormConv2D" in repr(conv)


def test_discriminator_eval_is_deterministic_and_train_updates_u_v():
    net = UGATITDiscriminator(3, ndf=8, n_layers=5)
    x = _x()
    net.eval()
    u_before = net.model[1].weight_u.numpy().copy()
    first, second = net(x)[0].numpy(), net(x)[0].numpy()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(net.model[1].weight_u.numpy(), u_before)
    net.train()
    net(x)
    assert not np.allclose(net.model[1].weight_u.numpy(), u_before)


def test_discriminator_cam_reweights_with_raw_weight():
    """The logits use the normalised weight (invariant to scaling weight_orig); the
    CAM re-weighting uses weight_orig itself, as PaddleGAN's parameters()[0]."""
    net = UGATITDiscriminator(3, ndf=8, n_layers=5)
    net.eval()
    x = _x()
    _, cam_a, heat_a = net(x)
    net.gap_fc.weight_orig.set_value(net.gap_fc.weight_orig * 3.0)
    _, cam_b, heat_b = net(x)
    np.testing.assert_allclose(cam_b.numpy(), cam_a.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(heat_b.numpy(), heat_a.numpy())


# ---------------------------------------------------------------------------
# to_static (export path): any batch size, same values as dynamic mode, float32 graph

def test_p2c_to_static_matches_dynamic_for_any_batch():
    net = ResnetUGATITP2CGenerator(ngf=8, img_size=64, light=True)
    net.eval()
    x2, x3 = _x(2), _x(3, seed=5)
    with paddle.no_grad():
        dynamic = net(x2)
    static = paddle.jit.to_static(net, input_spec=[InputSpec([None, 3, 64, 64], "float32")],
                                  full_graph=True)
    with paddle.no_grad():
        converted, converted3 = static(x2), static(x3)
    for a, b in zip(dynamic, converted):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-5)
    assert [tuple(t.shape) for t in converted3] == [(3, 3, 64, 64), (3, 2), (3, 1, 16, 16)]

    program = static.forward.concrete_program.main_program
    float_dtypes = set()
    for op in program.global_block().ops:
        for value in op.results():
            try:
                dtype = value.dtype
            except ValueError:  # lists of values (builtin.combine) carry no dtype
                continue
            if dtype in (paddle.float16, paddle.float32, paddle.float64, paddle.bfloat16):
                float_dtypes.add(dtype)
    assert float_dtypes == {paddle.float32}
