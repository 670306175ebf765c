"""DiffAugment (Zhao et al. 2020): each transform against a numpy transcription of the
official DiffAugment_pytorch.py (pad + clamped gather for the shift, clamped index
boxes for the cutout), the draws' ranges, R1 through the augmentation (a double
gradient), the policy errors, and StyleGAN2Model applying it to real and fake."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite.models import diffaugment as da
from ppgan_lite.utils.errors import ConfigError


def official_translation(x, tx, ty):
    """DiffAugment_pytorch.rand_translation with its draws given (numpy)."""
    n, _, h, w = x.shape
    pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    gb, gx, gy = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), indexing="ij")
    gx = np.clip(gx + tx[:, None, None] + 1, 0, h + 1)
    gy = np.clip(gy + ty[:, None, None] + 1, 0, w + 1)
    return pad.transpose(0, 2, 3, 1)[gb, gx, gy].transpose(0, 3, 1, 2)


def official_cutout(x, ox, oy, size):
    n, _, h, w = x.shape
    gb, gx, gy = np.meshgrid(np.arange(n), np.arange(size[0]), np.arange(size[1]),
                             indexing="ij")
    gx = np.clip(gx + ox[:, None, None] - size[0] // 2, 0, h - 1)
    gy = np.clip(gy + oy[:, None, None] - size[1] // 2, 0, w - 1)
    mask = np.ones((n, h, w), x.dtype)
    mask[gb, gx, gy] = 0
    return x * mask[:, None]


def test_translation_equals_the_official_gather():
    rng = np.random.RandomState(0)
    x = rng.randn(6, 3, 8, 12).astype("float32")
    ty = np.array([-1, 0, 1, 3, -5, 12])  # beyond the image too: all zero fill
    tx = np.array([2, -2, 0, 1, 9, -12])
    got = da.translate(paddle.to_tensor(x), paddle.to_tensor(ty), paddle.to_tensor(tx))
    np.testing.assert_allclose(got.numpy(), official_translation(x, ty, tx), atol=1e-6)


def test_cutout_equals_the_official_mask():
    rng = np.random.RandomState(1)
    x = rng.randn(5, 2, 9, 8).astype("float32")
    cy, cx = np.array([0, 4, 8, 9, 2]), np.array([0, 7, 3, 8, 5])
    for box in ((5, 4), (4, 3)):
        got = da.cutout(paddle.to_tensor(x), paddle.to_tensor(cy), paddle.to_tensor(cx), box)
        np.testing.assert_allclose(got.numpy(), official_cutout(x, cy, cx, box), atol=0)


def test_color_adjustment_is_the_official_formula():
    rng = np.random.RandomState(2)
    x = rng.uniform(-1, 1, (3, 3, 4, 4)).astype("float32")
    b, s, c = (rng.uniform(lo, hi, (3, 1, 1, 1)).astype("float32")
               for lo, hi in ((-0.5, 0.5), (0, 2), (0.5, 1.5)))
    want = x + b
    want = (want - want.mean(1, keepdims=True)) * s + want.mean(1, keepdims=True)
    want = (want - want.mean((1, 2, 3), keepdims=True)) * c + want.mean((1, 2, 3), keepdims=True)
    got = da.adjust_color(*(paddle.to_tensor(v) for v in (x, b, s, c)))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-5)


def test_random_draws_stay_in_the_official_ranges():
    paddle.seed(0)
    x = paddle.ones([200, 1, 32, 32])
    shifted = da.rand_translation(x).numpy()
    # a shift of k rows leaves k zero rows: at most int(32 / 8 + 0.5) = 4, and all of 0..4 occur
    zero_rows = (shifted[:, 0].sum(2) == 0).sum(1)
    assert zero_rows.max() == 4 and set(zero_rows) == set(range(5))
    holes = (da.rand_cutout(x).numpy() == 0).sum((1, 2, 3))
    assert holes.max() == 16 * 16 and holes.min() >= 8 * 8  # a box, clipped to a quarter
    bright = da.rand_color(paddle.zeros([500, 3, 2, 2])).numpy()  # contrast keeps a flat image
    assert -0.5 <= bright.min() < -0.45 and 0.45 < bright.max() <= 0.5
    # the same seed, the same draws: a checkpoint resumes them
    paddle.seed(5)
    a = da.diff_augment(x, "color,translation,cutout").numpy()
    paddle.seed(5)
    np.testing.assert_array_equal(a, da.diff_augment(x, "color,translation,cutout").numpy())


def test_r1_differentiates_twice_through_every_policy():
    from ppgan_lite.models.discriminators.stylegan2 import StyleGANv2Discriminator
    from ppgan_lite.models.styleganv2_parts import r1_penalty

    paddle.seed(0)
    disc = StyleGANv2Discriminator(16, channels={4: 8, 8: 8, 16: 8})
    real = paddle.randn([4, 3, 16, 16])
    real.stop_gradient = False
    r1 = r1_penalty(disc(da.diff_augment(real, "color,translation,cutout")), real)
    r1.backward()
    grad = disc.convs[0][0].weight.grad
    assert float(r1) > 0 and np.isfinite(grad.numpy()).all() and float(grad.abs().sum()) > 0


@pytest.mark.parametrize("policy, want", [
    (None, ()), ("", ()), ("translation", ("translation",)),
    ("color, cutout", ("color", "cutout")), (["cutout"], ("cutout",))])
def test_policies_parse(policy, want):
    assert da.parse_policy(policy) == want


def test_an_unknown_policy_is_one_line_naming_the_known_ones():
    with pytest.raises(ConfigError, match="unknown policy flip.*color,translation,cutout"):
        da.parse_policy("translation,flip")
    from ppgan_lite import register_all
    from ppgan_lite.utils.registry import MODELS, build

    register_all()
    with pytest.raises(ConfigError, match="model.diffaugment: unknown policy"):
        build({"name": "StyleGAN2Model", "diffaugment": "zoom",
               "generator": {"name": "StyleGANv2Generator", "size": 8, "style_dim": 4,
                             "n_mlp": 1, "channels": {4: 4, 8: 4}}}, MODELS)


def test_stylegan2_model_shows_d_the_augmented_images(monkeypatch):
    from ppgan_lite import register_all
    from ppgan_lite.models import styleganv2_model
    from ppgan_lite.utils.registry import MODELS, build

    register_all()
    seen = []
    monkeypatch.setattr(styleganv2_model, "diff_augment",
                        lambda x, policy: seen.append(policy) or x * 0)
    net = {"size": 8, "channels": {4: 4, 8: 4}}
    model = build({"name": "StyleGAN2Model", "diffaugment": "translation,cutout",
                   "generator": {"name": "StyleGANv2Generator", "style_dim": 4, "n_mlp": 1,
                                 **net},
                   "discriminator": {"name": "StyleGANv2Discriminator", **net}}, MODELS)
    model.setup_input({"A": paddle.randn([4, 3, 8, 8])})
    model.setup_optimizers(0.002, {"optimG": {"name": "Adam"}, "optimD": {"name": "Adam"}})
    model.current_iter = 1
    model.train_iter()
    # D step (real, fake), G step (fake); a zeroed input gives D one logit for all
    assert seen == [("translation", "cutout")] * 3
    assert float(model.losses["D_real_score"]) == float(model.losses["D_fake_score"])
