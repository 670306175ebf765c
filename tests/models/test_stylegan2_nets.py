"""StyleGAN2 nets (StyleGANv2Generator, StyleGANv2Discriminator): PaddleGAN's state-dict
layout at small and released sizes, outputs equal PaddleGAN's for the same weights
(image, latents, truncation, style mixing, W / W+ input, is_concat, gradients, the
discriminator's logits), the width override, export (paddle.jit.save, ONNX),
construction errors. Gradients of first and second order: test_stylegan2_layers.py.

Reference data: tests/reference/make_stylegan2_references.py (PaddleGAN's own classes).
"""
import functools
import importlib.util
import json
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn as nn

from ppgan_lite.models.discriminators.stylegan2 import StyleGANv2Discriminator
from ppgan_lite.models.generators.stylegan2 import ModulatedConv2D, StyleGANv2Generator
from ppgan_lite.utils.checkpoint import load_weights, place_weights
from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.registry import DISCRIMINATORS, GENERATORS, build

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
_spec = importlib.util.spec_from_file_location(
    "make_stylegan2_references",
    os.path.join(HERE, "..", "reference", "make_stylegan2_references.py"))
REF = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(REF)  # draw_weights: the rule the reference weights came from

SMALL = {4: 8, 8: 8, 16: 4, 32: 4}  # a CPU-sized width table


# ---------------------------------------------------------------- layouts, read off
# PaddleGAN's classes by the reference script (size 16, style_dim 16, n_mlp 2: its
# table gives 512 channels at every resolution up to 32 px).
def _modconv(prefix, cin, cout, k):
    return [(f"{prefix}.conv.weight", (1, cout, cin, k, k)),
            (f"{prefix}.conv.modulation.weight", (16, cin)),
            (f"{prefix}.conv.modulation.bias", (cin,))]


def _styled(prefix, cin, cout):
    return _modconv(prefix, cin, cout, 3) + [(f"{prefix}.noise.weight", (1,)),
                                             (f"{prefix}.activate.bias", (cout,))]


def _to_rgb(prefix, cin, upsample=True):
    return ([(f"{prefix}.bias", (1, 3, 1, 1))]
            + ([(f"{prefix}.upsample.kernel", (4, 4))] if upsample else [])
            + _modconv(prefix, cin, 3, 1))


G16 = ([("style.1.weight", (16, 16)), ("style.1.bias", (16,)),
        ("style.2.weight", (16, 16)), ("style.2.bias", (16,)),
        ("input.input", (1, 512, 4, 4))]
       + _styled("conv1", 512, 512) + _to_rgb("to_rgb1", 512, upsample=False)
       + [e for i in range(4) for e in _styled(f"convs.{i}", 512, 512)]
       + _to_rgb("to_rgbs.0", 512) + _to_rgb("to_rgbs.1", 512)
       + [("noises.noise_0", (1, 1, 4, 4)), ("noises.noise_1", (1, 1, 8, 8)),
          ("noises.noise_2", (1, 1, 8, 8)), ("noises.noise_3", (1, 1, 16, 16)),
          ("noises.noise_4", (1, 1, 16, 16))])


def _resblock(i, cin, cout):
    return [(f"convs.{i}.conv1.0.weight", (cin, cin, 3, 3)), (f"convs.{i}.conv1.1.bias", (cin,)),
            (f"convs.{i}.conv2.1.weight", (cout, cin, 3, 3)),
            (f"convs.{i}.conv2.2.bias", (cout,)), (f"convs.{i}.skip.1.weight", (cout, cin, 1, 1))]


D16 = ([("convs.0.0.weight", (512, 3, 1, 1)), ("convs.0.1.bias", (512,))]
       + _resblock(1, 512, 512) + _resblock(2, 512, 512)
       + [("final_conv.0.weight", (512, 513, 3, 3)), ("final_conv.1.bias", (512,)),
          ("final_linear.0.weight", (8192, 512)), ("final_linear.0.bias", (512,)),
          ("final_linear.1.weight", (512, 1)), ("final_linear.1.bias", (1,))])

