import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)

from apps_testutils import make_generator, save_checkpoint


@pytest.fixture(scope="session", autouse=True)
def empty_user_cache(tmp_path_factory):
    """What 'auto' segmentation picks depends on the user's cache (faceseg where its
    weights are there): the tests see an empty one unless they set their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PPGAN_LITE_CACHE", str(tmp_path_factory.mktemp("user_cache")))
        yield


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
