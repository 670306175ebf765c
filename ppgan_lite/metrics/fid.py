"""FID and KID on InceptionV3 pool3 features, with cached real-image statistics.

* FID (Heusel et al. 2017): ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`` with
  the sample mean and (unbiased) covariance of each feature set, as PaddleGAN and
  pytorch-fid compute them. ``tr((S1 S2)^(1/2))`` is taken as the sum of square roots
  of the eigenvalues of the symmetric ``S1^(1/2) S2 S1^(1/2)`` (same eigenvalues as
  ``S1 S2``): exact for the singular covariances of small sets, where
  ``scipy.linalg.sqrtm`` returns complex noise, and ~3x faster at 2048-d (26 s
  against 76 s on a busy 2-core machine). With fewer images than dimensions the metrics work in the
  n1 x n2 space instead (``frechet_distance_from_features``: milliseconds).
* KID (Binkowski et al. 2018): the unbiased MMD^2 estimate with the cubic kernel
  ``k(x, y) = (x.y / d + 1)^3``, averaged over ``num_subsets`` random subsets of
  ``subset_size`` features drawn without replacement from each set (the paper's
  100 x 1000, shrunk to the smaller set). Reported as mean and std over subsets.

``real_stats_path``: an ``.npz`` with the real images' ``mu``, ``sigma`` and
``features`` (what KID needs), written at the first ``accumulate()`` from the
ground-truth images and read instead of them from then on (the ground truth is not
passed through the network again). Delete it when the real images change.
"""
import os

import numpy as np

from ..utils.fileio import atomic_write
from ..utils.errors import ConfigError, DataError, check_positive_int
from ..utils.registry import METRICS
from .base import Metric, to_numpy, to_rgb
from .inception import InceptionFeatures