# Released sizes (ppgan/apps/styleganv2_predictor.py: both channel_multiplier 2;
# configs/stylegan_v2_256_ffhq.yaml), counted on PaddleGAN's classes: state-dict entries,
# values in the state dict, and shapes of a few entries.
SHIPPED = [
    ("ffhq-config-f", GENERATORS, dict(name="StyleGANv2Generator", size=1024, style_dim=512,
                                       n_mlp=8, channel_multiplier=2), 163, 33166364,
     {"convs.13.conv.weight": (1, 64, 64, 3, 3), "convs.15.conv.weight": (1, 32, 32, 3, 3),
      "to_rgbs.7.conv.weight": (1, 3, 32, 1, 1), "noises.noise_16": (1, 1, 1024, 1024),
      "to_rgbs.6.upsample.kernel": (4, 4), "style.8.weight": (512, 512)}),
    ("animeface-512", GENERATORS, dict(name="StyleGANv2Generator", size=512, style_dim=512,
                                       n_mlp=8, channel_multiplier=2), 146, 30975719,
     {"convs.13.conv.weight": (1, 64, 64, 3, 3), "noises.noise_14": (1, 1, 512, 512),
      "convs.0.conv.weight": (1, 512, 512, 3, 3)}),
    ("ffhq-256", GENERATORS, dict(name="StyleGANv2Generator", size=256, style_dim=512,
                                  n_mlp=8), 129, 30209170,
     {"conv1.conv.weight": (1, 512, 512, 3, 3)}),
    ("d1024", DISCRIMINATORS, dict(name="StyleGANv2Discriminator", size=1024), 48, 29012513,
     {"convs.0.0.weight": (32, 3, 1, 1), "convs.1.skip.1.weight": (64, 32, 1, 1),
      "final_conv.0.weight": (512, 513, 3, 3), "final_linear.0.weight": (8192, 512)}),
    ("d512", DISCRIMINATORS, dict(name="StyleGANv2Discriminator", size=512), 43, 28982849,
     {"convs.0.0.weight": (64, 3, 1, 1), "convs.1.conv1.0.weight": (64, 64, 3, 3)}),
    ("d256", DISCRIMINATORS, dict(name="StyleGANv2Discriminator", size=256), 38, 28864129,
     {"convs.1.skip.1.weight": (256, 128, 1, 1)}),
]


def layout(net):
    return [(k, tuple(v.shape)) for k, v in net.state_dict().items()]


@functools.lru_cache(maxsize=None)
def _json_layouts():
    with open(os.path.join(DATA, "stylegan2_layouts.json"), encoding="utf-8") as f:
        return json.load(f)


def test_layouts_equal_paddlegans_literal_lists():
    g = StyleGANv2Generator(16, 16, 2)
    d = StyleGANv2Discriminator(16)
    assert layout(g) == G16 and layout(d) == D16
    # and what the reference script read off PaddleGAN's classes
    ref = _json_layouts()
    assert G16 == [(k, tuple(s)) for k, s in ref["g_small"]]
    assert D16 == [(k, tuple(s)) for k, s in ref["d_small"]]


@pytest.mark.parametrize("name,registry,cfg,entries,values,spot", SHIPPED,
                         ids=[s[0] for s in SHIPPED])
def test_released_sizes_have_paddlegans_layout(name, registry, cfg, entries, values, spot):
    with paddle.LazyGuard():  # shapes only, no 30M-value initialisation
        net = build(dict(cfg), registry)
    shapes = dict(layout(net))
    assert len(shapes) == entries
    assert sum(int(np.prod(s)) for s in shapes.values()) == values
    for key, shape in spot.items():
        assert shapes[key] == shape, key
    assert _json_layouts()["shipped"][name]["values"] == values


def test_paddlegan_pdparams_load_through_the_checkpoint_loader(tmp_path):
    g = StyleGANv2Generator(16, 16, 2)
    params = reference_weights(g, 5)
    path = tmp_path / "stylegan2.pdparams"
    paddle.save({k: paddle.to_tensor(v) for k, v in params.items()}, str(path))
    place_weights(g, load_weights(str(path))[""], str(path), "gen")
    assert np.array_equal(g.convs[3].conv.weight.numpy(), params["convs.3.conv.weight"])
    assert np.array_equal(g.noises.noise_4.numpy(), params["noises.noise_4"])


