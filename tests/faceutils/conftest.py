import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)


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