# -- the maths --------------------------------------------------------------------------
def _sqrt_psd(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1 = np.atleast_2d(sigma1).astype(np.float64)
    sigma2 = np.atleast_2d(sigma2).astype(np.float64)
    dim = mu1.shape[0]
    if mu1.shape != (dim,) or mu2.shape != (dim,) or sigma1.shape != (dim, dim) \
            or sigma2.shape != (dim, dim):
        raise DataError(f"frechet_distance needs mu1, mu2 of shape (d,) and sigma1, sigma2 of "
                        f"(d, d); got {list(mu1.shape)}, {list(sigma1.shape)}, "
                        f"{list(mu2.shape)}, {list(sigma2.shape)}")
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt
    return float(max(value, 0.0))  # >= 0 by definition; rounding can dip below


def frechet_distance_from_features(feats1, feats2):
    """``frechet_distance`` of the two feature sets' statistics, computed without a
    d x d matrix root when a set has fewer vectors than dimensions (a validation set
    of a few hundred images against 2048-d features): with A = centred features /
    sqrt(n - 1), S = A^T A, and the non-zero eigenvalues of S1 S2 are the squared
    singular values of the n1 x n2 matrix A1 A2^T, so tr((S1 S2)^(1/2)) is their sum."""
    x, y = _feature_pair(feats1, feats2, "frechet_distance_from_features")
    if min(len(x), len(y)) >= x.shape[1]:
        return frechet_distance(*feature_statistics(x), *feature_statistics(y))
    a = (x - x.mean(axis=0)) / np.sqrt(len(x) - 1)
    b = (y - y.mean(axis=0)) / np.sqrt(len(y) - 1)
    trace_sqrt = np.linalg.svd(a @ b.T, compute_uv=False).sum()
    diff = x.mean(axis=0) - y.mean(axis=0)
    value = diff @ diff + (a * a).sum() + (b * b).sum() - 2.0 * trace_sqrt
    return float(max(value, 0.0))


def feature_statistics(features):
    """(mu, sigma) of (N, D) features: mean and unbiased covariance (N - 1)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise DataError(f"statistics need at least 2 feature vectors (N, D), got shape "
                        f"{list(features.shape)}: validate on more images")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _feature_pair(feats1, feats2, owner):
    x = np.asarray(feats1, dtype=np.float64)
    y = np.asarray(feats2, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise DataError(f"{owner} needs two (N, D) feature sets of one D, got "
                        f"{list(x.shape)} and {list(y.shape)}")
    if min(len(x), len(y)) < 2:
        raise DataError(f"{owner} needs at least 2 images in each set, got {len(x)} and "
                        f"{len(y)}: validate on more images")
    return x, y


def _polynomial_kernel(x, y):
    k = x @ y.T / x.shape[1] + 1.0
    return k * k * k  # ~5x faster than ** 3


def mmd2_unbiased(x, y):
    """Unbiased MMD^2 of two equal-size samples with the cubic polynomial kernel."""
    m = len(x)
    k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return within - 2.0 * k_xy.sum() / (m * m)


def kid(feats1, feats2, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance of two (N, D) feature sets: {'mean', 'std'} of the
    unbiased MMD^2 over ``num_subsets`` subsets (see module docstring)."""
    x, y = _feature_pair(feats1, feats2, "kid")
    size = min(check_positive_int(subset_size, "kid subset_size", 2), len(x), len(y))
    rng = np.random.default_rng(seed)
    values = np.array([mmd2_unbiased(x[rng.choice(len(x), size, replace=False)],
                                     y[rng.choice(len(y), size, replace=False)])
                       for _ in range(check_positive_int(num_subsets, "kid num_subsets"))])
    return {"mean": float(values.mean()), "std": float(values.std())}


# -- the metrics ------------------------------------------------------------------------
class FeatureDistributionMetric(Metric):
    """Compares the feature distribution of all ``pred_key`` images of a pass with
    that of the ``gt_key`` images (or of the cached real statistics).

    Subclasses set ``extractor_name`` and ``_build_extractor()``: a callable taking
    NCHW RGB float32 images in [0, 1] and returning (N, D) features.
    """

    extractor_name = None

    def __init__(self, real_stats_path=None, batch_size=16, feature_extractor=None,
                 pred_key="fake", gt_key="real", input_range=(-1, 1)):
        self.batch_size = check_positive_int(batch_size, f"{type(self).__name__}.batch_size")
        self.real_stats_path = os.fspath(real_stats_path) if real_stats_path else None
        self.real_stats = None
        self.images_extracted = 0  # images passed through the network, for logs and tests
        if self.real_stats_path and os.path.isfile(self.real_stats_path):
            self.real_stats = self._load_real_stats(self.real_stats_path)
        if feature_extractor is not None and not callable(feature_extractor):
            raise ConfigError(f"{type(self).__name__}.feature_extractor must be a callable "
                              f"images -> (N, D), got {feature_extractor!r}")
        self.extractor = feature_extractor or self._build_extractor()
        super().__init__(pred_key, gt_key, input_range)

    def _build_extractor(self):
        raise NotImplementedError

    # -- collecting -------------------------------------------------------------------
    def reset(self):
        self.fake_features, self.real_features = [], []
        self._pass_real_stats = None  # computed from this pass's gts (no cache file)

    def wants_gt(self):
        return self.real_stats is None

    def update(self, preds, gts=None):
        self.fake_features.append(self.extract(self._images(preds, "preds")))
        if self.real_stats is None:
            self._require_gts(gts)
            self.real_features.append(self.extract(self._images(gts, "gts")))
            self._pass_real_stats = None

    def extract(self, images_nhwc_255):
        """(N, D) float64 features of NHWC [0, 255] images, in batches."""
        images = to_rgb(images_nhwc_255).transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        chunks = []
        for start in range(0, len(images), self.batch_size):
            batch = images[start:start + self.batch_size]
            features = to_numpy(self.extractor(batch), "features").astype(np.float64)
            if features.ndim != 2 or len(features) != len(batch):
                raise DataError(f"{type(self).__name__}'s feature extractor returned shape "
                                f"{list(features.shape)} for {len(batch)} images; it must "
                                f"return (N, D)")
            chunks.append(features)
            self.images_extracted += len(batch)
        return np.concatenate(chunks)

    # -- real statistics ----------------------------------------------------------------
    def _load_real_stats(self, path):
        try:
            with np.load(path, allow_pickle=False) as data:
                stats = {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            raise DataError(f"real_stats_path {path} cannot be read ({exc}); delete it "
                            f"to recompute it from the real images") from None
        missing = [k for k in ("mu", "sigma", "features", "extractor") if k not in stats]
        if missing:
            raise DataError(f"real_stats_path {path} lacks {', '.join(missing)}; delete it "
                            f"to recompute it from the real images")
        if str(stats["extractor"]) != self.extractor_name:
            raise ConfigError(f"real_stats_path {path} holds {stats['extractor']} statistics, "
                              f"{type(self).__name__} needs {self.extractor_name}: use "
                              f"another file name")
        return stats

    def _real_statistics(self):
        """The real stats: cached, else computed from this pass's gts (and cached)."""
        if self.real_stats is not None:
            return self.real_stats
        if self._pass_real_stats is not None:
            return self._pass_real_stats
        if not self.real_features:
            raise DataError(f"{type(self).__name__}.accumulate() before any update: the "
                            f"validation set gave no images")
        # stored as float32; the statistics come from the stored values so a run that
        # reads the cache gives the very same number as the run that wrote it
        features = np.concatenate(self.real_features).astype(np.float32)
        mu, sigma = feature_statistics(features)
        stats = {"mu": mu, "sigma": sigma, "features": features,
                 "extractor": np.array(self.extractor_name),
                 "num_images": np.array(len(features))}
        if self.real_stats_path:
            atomic_write(self.real_stats_path, lambda f: np.savez(f, **stats))
            self.real_stats = stats
        self._pass_real_stats = stats
        return stats

    def _fake(self):
        if not self.fake_features:
            raise DataError(f"{type(self).__name__}.accumulate() before any update: the "
                            f"validation set gave no images")
        fake = np.concatenate(self.fake_features)
        real_dim = self._real_statistics()["mu"].shape[0]
        if fake.shape[1] != real_dim:
            raise DataError(f"{type(self).__name__}: generated features are {fake.shape[1]}-d "
                            f"but the real statistics are {real_dim}-d ({self.real_stats_path}); "
                            f"delete the stale real_stats_path file")
        return fake

    def frechet(self):
        """Fréchet distance of this pass's generated features to the real ones."""
        fake = self._fake()
        real = self._real_statistics()
        if min(len(fake), len(real["features"])) < fake.shape[1]:
            return frechet_distance_from_features(fake, real["features"])
        return frechet_distance(*feature_statistics(fake), real["mu"], real["sigma"])


@METRICS.register()
class FID(FeatureDistributionMetric):
    """Fréchet Inception Distance of ``pred_key`` images to ``gt_key`` images.

    Args:
        inception_weights: PaddleGAN's InceptionV3 ``.pdparams`` (default
            ``$PPGAN_LITE_INCEPTION_WEIGHTS`` or ~/.cache/ppgan_lite/InceptionV3.pdparams);
            never downloaded.
        real_stats_path: ``.npz`` cache of the real images' statistics (module docstring).
        batch_size: images per network call.
        feature_extractor: instead of InceptionV3, any callable NCHW RGB float32
            [0, 1] -> (N, D) (tests; other feature spaces).
    FID of fewer than ~2048 images is biased upwards: compare numbers from equal set sizes.
    """

    extractor_name = "inception_v3_pool3"

    def __init__(self, inception_weights=None, real_stats_path=None, batch_size=16,
                 feature_extractor=None, pred_key="fake", gt_key="real", input_range=(-1, 1)):
        self.inception_weights = inception_weights
        super().__init__(real_stats_path, batch_size, feature_extractor, pred_key, gt_key,
                         input_range)

    def _build_extractor(self):
        return InceptionFeatures(self.inception_weights)

    def accumulate(self):
        return self.frechet()


@METRICS.register()
class KID(FID):
    """Kernel Inception Distance (module docstring): {'mean': ..., 'std': ...}.

    Args as FID, plus ``num_subsets``, ``subset_size`` and ``seed`` of the subset draw.
    """

    def __init__(self, inception_weights=None, real_stats_path=None, batch_size=16,
                 num_subsets=100, subset_size=1000, seed=0, feature_extractor=None,
                 pred_key="fake", gt_key="real", input_range=(-1, 1)):
        self.num_subsets = check_positive_int(num_subsets, "KID.num_subsets")
        self.subset_size = check_positive_int(subset_size, "KID.subset_size", 2)
        self.seed = seed
        super().__init__(inception_weights, real_stats_path, batch_size, feature_extractor,
                         pred_key, gt_key, input_range)

    def accumulate(self):
        fake = self._fake()
        real = self._real_statistics()["features"]
        return kid(fake, real, self.num_subsets, self.subset_size, self.seed)
