"""DCGAN nets: PaddleGAN's state-dict layout, forward shapes, loading, init statistics."""
import math

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn as nn

from ppgan_lite.models import discriminators, generators  # noqa: F401  (registration)
from ppgan_lite.models.discriminators.dcdiscriminator import DCDiscriminator
from ppgan_lite.models.generators.dcgan import DCGenerator
from ppgan_lite.models.layers.init import fans, init_weights
from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.registry import DISCRIMINATORS, GENERATORS, build

pytestmark = pytest.mark.filterwarnings("ignore:When training, we now always track")

# PaddleGAN configs/dcgan_mnist.yaml, model section.
MNIST_G = {"name": "DCGenerator", "norm_type": "batch", "input_nz": 100, "input_nc": 1,
           "output_nc": 1, "ngf": 64}
MNIST_D = {"name": "DCDiscriminator", "norm_type": "batch", "ndf": 64, "input_nc": 1}


def _bn(index, channels):
    return [(f"model.{index}.{name}", [channels])
            for name in ("weight", "bias", "_mean", "_variance")]


# Written out from PaddleGAN's ppgan/models/generators/dcgenerator.py for the config above:
# Conv2DTranspose weights are [in, out, 4, 4], no conv has a bias (its use_bias is False
# for every norm type), ReLU / Tanh at indices 2, 5, 8, 11, 13.
PADDLEGAN_G_KEYS = dict(
    [("model.0.weight", [100, 512, 4, 4])] + _bn(1, 512)
    + [("model.3.weight", [512, 256, 4, 4])] + _bn(4, 256)
    + [("model.6.weight", [256, 128, 4, 4])] + _bn(7, 128)
    + [("model.9.weight", [128, 64, 4, 4])] + _bn(10, 64)
    + [("model.12.weight", [64, 1, 4, 4])])

# From ppgan/models/discriminators/dcdiscriminator.py, norm_type 'batch': the first conv
# has no bias, the middle convs keep Paddle's default bias, the last conv has one.
PADDLEGAN_D_KEYS = dict(
    [("model.0.weight", [64, 1, 4, 4])]
    + [("model.2.weight", [128, 64, 4, 4]), ("model.2.bias", [128])] + _bn(3, 128)
    + [("model.5.weight", [256, 128, 4, 4]), ("model.5.bias", [256])] + _bn(6, 256)
    + [("model.8.weight", [512, 256, 4, 4]), ("model.8.bias", [512])] + _bn(9, 512)
    + [("model.11.weight", [1, 512, 4, 4]), ("model.11.bias", [1])])

# Same file, norm_type 'instance' (PaddleGAN's default): convs without bias, a frozen
# InstanceNorm2D affine (scale, bias) after each middle conv.
PADDLEGAN_D_INSTANCE_KEYS = {
    "model.0.weight": [64, 1, 4, 4],
    "model.2.weight": [128, 64, 4, 4], "model.3.scale": [128], "model.3.bias": [128],
    "model.5.weight": [256, 128, 4, 4], "model.6.scale": [256], "model.6.bias": [256],
    "model.8.weight": [512, 256, 4, 4], "model.9.scale": [512], "model.9.bias": [512],
    "model.11.weight": [1, 512, 4, 4], "model.11.bias": [1],
}


def _layout(net):
    return {k: list(v.shape) for k, v in net.state_dict().items()}


def test_generator_keys_and_shapes_equal_paddlegan():
    assert _layout(build(MNIST_G, GENERATORS)) == PADDLEGAN_G_KEYS


def test_discriminator_keys_and_shapes_equal_paddlegan():
    assert _layout(build(MNIST_D, DISCRIMINATORS)) == PADDLEGAN_D_KEYS
    assert _layout(DCDiscriminator(input_nc=1)) == PADDLEGAN_D_INSTANCE_KEYS


def test_instance_norm_affine_is_frozen_and_none_has_no_norm_params():
    d = DCDiscriminator(1, ndf=8, norm_type="instance")
    assert all(p.stop_gradient for k, p in d.named_parameters() if ".3." in k)
    g = DCGenerator(10, 1, 3, ngf=8, norm_type="none")
    assert list(_layout(g)) == [f"model.{i}.weight" for i in (0, 3, 6, 9, 12)]


@pytest.mark.parametrize("img_size", [64, 32])
@pytest.mark.parametrize("norm_type", ["batch", "instance", "none"])
def test_forward_shapes_and_range(img_size, norm_type):
    paddle.seed(0)
    g = DCGenerator(16, 3, 3, ngf=8, norm_type=norm_type, img_size=img_size)
    d = DCDiscriminator(3, ndf=8, norm_type=norm_type, img_size=img_size)
    fake = g(paddle.randn([2, 16, 1, 1]))
    assert list(fake.shape) == [2, 3, img_size, img_size]
    assert float(fake.abs().max()) <= 1.0 and float(fake.std()) > 1e-3  # tanh, not constant
    logits = d(fake)
    assert list(logits.shape) == [2, 1, 1, 1]


