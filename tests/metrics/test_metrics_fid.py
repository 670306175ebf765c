"""FID / KID maths against references, the InceptionV3 layout, weights and the stats cache."""
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite import metrics
from ppgan_lite.metrics import fid as fid_module
from ppgan_lite.metrics import inception
from ppgan_lite.metrics.fid import (feature_statistics, frechet_distance,
                                    frechet_distance_from_features, kid, mmd2_unbiased)
from ppgan_lite.utils.errors import ConfigError, DataError, WeightsNotFoundError

linalg = pytest.importorskip("scipy.linalg")


def _features(rng, n, d, shift=0.0, scale=1.0):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return (rng.normal(size=(n, d)) @ mixing) * scale + shift


def _reference_fid(x, y):
    """pytorch-fid / PaddleGAN's formula with scipy's matrix square root."""
    m1, s1 = x.mean(0), np.cov(x, rowvar=False)
    m2, s2 = y.mean(0), np.cov(y, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2)
                 - 2 * np.trace(covmean).real)


# -- maths --------------------------------------------------------------------------------
def test_frechet_distance_equals_the_scipy_reference():
    rng = np.random.default_rng(0)
    x, y = _features(rng, 400, 24), _features(rng, 300, 24, shift=0.3, scale=1.5)
    expected = _reference_fid(x, y)
    assert expected > 1.0
    ours = frechet_distance(*feature_statistics(x), *feature_statistics(y))
    assert ours == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(*feature_statistics(y), *feature_statistics(x)) == pytest.approx(
        expected, rel=1e-9)
    mu, sigma = feature_statistics(x)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)
    # 1-d: the closed form (m1 - m2)^2 + (s1 - s2)^2 for standard deviations s
    assert frechet_distance(1.0, 4.0, 3.0, 9.0) == pytest.approx(4.0 + 1.0)


def test_fewer_images_than_dimensions_uses_the_small_space_and_agrees():
    rng = np.random.default_rng(1)
    x, y = _features(rng, 30, 64), _features(rng, 45, 64, shift=0.2)
    expected = _reference_fid(x, y)  # sqrtm of a singular product: small complex noise
    full = frechet_distance(*feature_statistics(x), *feature_statistics(y))
    small = frechet_distance_from_features(x, y)
    assert small == pytest.approx(full, rel=1e-7)  # full: sqrt of ~1e-15 null-space eigenvalues
    assert small == pytest.approx(expected, rel=1e-4)
    big_x, big_y = _features(rng, 80, 16), _features(rng, 90, 16, shift=0.5)
    assert frechet_distance_from_features(big_x, big_y) == pytest.approx(
        _reference_fid(big_x, big_y), rel=1e-9)


def _reference_mmd2(x, y):
    """Unbiased MMD^2, cubic polynomial kernel, written out pair by pair."""
    d, m = x.shape[1], len(x)
    k = lambda a, b: (a @ b / d + 1.0) ** 3
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_is_the_unbiased_polynomial_mmd():
    rng = np.random.default_rng(2)
    x, y = _features(rng, 20, 8), _features(rng, 20, 8, shift=0.4)
    expected = _reference_mmd2(x, y)
    assert mmd2_unbiased(x, y) == pytest.approx(expected, rel=1e-10)
    # a subset as large as the sets is a permutation: every subset gives the full value
    result = kid(x, y, num_subsets=5, subset_size=20)
    assert result["mean"] == pytest.approx(expected, rel=1e-10)
    assert result["std"] == pytest.approx(0.0, abs=1e-10)
    # subsets of a larger set: unbiased, so near 0 for one distribution
    a, b = _features(rng, 600, 8), _features(rng, 600, 8)
    same = kid(a[:300], a[300:], num_subsets=20, subset_size=100)
    shifted = kid(a, b + 0.5, num_subsets=20, subset_size=100)
    assert abs(same["mean"]) < 3 * same["std"] and shifted["mean"] > 10 * same["std"]
    assert kid(a, b, num_subsets=3, seed=3) == kid(a, b, num_subsets=3, seed=3)
    assert kid(a, b, num_subsets=3, seed=3) != kid(a, b, num_subsets=3, seed=4)