# ---------------------------------------------------------------- numerics
@functools.lru_cache(maxsize=None)
def reference():
    with np.load(os.path.join(DATA, "stylegan2_reference.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays.pop("__meta__").tobytes().decode("utf-8"))
    return {k: v.astype("float32") for k, v in arrays.items()}, meta


def assert_close(actual, expected, rtol=1e-4):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = max(float(np.abs(expected).max()), 1e-6)
    assert float(np.abs(actual - expected).max()) <= rtol * scale


def set_fused(net, fused):
    for m in net.sublayers():
        if isinstance(m, ModulatedConv2D):
            m.fused = fused


def reference_weights(net, seed):
    """The reference script's weights; the FIR kernels (not drawn) as the net has them."""
    params = {k: v.numpy() for k, v in net.state_dict().items()}
    params.update(REF.draw_weights(layout(net), seed))
    return params


@functools.lru_cache(maxsize=None)
def reference_generator(is_concat=False):
    ref, meta = reference()
    g = StyleGANv2Generator(is_concat=is_concat, **meta["g_kwargs"])
    g.set_state_dict(reference_weights(g, meta["gc_seed" if is_concat else "g_seed"]))
    g.eval()
    return g


def _g_cases():
    ref, meta = reference()
    T = paddle.to_tensor
    z, z2, mean = T(ref["g::z"]), T(ref["g::z2"]), T(ref["g::mean_latent"])
    fixed = dict(randomize_noise=False)
    mix = dict(styles=[z, z2], inject_index=meta["inject_index"], **fixed)
    trunc = dict(truncation=meta["truncation"], truncation_latent=mean)
    noise = [T(ref[f"g::noise_{i}"]) for i in range(5)]
    return {
        "noise": dict(styles=[z], noise=noise),
        "buffers": dict(styles=[z], **fixed),
        "truncation": dict(styles=[z], **trunc, **fixed),
        "mixing": mix,
        "mixing_truncation": dict(**mix, **trunc),
        "w": dict(styles=[T(ref["g::w"])], input_is_latent=True, **fixed),
        "w_plus": dict(styles=[T(ref["g::w_plus"])], input_is_latent=True, **fixed),
    }


# PaddleGAN's grouped conv is checked on the cases that reach every code path
GROUPED_CASES = ("noise", "mixing_truncation", "w_plus")


@pytest.mark.parametrize("fused", [False, True], ids=["per-sample-input", "grouped"])
def test_generator_outputs_equal_paddlegans(fused):
    ref, _ = reference()
    g = reference_generator()
    set_fused(g, fused)
    try:
        with paddle.no_grad():
            for name, kwargs in _g_cases().items():
                if fused and name not in GROUPED_CASES:
                    continue
                image, latent = g(return_latents=True, **kwargs)
                assert_close(image.numpy(), ref[f"g::{name}::image"])
                assert_close(latent.numpy(), ref[f"g::{name}::latent"])
    finally:
        set_fused(g, False)


def test_cases_differ_so_the_comparison_can_fail():
    ref, _ = reference()
    images = [ref[f"g::{n}::image"] for n in _g_cases()]
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert np.abs(images[i] - images[j]).max() > 1e-2 * np.abs(images[i]).max()


@pytest.mark.parametrize("double_grad", [False, True])
def test_generator_gradient_equals_paddlegans(double_grad):
    ref, _ = reference()
    g = reference_generator()
    z = paddle.to_tensor(ref["g::z"], stop_gradient=False)
    noise = [paddle.to_tensor(ref[f"g::noise_{i}"]) for i in range(5)]
    if double_grad:
        with g.double_grad():
            image, _ = g([z], noise=noise)
    else:
        image, _ = g([z], noise=noise)
    (image * paddle.to_tensor(ref["g::cotangent"])).sum().backward()
    assert_close(z.grad.numpy(), ref["g::grad_z"])


def test_is_concat_generator_equals_paddlegans():
    ref, meta = reference()
    g = reference_generator(is_concat=True)
    noise = REF.concat_noise(g.channels, meta["g_kwargs"]["size"], meta["gc_seed"])
    with paddle.no_grad():
        image, _ = g([paddle.to_tensor(ref["gc::z"])], noise=[paddle.to_tensor(n) for n in noise])
    assert_close(image.numpy(), ref["gc::image"])
    # PaddleGAN fails on one-channel noise (its buffers) and random noise here; ours
    # broadcasts the one channel and draws random noise at the image's width
    z = paddle.to_tensor(ref["gc::z"][:1])
    with paddle.no_grad():
        assert g([z], randomize_noise=False)[0].shape == [1, 3, 16, 16]
        assert g([z])[0].shape == [1, 3, 16, 16]


@functools.lru_cache(maxsize=None)
def reference_discriminator():
    _, meta = reference()
    d = StyleGANv2Discriminator(**meta["d_kwargs"])
    d.set_state_dict(reference_weights(d, meta["d_seed"]))
    return d


def test_discriminator_logits_and_gradient_equal_paddlegans():
    ref, meta = reference()
    d = reference_discriminator()
    assert meta["d_batches"] == [8, 3]  # minibatch-stddev groups: two of 4, one of 3
    x = paddle.to_tensor(ref["d::input"], stop_gradient=False)
    logits = d(x)
    assert_close(logits.numpy(), ref["d::logits_8"])
    (logits * paddle.to_tensor(ref["d::cotangent"])).sum().backward()
    assert_close(x.grad.numpy(), ref["d::grad_input"])
    with paddle.no_grad():
        assert_close(d(paddle.to_tensor(ref["d::input"][:3])).numpy(), ref["d::logits_3"])


def test_discriminator_batch_not_in_groups_of_four_is_one_line():
    d = StyleGANv2Discriminator(8, channels={4: 4, 8: 4})
    with pytest.raises(ConfigError, match="multiple of 4") as err:
        d(paddle.zeros([6, 3, 8, 8]))
    assert "\n" not in str(err.value)


def test_discriminator_stddev_group_and_features_are_settable():
    """stddev_group / stddev_feat feed minibatch_stddev (tested against numpy in
    test_stylegan2_layers); 4 and 1, PaddleGAN's, keep its shapes."""
    paddle.seed(0)
    wide = StyleGANv2Discriminator(8, channels={4: 4, 8: 4}, stddev_group=8, stddev_feat=2)
    assert wide.final_conv[0].weight.shape == [4, 6, 3, 3]  # 4 features + 2 stddev maps
    assert StyleGANv2Discriminator(8, channels={4: 4, 8: 4}).final_conv[0].weight.shape == \
        [4, 5, 3, 3]
    seen = []
    wide.final_conv.register_forward_pre_hook(lambda layer, inputs: seen.append(inputs[0]))
    x = paddle.randn([8, 3, 8, 8])
    wide(x)
    feats = wide.convs(x).numpy()  # one group of all 8 samples, two halves of the channels
    std = np.sqrt(feats.reshape(8, 2, 2, 4, 4).var(axis=0) + 1e-8).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(seen[0].numpy()[:, 4:, 0, 0], np.tile(std, (8, 1)), atol=1e-5)
    with pytest.raises(ConfigError, match="multiple of 8"):
        wide(paddle.zeros([12, 3, 8, 8]))
    for kwargs, match in ((dict(stddev_group=0), "stddev_group"),
                          (dict(stddev_feat=3), "stddev_feat 3 must divide")):
        with pytest.raises(ConfigError, match=match):
            StyleGANv2Discriminator(8, channels={4: 4, 8: 4}, **kwargs)


def test_mean_latent_and_get_latent_and_make_noise():
    g = StyleGANv2Generator(16, 8, 2, channels=SMALL)
    paddle.seed(3)
    mean = g.mean_latent(64)
    paddle.seed(3)
    expected = g.get_latent(paddle.randn([64, 8])).mean(0, keepdim=True)
    assert mean.shape == [1, 8] and np.allclose(mean.numpy(), expected.numpy())
    noise = g.make_noise()
    assert [n.shape for n in noise] == [[1, 1, 4, 4]] + [[1, 1, 8, 8]] * 2 + [[1, 1, 16, 16]] * 2
    assert g.n_latent == 6 and g.num_layers == 5
    # PaddleGAN's per-affine bookkeeping (read by its StyleCLIP app)
    assert g.w_idx_lst == [0, 1, 1, 2, 3, 3, 4, 5]
    assert g.style_layers == [0, 2, 3, 5, 6]
    assert g.channels_lst == [8, 8, 8, 8, 8, 8, 4, 4]


def test_truncation_cutoff_truncates_the_first_layers_only():
    g = StyleGANv2Generator(16, 8, 2, channels=SMALL)
    z = paddle.randn([2, 8])
    mean = paddle.randn([1, 8])
    _, full = g([z], return_latents=True, truncation=0.5, truncation_latent=mean,
                randomize_noise=False)
    _, cut = g([z], return_latents=True, truncation=0.5, truncation_cutoff=2,
               truncation_latent=mean, randomize_noise=False)
    _, none = g([z], return_latents=True, randomize_noise=False)
    assert np.allclose(cut.numpy()[:, :2], full.numpy()[:, :2])
    assert np.allclose(cut.numpy()[:, 2:], none.numpy()[:, 2:])
    assert not np.allclose(full.numpy()[:, 2:], none.numpy()[:, 2:])


# ---------------------------------------------------------------- width override
def test_default_widths_are_paddlegans_table():
    with paddle.LazyGuard():
        for cm in (1, 2, 4):
            g = StyleGANv2Generator(1024, 8, 1, channel_multiplier=cm)
            assert g.channels == {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm,
                                  128: 128 * cm, 256: 64 * cm, 512: 32 * cm, 1024: 16 * cm}


def test_width_override_changes_only_widths():
    table = {4: 8, 8: 6, 16: 4}
    for default, narrow in ((StyleGANv2Generator(16, 16, 2),
                             StyleGANv2Generator(16, 16, 2, channels=table)),
                            (StyleGANv2Discriminator(16),
                             StyleGANv2Discriminator(16, channels=table))):
        a, b = layout(default), layout(narrow)
        assert [k for k, _ in a] == [k for k, _ in b]
        changed = [(k, sa, sb) for (k, sa), (_, sb) in zip(a, b) if sa != sb]
        assert changed and all(len(sa) == len(sb) for _, sa, sb in changed)
        assert all(x in (512, 513, 8192) for _, sa, sb in changed
                   for x, y in zip(sa, sb) if x != y)  # only channel dims differ
    g = StyleGANv2Generator(16, 16, 2, channels=table)
    assert g.conv1.conv.weight.shape == [1, 8, 8, 3, 3]
    assert g.convs[0].conv.weight.shape == [1, 6, 8, 3, 3]
    assert g.convs[3].conv.weight.shape == [1, 4, 4, 3, 3]
    d = StyleGANv2Discriminator(16, channels=table)
    assert d.convs[0][0].weight.shape == [4, 3, 1, 1]
    assert d.convs[1].conv2[1].weight.shape == [6, 4, 3, 3]
    assert d.final_linear[0].weight.shape == [8 * 16, 8]
    # string keys (a YAML table written with quotes) and extra resolutions are fine
    assert StyleGANv2Generator(8, 4, 1, channels={"4": 2, "8": 2, "16": 9}).channels == \
        {4: 2, 8: 2}


# ---------------------------------------------------------------- export
class ZToImage(nn.Layer):
    """(z [N, style_dim], truncation [1]) -> image, fixed noise, a stored mean latent."""

    def __init__(self, g, mean):
        super().__init__()
        self.g = g
        self.register_buffer("mean", mean)

    def forward(self, z, truncation):
        return self.g([z], truncation=truncation, truncation_latent=self.mean,
                      randomize_noise=False)[0]


def test_exports_with_a_free_batch_to_paddle_and_onnx(tmp_path):
    pytest.importorskip("paddle2onnx")
    ort = pytest.importorskip("onnxruntime")
    import contextlib
    import io
    import paddle2onnx
    from paddle.static import InputSpec

    paddle.seed(0)
    g = StyleGANv2Generator(16, 8, 2, channels=SMALL)
    g.eval()
    set_fused(g, True)  # a static program takes the per-sample form whatever is set
    net = ZToImage(g, g.mean_latent(64))
    net.eval()
    rng = np.random.RandomState(0)
    z = rng.standard_normal((3, 8)).astype("float32")
    t = np.array([0.7], "float32")
    with paddle.no_grad():
        expected = net(paddle.to_tensor(z), paddle.to_tensor(t)).numpy()
    prefix = str(tmp_path / "model")
    paddle.jit.save(net, prefix, input_spec=[InputSpec([None, 8], "float32", "z"),
                                             InputSpec([1], "float32", "truncation")])
    loaded = paddle.jit.load(prefix)
    for n in (3, 1):
        assert_close(loaded(paddle.to_tensor(z[:n]), paddle.to_tensor(t)).numpy(), expected[:n])
    with contextlib.redirect_stdout(io.StringIO()):
        model = paddle2onnx.export(prefix + ".json", prefix + ".pdiparams", None,
                                   opset_version=13, enable_onnx_checker=True)
    session = ort.InferenceSession(model)
    assert session.get_inputs()[0].shape[0] != 3  # the batch stays free
    for n in (3, 2):
        out = session.run(None, {"z": z[:n], "truncation": t})[0]
        assert_close(out, expected[:n])
    t1 = np.array([1.0], "float32")  # truncation 1 is the untruncated image
    with paddle.no_grad():
        plain = g([paddle.to_tensor(z)], randomize_noise=False)[0].numpy()
    assert_close(session.run(None, {"z": z, "truncation": t1})[0], plain)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs,match", [
    (dict(size=48), "power of two"), (dict(size=2), "power of two"),
    (dict(size="256"), "power of two"), (dict(size=16, style_dim=0), "style_dim"),
    (dict(size=16, n_mlp=-1), "n_mlp"), (dict(size=16, lr_mlp=0), "lr_mlp"),
    (dict(size=16, blur_kernel=[]), "blur_kernel"),
    (dict(size=16, blur_kernel=[1, -1]), "blur_kernel"),
    (dict(size=16, channels={4: 8, 8: 8}), "resolution.*16"),
    (dict(size=16, channels={4: 8, 8: 8, 16: 0}), r"channels\[16\]"),
    (dict(size=16, channels={4: 8, 8: 8, 16: 2.5}), r"channels\[16\]"),
    (dict(size=16, channels=[8, 8, 8]), "mapping"),
    (dict(size=16, channels={"x": 8}), "not a resolution"),
    (dict(size=2048), "channels table"),
    (dict(size=16, channel_multiplier=0), "channel_multiplier"),
])
def test_bad_arguments_are_one_line_config_errors(kwargs, match):
    for cls in (StyleGANv2Generator, StyleGANv2Discriminator):
        if cls is StyleGANv2Discriminator and set(kwargs) & {"style_dim", "n_mlp", "lr_mlp"}:
            continue
        with pytest.raises(ConfigError, match=match) as err:
            cls(**kwargs)
        assert "\n" not in str(err.value) and cls.__name__ in str(err.value)


def test_built_from_a_config_dict():
    g = build({"name": "StyleGANv2Generator", "size": 8, "style_dim": 4, "n_mlp": 1,
               "channels": {4: 4, 8: 4}}, GENERATORS)
    d = build({"name": "StyleGANv2Discriminator", "size": 8, "channels": {4: 4, 8: 4}},
              DISCRIMINATORS)
    image, latent = g([paddle.randn([2, 4])])
    assert image.shape == [2, 3, 8, 8] and latent is None
    assert d(image).shape == [2, 1]
