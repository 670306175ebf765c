import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)

from faceseg_weights import save_faceseg_weights


@pytest.fixture(scope="session")
def astronaut():
    from skimage import data
    return data.astronaut()


@pytest.fixture(scope="session")
def astronaut_faces(astronaut):
    from ppgan_lite.faceutils import detect_faces
    return detect_faces(astronaut, min_score=-0.5)


@pytest.fixture(scope="session")
def aligned_crop(astronaut, astronaut_faces):
    from ppgan_lite.faceutils import align_crop
    return align_crop(astronaut, astronaut_faces[0].landmarks, size=256)


@pytest.fixture(scope="session")
def faceseg_files(tmp_path_factory):
    """Two random FaceSegNets with soft masks (see tests/faceseg_weights.py)."""
    folder = tmp_path_factory.mktemp("faceseg")
    return [save_faceseg_weights(folder / f"faceseg_{seed}.pdparams", seed)
            for seed in (0, 1)]