def test_maths_error_paths():
    with pytest.raises(DataError, match=r"shape \(d,\)"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(DataError, match="at least 2"):
        kid(np.zeros((1, 4)), np.zeros((5, 4)))
    with pytest.raises(DataError, match="one D"):
        frechet_distance_from_features(np.zeros((5, 4)), np.zeros((5, 3)))
    with pytest.raises(DataError, match="at least 2"):
        feature_statistics(np.zeros((1, 4)))


# -- the metrics with an injected extractor --------------------------------------------------
class CountingExtractor:
    """Deterministic 12-d features of NCHW RGB [0, 1] images; counts images seen."""

    def __init__(self):
        self.images = 0
        self.projection = np.random.default_rng(5).normal(size=(3 * 4 * 4, 12))

    def __call__(self, images):
        assert images.dtype == np.float32 and images.shape[1] == 3
        assert 0.0 <= images.min() and images.max() <= 1.0
        self.images += len(images)
        n, c, h, w = images.shape
        pooled = images.reshape(n, c, 4, h // 4, 4, w // 4).mean(axis=(3, 5))
        return np.tanh(pooled.reshape(n, -1) @ self.projection)


@pytest.fixture(scope="module")
def image_sets():
    rng = np.random.default_rng(7)
    real = rng.uniform(-1, 1, (24, 3, 16, 16)).astype("float32")
    fake = np.clip(real * 0.6 + rng.normal(0.2, 0.3, real.shape), -1, 1).astype("float32")
    return real, fake


def test_fid_metric_is_frechet_of_the_extracted_features(image_sets):
    real, fake = image_sets
    extractor = CountingExtractor()
    metric = metrics.FID(feature_extractor=extractor, batch_size=5)
    for start in range(0, 24, 8):  # three validation batches, as paddle tensors
        metric.update_visuals({"fake": paddle.to_tensor(fake[start:start + 8]),
                               "real": paddle.to_tensor(real[start:start + 8])})
    value = metric.accumulate()
    direct = CountingExtractor()
    to01 = lambda x: ((x + 1) / 2).astype("float32")
    expected = frechet_distance_from_features(direct(to01(fake)), direct(to01(real)))
    assert value == pytest.approx(expected, rel=1e-5) and value > 0.01
    assert extractor.images == metric.images_extracted == 48
    # uint8 NHWC images are read as 0..255 (and give the number of the rounded images)
    metric.reset()
    as_uint8 = lambda x: np.round((x.transpose(0, 2, 3, 1) + 1) * 127.5).astype(np.uint8)
    metric.update(as_uint8(fake), as_uint8(real))
    rounded = lambda x: (as_uint8(x).transpose(0, 3, 1, 2) / 255.0).astype("float32")
    expected = frechet_distance_from_features(direct(rounded(fake)), direct(rounded(real)))
    assert metric.accumulate() == pytest.approx(expected, rel=1e-5)
    assert expected != pytest.approx(value, rel=1e-4)


def test_real_statistics_are_cached_and_not_recomputed(tmp_path, image_sets):
    real, fake = image_sets
    stats_path = str(tmp_path / "real_stats.npz")
    first_extractor = CountingExtractor()
    first = metrics.FID(real_stats_path=stats_path, feature_extractor=first_extractor)
    first.update(fake, real)
    first_value = first.accumulate()
    assert first_extractor.images == 48 and os.path.isfile(stats_path)
    with np.load(stats_path) as stored:
        assert stored["features"].shape == (24, 12) and stored["sigma"].shape == (12, 12)
        assert int(stored["num_images"]) == 24

    # a new run (another process, say): only the generated images go through the net
    second_extractor = CountingExtractor()
    second = metrics.FID(real_stats_path=stats_path, feature_extractor=second_extractor)
    assert not second.wants_gt()
    second.update_visuals({"fake": fake})  # no ground truth needed any more
    assert second.accumulate() == first_value
    second.reset()
    second.update(fake, real)  # ground truth passed anyway is not extracted
    assert second.accumulate() == first_value
    assert second_extractor.images == 48  # 24 fakes, twice; no reals
    # the same pass keeps the cache after its first accumulate
    first.reset()
    first.update(fake, real)
    assert first.accumulate() == first_value and first_extractor.images == 72

    # KID reads the same file (it stores the features KID needs)
    kid_extractor = CountingExtractor()
    kid_metric = metrics.KID(real_stats_path=stats_path, feature_extractor=kid_extractor,
                             num_subsets=10, subset_size=24)
    kid_metric.update(fake)
    result = kid_metric.accumulate()
    to01 = lambda x: ((x + 1) / 2).astype("float32")
    direct = CountingExtractor()
    assert result["mean"] == pytest.approx(
        mmd2_unbiased(direct(to01(fake)), direct(to01(real)).astype("float32")), abs=1e-6)
    assert abs(result["mean"]) > 1e-4
    assert kid_extractor.images == 24


def test_cache_errors(tmp_path, image_sets):
    real, fake = image_sets
    stats_path = str(tmp_path / "stats.npz")
    metric = metrics.FID(real_stats_path=stats_path, feature_extractor=CountingExtractor())
    metric.update(fake, real)
    metric.accumulate()
    class OtherFeatures(metrics.FID):
        extractor_name = "other_net"

    with pytest.raises(ConfigError, match="holds inception_v3_pool3 statistics, OtherFeatures "
                                          "needs other_net"):
        OtherFeatures(real_stats_path=stats_path, feature_extractor=CountingExtractor())
    np.savez(tmp_path / "partial.npz", mu=np.zeros(3))
    with pytest.raises(DataError, match="lacks sigma, features, extractor; delete it"):
        metrics.FID(real_stats_path=str(tmp_path / "partial.npz"),
                    feature_extractor=CountingExtractor())
    (tmp_path / "junk.npz").write_bytes(b"not an npz")
    with pytest.raises(DataError, match="cannot be read"):
        metrics.FID(real_stats_path=str(tmp_path / "junk.npz"),
                    feature_extractor=CountingExtractor())
    wide = metrics.FID(real_stats_path=stats_path,
                       feature_extractor=lambda x: np.zeros((len(x), 5)))
    wide.update(fake)
    with pytest.raises(DataError, match="5-d but the real statistics are 12-d"):
        wide.accumulate()
    broken = metrics.FID(feature_extractor=lambda x: np.zeros((3, 12)))
    with pytest.raises(DataError, match=r"returned shape \[3, 12\] for 16 images"):
        broken.update(fake, real)
    with pytest.raises(ConfigError, match="feature_extractor must be a callable"):
        metrics.FID(feature_extractor="inception")
    too_few = metrics.FID(feature_extractor=CountingExtractor())
    too_few.update(fake[:1], real[:1])
    with pytest.raises(DataError, match="at least 2"):
        too_few.accumulate()


# -- InceptionV3 -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def inception_net():
    paddle.seed(0)
    net = inception.InceptionV3()
    net.eval()
    return net


def test_state_dict_has_paddlegans_names_and_size(inception_net):
    keys = list(inception_net.state_dict())
    assert keys[:7] == [
        "Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.weight", "Conv2d_1a_3x3.bn.bias",
        "Conv2d_1a_3x3.bn._mean", "Conv2d_1a_3x3.bn._variance",
        "Conv2d_2a_3x3.conv.weight", "Conv2d_2a_3x3.bn.weight"]
    assert keys[-6:] == [
        "Mixed_7c.branch3x3dbl_3b.bn._variance", "Mixed_7c.branch_pool.conv.weight",
        "Mixed_7c.branch_pool.bn.weight", "Mixed_7c.branch_pool.bn.bias",
        "Mixed_7c.branch_pool.bn._mean", "Mixed_7c.branch_pool.bn._variance"]
    for key in ("Mixed_5b.branch_pool.conv.weight", "Mixed_6a.branch3x3.bn._mean",
                "Mixed_6e.branch7x7dbl_5.conv.weight", "Mixed_7a.branch7x7x3_4.bn.weight",
                "Mixed_7b.branch3x3_2b.conv.weight"):
        assert key in keys
    assert len(keys) == 94 * 5  # 94 conv + BN units, no classifier, no aux head
    # torchvision's InceptionV3 has 27,161,264 trainable parameters; without its
    # 1000-way fc (2,049,000) and aux head (3,326,696): 21,785,568
    trainable = sum(int(np.prod(p.shape)) for p in inception_net.parameters() if p.trainable)
    assert trainable == 21_785_568
    state = inception_net.state_dict()
    assert list(state["Mixed_6b.branch7x7_2.conv.weight"].shape) == [128, 128, 1, 7]
    assert list(state["Mixed_7c.branch1x1.conv.weight"].shape) == [320, 2048, 1, 1]


def test_weights_load_from_a_pdparams_and_features_come_out(tmp_path, inception_net):
    path = str(tmp_path / "InceptionV3.pdparams")
    paddle.save(inception_net.state_dict(), path)
    loaded = inception.load_inception(str(tmp_path))  # a folder holding one .pdparams
    assert loaded is not inception_net and inception.load_inception(path) is loaded
    assert not loaded.training and all(p.stop_gradient for p in loaded.parameters())
    # the whole FID path on the loaded network (one per process: the metric reuses it)
    metric = metrics.FID(inception_weights=path, input_range=(0, 1))
    assert metric.extractor.net is loaded
    images = np.random.default_rng(0).uniform(0, 1, (2, 3, 64, 48)).astype("float32")
    metric.update(images, images[::-1])
    features = metric.fake_features[0]
    assert features.shape == (2, 2048) and features.min() >= 0 and features.max() > 0
    assert metric.accumulate() == pytest.approx(0.0, abs=1e-6)  # one set, reordered
    reference = inception.InceptionFeatures(net=inception_net)(images[:1])
    np.testing.assert_allclose(features[:1], reference, rtol=1e-5, atol=1e-6)


def test_legacy_bn_names_and_wrong_files(tmp_path):
    renamed = inception._normalise_keys({"Mixed_5b.branch1x1.bn.running_mean": 1,
                                         "Mixed_5b.branch1x1.bn.running_var": 2,
                                         "Mixed_5b.branch1x1.conv.weight": 3})
    assert renamed == {"Mixed_5b.branch1x1.bn._mean": 1, "Mixed_5b.branch1x1.bn._variance": 2,
                       "Mixed_5b.branch1x1.conv.weight": 3}
    partial = str(tmp_path / "partial.pdparams")
    paddle.save({"Conv2d_1a_3x3.conv.weight": paddle.zeros([32, 3, 3, 3])}, partial)

    class Tiny(paddle.nn.Layer):  # two of InceptionV3's names, one with a wrong shape
        def __init__(self):
            super().__init__()
            self.Conv2d_1a_3x3 = inception.ConvBN(3, 32, 3)

    with pytest.raises(WeightsNotFoundError, match=r"4 of 5 parameters missing, e.g. "
                                                   r"'Conv2d_1a_3x3.bn.weight'"):
        inception.load_inception_state(Tiny(), partial)
    paddle.save({k: paddle.zeros([1]) for k in Tiny().state_dict()}, partial)
    with pytest.raises(WeightsNotFoundError,
                       match=r"has shape \[1\], InceptionV3 needs \[32, 3, 3, 3\]"):
        inception.load_inception_state(Tiny(), partial)


def test_missing_weights_never_download(tmp_path, monkeypatch):
    monkeypatch.delenv(inception.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(inception, "DEFAULT_WEIGHTS", str(tmp_path / "nowhere.pdparams"))
    with pytest.raises(WeightsNotFoundError) as info:
        metrics.FID()
    message = str(info.value)
    assert "\n" not in message
    for part in ("InceptionV3.pdparams", "params_inceptionV3", "inception_weights=",
                 inception.WEIGHTS_ENV, str(tmp_path / "nowhere.pdparams")):
        assert part in message
    with pytest.raises(WeightsNotFoundError, match="missing.pdparams"):
        metrics.KID(inception_weights=str(tmp_path / "missing.pdparams"))
    weights = tmp_path / "weights" / "InceptionV3.pdparams"
    weights.parent.mkdir()
    weights.write_bytes(b"")
    monkeypatch.setenv(inception.WEIGHTS_ENV, str(weights))
    assert inception.find_inception_weights() == str(weights)
    assert inception.find_inception_weights(str(weights)[: -len(".pdparams")]) == str(weights)
    assert fid_module.FID.extractor_name == "inception_v3_pool3"
