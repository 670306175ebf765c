import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)

from apps_testutils import make_generator, save_checkpoint


@pytest.fixture(scope="session")
def astronaut():
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def small_net():
    return make_generator()


@pytest.fixture(scope="session")
def small_checkpoint(tmp_path_factory, small_net):
    return save_checkpoint(tmp_path_factory.mktemp("weights") / "iter_00000010.ckpt.npz",
                           small_net)


@pytest.fixture(scope="session")
def predictor(small_checkpoint):
    """Writes nothing; tests that write files build their own with an output_path."""
    from ppgan_lite.apps import Photo2CartoonPredictor

    return Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint,
                                  backend="dynamic")
