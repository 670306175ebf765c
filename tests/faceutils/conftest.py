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


@pytest.fixture(scope="session")
def faceseg_files(tmp_path_factory):
    """Two randomly initialised FaceSegNets saved as PaddleGAN saves its
    faceseg_FCN-HRNetW18.pdparams (paddle.save of the state dict). A random HRNet's
    features reach ~1e9 (its batch norms have never seen data), so the head's batch
    norm gets a variance to match: logits of a few units, soft masks."""
    import paddle

    from ppgan_lite.faceutils.faceseg_net import FaceSegNet

    folder = tmp_path_factory.mktemp("faceseg")
    paths = []
    for seed in (0, 1):
        paddle.seed(seed)
        state = FaceSegNet().state_dict()
        state["head.conv_1._batch_norm._variance"] = paddle.full([270], 1e18)
        paths.append(str(folder / f"faceseg_{seed}.pdparams"))
        paddle.save(state, paths[-1])
    return paths
