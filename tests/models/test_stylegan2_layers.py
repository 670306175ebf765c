"""StyleGAN2's layers (models/layers/upfirdn.py, equalized.py, fused_act.py and the
generator's ModulatedConv2D): upfirdn2d equals PaddleGAN's on a fixed input, the
equalized-lr arithmetic, minibatch stddev, the width table, the modulated conv's
three equal formulations, gradients of the nets of first and second order (R1, path
length), errors.

Reference data: tests/reference/make_stylegan2_references.py (PaddleGAN's own modules).
"""
import math
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn.functional as F

from ppgan_lite.models.discriminators.stylegan2 import StyleGANv2Discriminator
from ppgan_lite.models.generators.stylegan2 import ModulatedConv2D, StyleGANv2Generator
from ppgan_lite.models.layers.equalized import (EqualConv2D, EqualLinear, PixelNorm,
                                                minibatch_stddev, stylegan_channels)
from ppgan_lite.models.layers.fused_act import FusedLeakyReLU, fused_leaky_relu
from ppgan_lite.models.layers.upfirdn import (Blur, Downsample, Upfirdn2dBlur, Upfirdn2dUpsample,
                                              Upsample, make_kernel, upfirdn2d,
                                              upfirdn2d_separable)
from ppgan_lite.utils.errors import ConfigError

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SMALL = {4: 8, 8: 8, 16: 4}  # a CPU-sized width table
# (name, kernel, up, down, pad) as the reference script ran them through PaddleGAN
UPFIRDN_CASES = [
    ("up2_k4", [1, 3, 3, 1], 2, 1, (2, 1)),
    ("down2_k4", [1, 3, 3, 1], 1, 2, (1, 1)),
    ("blur_k4", [1, 3, 3, 1], 1, 1, (2, 1)),
    ("up2_k3", [1, 2, 1], 2, 1, (1, 1)),
    ("up2_down2_k2", [1, 1], 2, 2, (0, 1)),
    ("down2_k2d", [[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1, 2, (1, 0)),
    ("up2_crop", [1, 3, 3, 1], 2, 1, (-1, 2)),
    ("up3_k4", [1, 3, 3, 1], 3, 1, (1, 1)),
]


def _ref():
    with np.load(os.path.join(DATA, "stylegan2_reference.npz")) as z:
        return {k: z[k].astype("float32") for k in z.files if k.startswith("upfirdn::")}


def assert_close(actual, expected, rtol=1e-4):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= rtol * np.abs(expected).max()


# ---------------------------------------------------------------- upfirdn2d
@pytest.mark.parametrize("name,kernel,up,down,pad", UPFIRDN_CASES,
                         ids=[c[0] for c in UPFIRDN_CASES])
def test_upfirdn2d_equals_paddlegans(name, kernel, up, down, pad):
    ref = _ref()
    x = paddle.to_tensor(ref["upfirdn::input"])  # [1, 3, 8, 7]
    out = upfirdn2d(x, paddle.to_tensor(make_kernel(kernel)), up, down, pad).numpy()
    assert_close(out, ref[f"upfirdn::{name}"])
    side = (8 * up + pad[0] + pad[1] - len(kernel)) // down + 1
    assert out.shape[2] == side
    if np.ndim(kernel) == 1:  # the two 1-D passes the layers use
        taps = paddle.to_tensor(np.asarray(kernel, "float32") / sum(kernel))
        assert_close(upfirdn2d_separable(x, taps, up, down, pad).numpy(), out)


def test_layers_equal_paddlegans_and_keep_its_buffers():
    ref = _ref()
    x = paddle.to_tensor(ref["upfirdn::input"])
    up, down, blur = Upsample([1, 3, 3, 1]), Downsample([1, 3, 3, 1]), \
        Blur([1, 3, 3, 1], (2, 1), upsample_factor=2)
    assert_close(up(x).numpy(), ref["upfirdn::Upsample"])
    assert_close(down(x).numpy(), ref["upfirdn::Downsample"])
    assert_close(blur(x).numpy(), ref["upfirdn::Blur"])
    assert up(x).shape == [1, 3, 16, 14] and down(x).shape == [1, 3, 4, 3]
    # PaddleGAN saves Upsample's / Downsample's kernel, not Blur's
    assert list(up.state_dict()) == ["kernel"] and list(down.state_dict()) == ["kernel"]
    assert list(blur.state_dict()) == []
    assert np.allclose(up.kernel.numpy(), np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 16)
    assert Upfirdn2dUpsample is Upsample and Upfirdn2dBlur is Blur
    # a 2-D kernel takes the general path
    blur2d = Blur(np.outer([1, 3, 3, 1], [1, 3, 3, 1]).tolist(), (2, 1))
    assert not blur2d.separable
    assert_close(blur2d(x).numpy(), Blur([1, 3, 3, 1], (2, 1))(x).numpy())


def test_fir_layers_differentiate_twice():
    x = paddle.randn([2, 3, 8, 8])
    x.stop_gradient = False
    for layer in (Upsample([1, 3, 3, 1]), Downsample([1, 3, 3, 1]),
                  Blur([1, 3, 3, 1], (2, 1))):
        y = layer(x * x)
        (g,) = paddle.grad((y * y).sum(), x, create_graph=True)
        (gx,) = paddle.grad((g * g).sum(), x)
        assert float(gx.abs().sum()) > 0


@pytest.mark.parametrize("kernel", [[], [1, -1], "abc", [[1, 2], [3]], [[1, 2, 3]]])
def test_bad_blur_kernel_is_one_line(kernel):
    with pytest.raises(ConfigError, match="blur_kernel") as err:
        Blur(kernel, (1, 1))
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- equalized lr
def test_equal_linear_arithmetic_layout_and_init():
    paddle.seed(0)
    lin = EqualLinear(64, 32, bias_init=0.5, lr_mul=0.01)
    assert lin.weight.shape == [64, 32] and lin.bias.shape == [32]  # PaddleGAN's [in, out]
    assert abs(lin.weight.numpy().std() * 0.01 - 1) < 0.05  # N(0, 1 / lr_mul)
    assert np.allclose(lin.bias.numpy(), 0.5)
    x = paddle.randn([5, 64])
    expected = x.numpy() @ (lin.weight.numpy() * 0.01 / 8) + 0.5 * 0.01
    assert np.allclose(lin(x).numpy(), expected, atol=1e-5)
    act = EqualLinear(64, 32, activation="fused_lrelu")
    pre = x.numpy() @ (act.weight.numpy() / 8)
    assert np.allclose(act(x).numpy(), np.where(pre >= 0, pre, 0.2 * pre) * math.sqrt(2),
                       atol=1e-5)
    plain = EqualLinear(64, 32, bias=False, activation="lrelu", gain=math.sqrt(2))
    pre = x.numpy() @ (plain.weight.numpy() * math.sqrt(2) / 8)
    assert plain.bias is None
    assert np.allclose(plain(x).numpy(), np.where(pre >= 0, pre, 0.2 * pre), atol=1e-5)


def test_equal_conv_arithmetic():
    paddle.seed(1)
    conv = EqualConv2D(4, 6, 3, padding=1, stride=2, bias_init=0.1, lr_mul=0.5)
    assert conv.weight.shape == [6, 4, 3, 3] and conv.bias.shape == [6]
    x = paddle.randn([2, 4, 8, 8])
    scale = 0.5 / math.sqrt(4 * 9)
    expected = F.conv2d(x, conv.weight * scale, conv.bias * 0.5, stride=2, padding=1)
    assert np.allclose(conv(x).numpy(), expected.numpy(), atol=1e-5)
    act = EqualConv2D(4, 6, 1, activation="fused_lrelu")
    pre = F.conv2d(x, act.weight * 0.5)  # 1 / sqrt(4)
    assert np.allclose(act(x).numpy(), fused_leaky_relu(pre, act.bias).numpy(), atol=1e-5)
    assert list(EqualConv2D(4, 6, 3, bias=False).state_dict()) == ["weight"]


@pytest.mark.parametrize("cls,args,kwargs,match", [
    (EqualLinear, (4, 4), dict(activation="relu"), "activation"),
    (EqualLinear, (4, 4), dict(lr_mul=0), "lr_mul"),
    (EqualConv2D, (4, 4, 3), dict(activation="tanh"), "activation"),
])
def test_bad_equalized_arguments_are_one_line(cls, args, kwargs, match):
    with pytest.raises(ConfigError, match=match) as err:
        cls(*args, **kwargs)
    assert "\n" not in str(err.value)


def test_fused_leaky_relu_slope_scale_and_bias():
    act = FusedLeakyReLU(3, negative_slope=0.1, scale=2.0)
    act.bias.set_value(paddle.to_tensor([1.0, -1.0, 0.0]))
    x = paddle.to_tensor(np.linspace(-2, 2, 3 * 4).reshape(1, 3, 2, 2).astype("float32"))
    pre = x.numpy() + np.array([1.0, -1.0, 0.0]).reshape(1, 3, 1, 1)
    assert np.allclose(act(x).numpy(), np.where(pre >= 0, pre, 0.1 * pre) * 2.0)
    assert list(act.state_dict()) == ["bias"] and not FusedLeakyReLU(3, bias=False).parameters()


def test_pixel_norm():
    x = paddle.randn([3, 16])
    out = PixelNorm()(x).numpy()
    assert np.allclose((out ** 2).mean(1), 1, atol=1e-4)
    assert np.allclose(out * np.sqrt((x.numpy() ** 2).mean(1, keepdims=True)), x.numpy(),
                       atol=1e-5)


@pytest.mark.parametrize("batch", [8, 4, 3, 1])
def test_minibatch_stddev_groups_samples_as_paddlegan(batch):
    x = np.random.RandomState(batch).standard_normal((batch, 5, 3, 3)).astype("float32")
    out = minibatch_stddev(paddle.to_tensor(x)).numpy()
    group = min(batch, 4)
    groups = x.reshape(group, batch // group, 5, 3, 3)  # sample n: n % (batch / group)
    std = np.sqrt(groups.var(axis=0) + 1e-8).mean(axis=(1, 2, 3))
    assert out.shape == (batch, 6, 3, 3)
    assert np.allclose(out[:, :5], x)
    assert np.allclose(out[:, 5], np.tile(std, group)[:, None, None], atol=1e-5)


def test_width_table():
    assert stylegan_channels(256) == {4: 512, 8: 512, 16: 512, 32: 512, 64: 512, 128: 256,
                                      256: 128}
    assert stylegan_channels(64, channel_multiplier=1)[64] == 256
    assert stylegan_channels(8, channels={4: 3, 8: 2, 1024: 7}) == {4: 3, 8: 2}


# ---------------------------------------------------------------- modulated conv
@pytest.mark.parametrize("kind", ["plain", "upsample", "downsample", "to_rgb"])
def test_modulated_conv_formulations_agree(kind):
    paddle.seed(2)
    k = 1 if kind == "to_rgb" else 3
    conv = ModulatedConv2D(4, 5, k, 6, demodulate=kind != "to_rgb",
                           upsample=kind == "upsample", downsample=kind == "downsample")
    x = paddle.randn([3, 4, 8, 8])
    style = conv.modulation(paddle.randn([3, 6]))
    outs = []
    for fused, double_grad in ((False, False), (True, False), (False, True), (True, True)):
        conv.fused, conv.double_grad = fused, double_grad
        outs.append(conv(x, style).numpy())
    side = {"upsample": 16, "downsample": 4}.get(kind, 8)
    assert outs[0].shape == (3, 5, side, side)
    for out in outs[1:]:
        assert_close(out, outs[0])
    # per-sample: sample 1's output does not depend on sample 0's style
    conv.fused = conv.double_grad = False
    moved = conv(x, paddle.concat([style[:1] * 3, style[1:]])).numpy()
    assert np.allclose(moved[1:], outs[0][1:], atol=1e-5)
    # demodulation cancels a uniform scale of the style (StyleGAN2 eq. 3)
    assert np.allclose(moved[:1], outs[0][:1], atol=1e-4) == (kind != "to_rgb")


def test_demodulated_output_has_unit_scale_per_output_channel():
    """StyleGAN2 eq. 3: with unit-variance input, each output channel has unit variance
    whatever the style's magnitude."""
    paddle.seed(3)
    conv = ModulatedConv2D(64, 8, 3, 4)
    x = paddle.randn([2, 64, 32, 32])
    for gain in (0.1, 10.0):
        out = conv(x, conv.modulation(paddle.randn([2, 4])) * gain).numpy()
        assert np.allclose(out[:, :, 2:-2, 2:-2].std(axis=(2, 3)), 1, atol=0.15)


# ---------------------------------------------------------------- gradients of the nets
def _nonzero_grads(net):
    return {k for k, p in net.named_parameters()
            if p.grad is not None and float(p.grad.abs().sum()) > 0}


def test_discriminator_backward_reaches_every_parameter_and_r1_double_grad():
    paddle.seed(1)
    d = StyleGANv2Discriminator(16, channels=SMALL)
    x = paddle.randn([4, 3, 16, 16])
    x.stop_gradient = False
    d(x).mean().backward()
    assert _nonzero_grads(d) == {k for k, _ in d.named_parameters()}
    d.clear_gradients()
    (grad,) = paddle.grad(d(x).sum(), x, create_graph=True)  # R1
    (grad * grad).sum().backward()
    # after the minibatch stddev the net is piecewise linear: its biases only move
    # leaky-ReLU kinks, so the input gradient does not depend on them
    assert {k for k, _ in d.named_parameters()} - _nonzero_grads(d) == \
        {"final_conv.1.bias", "final_linear.0.bias", "final_linear.1.bias"}


@pytest.mark.parametrize("noise", ["random", "fixed"])
def test_generator_backward_reaches_every_parameter(noise):
    paddle.seed(2)
    g = StyleGANv2Generator(16, 8, 2, channels=SMALL)
    for m in g.sublayers():  # noise strengths start at 0; give the noise a way in
        if type(m).__name__ == "NoiseInjection":
            m.weight.set_value(paddle.full([1], 0.1))
    image, _ = g([paddle.randn([2, 8])], randomize_noise=noise == "random")
    (image * paddle.randn(image.shape)).sum().backward()
    assert _nonzero_grads(g) == {k for k, _ in g.named_parameters()}


def test_path_length_double_grad_through_the_generator():
    """Path-length regularisation's second-order gradient, checked against central
    differences in float64 (in float32 the differences cross leaky-ReLU kinks, where
    the path length jumps)."""
    paddle.set_default_dtype("float64")
    try:
        paddle.seed(4)
        g = StyleGANv2Generator(16, 8, 2, channels=SMALL)
        z = [paddle.randn([2, 8])]
        y = paddle.randn([2, 3, 16, 16])

        def path_length():
            with g.double_grad():
                image, latents = g(z, return_latents=True, randomize_noise=False)
            (grad,) = paddle.grad((image * y).sum(), latents, create_graph=True)
            return paddle.sqrt((grad * grad).sum(2).mean(1)).mean()

        path_length().backward()
        grads = _nonzero_grads(g)
        # to_rgb biases add constants: the only parameters the path length cannot see
        assert {k for k, _ in g.named_parameters()} - grads == \
            {"to_rgb1.bias", "to_rgbs.0.bias", "to_rgbs.1.bias"}
        params = dict(g.named_parameters())
        for name in ("input.input", "style.1.bias", "convs.0.conv.weight",
                     "convs.1.conv.modulation.weight", "to_rgbs.1.conv.weight"):
            param = params[name]
            direction = np.random.RandomState(0).standard_normal(param.shape)
            analytic = float((param.grad.numpy() * direction).sum())
            base = param.numpy()
            values = []
            for sign in (1, -1):
                param.set_value(base + sign * 1e-6 * direction)
                values.append(float(path_length()))
            param.set_value(base)
            numeric = (values[0] - values[1]) / 2e-6
            assert abs(numeric - analytic) <= 1e-5 * abs(analytic) + 1e-9, name
    finally:
        paddle.set_default_dtype("float32")


def test_double_grad_mode_gives_the_same_image_and_restores_itself():
    paddle.seed(5)
    g = StyleGANv2Generator(16, 8, 2, channels=SMALL)
    z = [paddle.randn([2, 8])]
    with paddle.no_grad():
        plain = g(z, randomize_noise=False)[0].numpy()
        with g.double_grad():
            assert g.convs[0].conv.double_grad
            twice = g(z, randomize_noise=False)[0].numpy()
    assert not g.convs[0].conv.double_grad
    assert_close(twice, plain)