def test_img_size_32_drops_one_block_and_keeps_names_pattern():
    g = DCGenerator(100, 1, 1, ngf=64, img_size=32)
    layout = _layout(g)
    assert layout["model.0.weight"] == [100, 256, 4, 4]
    assert layout["model.9.weight"] == [64, 1, 4, 4]  # last layer, three indices earlier
    d = DCDiscriminator(1, ndf=64, norm_type="batch", img_size=32)
    assert _layout(d)["model.8.weight"] == [1, 256, 4, 4]


@pytest.mark.parametrize("bad", [48, 4, "64"])
def test_bad_img_size_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="power of two"):
        DCGenerator(10, 1, 1, img_size=bad)
    with pytest.raises(ConfigError, match="power of two"):
        DCDiscriminator(1, img_size=bad)


def test_bad_norm_type_is_a_config_error():
    with pytest.raises(ConfigError, match="batch, instance, none"):
        DCDiscriminator(1, norm_type="spectral")
    with pytest.raises(ConfigError, match="Did you mean 'input_nz'"):
        build(dict(MNIST_G, input_nzz=3), GENERATORS)


def _random_state(layout, rng):
    state = {}
    for key, shape in layout.items():
        value = rng.standard_normal(shape).astype("float32") * 0.05
        if key.endswith("_variance"):
            value = np.abs(value) + 0.5
        state[key] = value
    return state


@pytest.mark.parametrize("cfg, layout", [(MNIST_G, PADDLEGAN_G_KEYS),
                                         (MNIST_D, PADDLEGAN_D_KEYS)])
def test_paddlegan_named_state_dict_loads_and_changes_output(cfg, layout):
    rng = np.random.default_rng(0)
    paddle.seed(0)
    net = build(cfg, GENERATORS if cfg["name"] == "DCGenerator" else DISCRIMINATORS)
    net.eval()
    x = (paddle.randn([2, 100, 1, 1]) if cfg["name"] == "DCGenerator"
         else paddle.rand([2, 1, 64, 64]) * 2 - 1)
    before = net(x).numpy()
    state = _random_state(layout, rng)
    missing, unexpected = net.set_state_dict(state)
    assert missing == [] and unexpected == []
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key])
    after = net(x).numpy()
    assert np.abs(after - before).max() > 1e-3


def test_generator_exports_with_to_static():
    from paddle.static import InputSpec

    g = DCGenerator(16, 3, 3, ngf=8, img_size=32)
    g.eval()
    static = paddle.jit.to_static(g, input_spec=[InputSpec([None, 16, 1, 1], "float32")],
                                  full_graph=True)
    z = paddle.randn([3, 16, 1, 1])
    np.testing.assert_allclose(static(z).numpy(), g(z).numpy(), atol=1e-6)


def test_normal_init_statistics():
    paddle.seed(1)
    net = nn.Sequential(nn.Conv2D(256, 256, 4), nn.BatchNorm2D(4096),
                        nn.Conv2DTranspose(64, 32, 4), nn.Linear(8, 4))
    init_weights(net)  # DCGAN defaults: normal, 0.02
    conv = net[0].weight.numpy()  # 1M draws: the std estimate is good to ~0.1 %
    assert abs(conv.std() - 0.02) < 0.0005 and abs(conv.mean()) < 0.0005
    assert abs(net[2].weight.numpy().std() - 0.02) < 0.002
    bn = net[1].weight.numpy()
    assert abs(bn.mean() - 1.0) < 0.002 and abs(bn.std() - 0.02) < 0.002
    for layer in (net[0], net[1], net[2], net[3]):
        assert np.all(layer.bias.numpy() == 0.0)


def test_init_is_reproducible_with_paddle_seed():
    def draw():
        paddle.seed(7)
        return init_weights(DCDiscriminator(1, ndf=8, norm_type="batch", img_size=32))

    a, b = draw().state_dict(), draw().state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy())
    paddle.seed(8)
    c = init_weights(DCDiscriminator(1, ndf=8, norm_type="batch", img_size=32))
    assert not np.array_equal(a["model.0.weight"].numpy(), c.state_dict()["model.0.weight"].numpy())


def test_xavier_kaiming_orthogonal():
    paddle.seed(2)
    conv = nn.Conv2D(128, 256, 3)
    fan_in, fan_out = fans(conv)
    assert (fan_in, fan_out) == (128 * 9, 256 * 9)
    assert fans(nn.Linear(10, 3)) == (10, 3)  # Paddle's Linear weight is [in, out]

    init_weights(conv, "xavier", init_gain=1.0)
    expected = math.sqrt(2.0 / (fan_in + fan_out))
    assert abs(conv.weight.numpy().std() / expected - 1) < 0.02

    init_weights(conv, "kaiming")
    assert abs(conv.weight.numpy().std() / math.sqrt(2.0 / fan_in) - 1) < 0.02

    init_weights(conv, "orthogonal", init_gain=0.5)
    rows = conv.weight.numpy().reshape(256, -1)  # 256 rows of 1152: rows orthogonal
    np.testing.assert_allclose(rows @ rows.T, 0.25 * np.eye(256), atol=1e-4)

    with pytest.raises(ConfigError, match="normal, xavier, kaiming, orthogonal"):
        init_weights(conv, "uniform")
