"""PGGAN nets: the official channel table, parameter names that do not change as the
nets grow, the fade-in continuity of G and D, and the errors."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite.models.discriminators.pggan import PGGANDiscriminator
from ppgan_lite.models.generators.pggan import PGGANGenerator
from ppgan_lite.models.layers.progressive import pggan_channels, split_lod
from ppgan_lite.utils.errors import ConfigError

TINY = dict(resolution=16, num_channels=1, fmap_base=32, fmap_max=16)


def test_channel_table_is_the_official_one():
    nf = pggan_channels()  # fmap_base 8192, decay 1, max 512: G_paper / D_paper defaults
    assert [nf(k + 1) for k in range(9)] == [512, 512, 512, 512, 256, 128, 64, 32, 16]
    assert nf(0) == 512
    G = PGGANGenerator(resolution=1024, num_channels=3)
    assert G.latent_size == 512
    assert list(G.to_rgbs[8].weight.shape) == [3, 16, 1, 1]
    half = pggan_channels(fmap_base=128, fmap_decay=0.5, fmap_max=64)
    assert [half(s) for s in range(5)] == [64, 64, 64, 45, 32]


def test_generator_names_cover_every_level_from_the_start():
    G = PGGANGenerator(**TINY)
    keys = list(G.state_dict())
    assert keys == [
        "lod", "blocks.0.dense_bias", "blocks.0.dense.weight", "blocks.0.conv.weight",
        "blocks.0.conv.bias", "blocks.1.conv0.weight", "blocks.1.conv0.bias",
        "blocks.1.conv1.weight", "blocks.1.conv1.bias", "blocks.2.conv0.weight",
        "blocks.2.conv0.bias", "blocks.2.conv1.weight", "blocks.2.conv1.bias",
        "to_rgbs.0.weight", "to_rgbs.0.bias", "to_rgbs.1.weight", "to_rgbs.1.bias",
        "to_rgbs.2.weight", "to_rgbs.2.bias"]
    shapes = {k: list(v.shape) for k, v in G.state_dict().items()}
    assert shapes["blocks.0.dense.weight"] == [16, 16 * 16]  # [in, out]: latent -> 16x4x4
    assert shapes["blocks.0.dense_bias"] == [16]  # per channel, after the reshape
    assert shapes["blocks.2.conv0.weight"] == [4, 8, 3, 3]  # nf(2) -> nf(3)
    G.set_level(0)
    assert list(G.state_dict()) == keys  # the layout does not depend on the level


def test_discriminator_names_cover_every_level_from_the_start():
    D = PGGANDiscriminator(**TINY)
    assert list(D.state_dict()) == [
        "lod", "from_rgbs.0.weight", "from_rgbs.0.bias", "from_rgbs.1.weight",
        "from_rgbs.1.bias", "from_rgbs.2.weight", "from_rgbs.2.bias", "blocks.0.conv.weight",
        "blocks.0.conv.bias", "blocks.0.dense0.weight", "blocks.0.dense0.bias",
        "blocks.0.dense1.weight", "blocks.0.dense1.bias", "blocks.1.conv0.weight",
        "blocks.1.conv0.bias", "blocks.1.conv1.weight", "blocks.1.conv1.bias",
        "blocks.2.conv0.weight", "blocks.2.conv0.bias", "blocks.2.conv1.weight",
        "blocks.2.conv1.bias"]
    shapes = {k: list(v.shape) for k, v in D.state_dict().items()}
    assert shapes["blocks.0.conv.weight"] == [16, 17, 3, 3]  # + the minibatch-stddev map
    assert shapes["blocks.2.conv1.weight"] == [8, 4, 3, 3]  # nf(3) -> nf(2)
    no_mbstd = PGGANDiscriminator(**TINY, mbstd_group_size=0)
    assert list(no_mbstd.blocks[0].conv.weight.shape) == [16, 16, 3, 3]


def test_lod_is_level_and_alpha():
    assert split_lod(2.0, 3) == (1, 1.0)
    level, alpha = split_lod(1.25, 3)
    assert level == 2 and alpha == pytest.approx(0.75)
    G = PGGANGenerator(**TINY)
    assert G.level_alpha() == (2, 1.0)  # built at the final level
    G.set_level(1, 0.3)
    assert float(G.lod) == pytest.approx(1.7)
    level, alpha = G.level_alpha()
    assert level == 1 and alpha == pytest.approx(0.3)


def test_generator_output_is_always_full_size_and_nearest_upsampled():
    paddle.seed(0)
    G = PGGANGenerator(**TINY)
    z = paddle.randn([3, G.latent_size])
    for level in range(3):
        G.set_level(level)
        out = G(z).numpy()
        assert out.shape == (3, 1, 16, 16)
        block = 16 // 4 // 2 ** level  # each pixel of the level's image, repeated
        np.testing.assert_array_equal(out, np.repeat(np.repeat(
            out[:, :, ::block, ::block], block, axis=2), block, axis=3))
    assert np.abs(G(z).numpy() - G.synthesize(z, 1).numpy()).max() > 1e-3


def test_generator_fade_in_starts_at_the_previous_level():
    paddle.seed(1)
    G = PGGANGenerator(**TINY)
    z = paddle.randn([4, G.latent_size])
    for level in (1, 2):
        previous = G.synthesize(z, level - 1, 1.0).numpy()
        np.testing.assert_array_equal(G.synthesize(z, level, 0.0).numpy(), previous)
        new = G.synthesize(z, level, 1.0).numpy()
        half = G.synthesize(z, level, 0.5).numpy()
        np.testing.assert_allclose(half, 0.5 * new + 0.5 * previous, atol=1e-6)
        assert np.abs(new - previous).max() > 1e-2  # the new level does add something


def test_discriminator_fade_in_starts_at_the_previous_level():
    paddle.seed(2)
    D = PGGANDiscriminator(**TINY)
    x = paddle.uniform([4, 1, 16, 16], min=-1.0, max=1.0)
    for level in (1, 2):
        previous = D.score(x, level - 1, 1.0).numpy()
        np.testing.assert_array_equal(D.score(x, level, 0.0).numpy(), previous)
        assert np.abs(D.score(x, level, 1.0).numpy() - previous).max() > 1e-3
    # the previous level sees the image box-filtered once more
    coarse = paddle.nn.functional.avg_pool2d(x, 2, 2)
    coarse_up = paddle.nn.functional.interpolate(coarse, scale_factor=2, mode="nearest")
    np.testing.assert_allclose(D.score(x, 1, 1.0).numpy(), D.score(coarse_up, 1, 1.0).numpy(),
                               atol=1e-5)
    D.set_level(1, 0.25)
    np.testing.assert_array_equal(D(x).numpy(), D.score(x, 1, 0.25).numpy())


def test_discriminator_output_block_uses_minibatch_stddev():
    paddle.seed(3)
    D = PGGANDiscriminator(**TINY)
    x = paddle.uniform([4, 1, 16, 16], min=-1.0, max=1.0)
    alone = D(x[:1]).numpy()
    in_group = D(x).numpy()[:1]
    assert np.abs(alone - in_group).max() > 1e-6  # the other samples change the score


@pytest.mark.parametrize("cls, kwargs, message", [
    (PGGANGenerator, dict(resolution=24), "power of two >= 4"),
    (PGGANGenerator, dict(resolution=16, fmap_max=0), "fmap_max must be a positive"),
    (PGGANGenerator, dict(resolution=16, fmap_base=8, fmap_max=8, fmap_decay=4.0),
     "raise fmap_base"),
    (PGGANDiscriminator, dict(resolution=2), "power of two >= 4"),
    (PGGANDiscriminator, dict(resolution=16, mbstd_group_size=-1), "mbstd_group_size"),
])
def test_bad_arguments_are_config_errors(cls, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        cls(**kwargs)
