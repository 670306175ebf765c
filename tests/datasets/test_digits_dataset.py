import numpy as np
import pytest

from ppgan_lite.datasets.digits import DigitsDataset
from ppgan_lite.utils.errors import ConfigError


def test_rendered_digits_are_labelled_deterministic_and_varied():
    ds = DigitsDataset(size=32, per_class=20, seed=3)
    assert len(ds) == 200 and ds.classes == [str(d) for d in range(10)]
    assert np.bincount(ds.labels).tolist() == [20] * 10
    item = ds[25]
    assert item["A"].shape == (1, 32, 32) and item["label"] == 1
    assert item["A"].min() >= -1 and item["A"].max() <= 1
    again = DigitsDataset(size=32, per_class=20, seed=3)
    np.testing.assert_array_equal(ds.images, again.images)
    ones = ds.images[ds.labels == 1].astype(float)
    assert ones.std(axis=0).mean() > 10  # fonts, slants and positions differ
    # a digit's ink differs between classes more than a class's mean differs from itself
    mean0, mean1 = ds.images[:20].mean(0), ds.images[20:40].mean(0)
    assert np.abs(mean0 - mean1).mean() > 5


def test_bad_arguments():
    with pytest.raises(ConfigError):
        DigitsDataset(per_class=0)
    with pytest.raises(ConfigError):
        DigitsDataset(channels=2)
