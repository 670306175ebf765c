import cv2
import numpy as np
import pytest

from ppgan_lite.faceutils import Face, best_face, detect_faces
from ppgan_lite.utils.errors import ConfigError, DataError, FaceNotFoundError


def centre(face):
    left, top, right, bottom = face.box
    return (left + right) / 2, (top + bottom) / 2


def test_astronaut_face_found_and_weak_suit_hit_not_chosen(astronaut_faces):
    best = astronaut_faces[0]
    left, top, right, bottom = best.box
    # measured: dlib HOG box (179, 83)-(267, 171), score 1.53
    assert 170 <= left <= 190 and 255 <= right <= 275
    assert 70 <= top <= 95 and 160 <= bottom <= 180
    assert best.score > 1.0 and best.upsample == 0
    assert best.landmarks.shape == (68, 2)
    # outer eye corners inside the box, left of each other, roughly level
    eye_l, eye_r = best.landmarks[36], best.landmarks[45]
    assert left < eye_l[0] < eye_r[0] < right and abs(eye_l[1] - eye_r[1]) < 8

    suit = [f for f in astronaut_faces if centre(f)[1] > 300]
    assert suit, "the weak hit on the suit is the case this ranking exists for"
    assert suit[0].score < 0.3 and best_face(astronaut_faces) is best
    largest = max(astronaut_faces, key=lambda f: f.width * f.height)
    assert largest is suit[0]  # PaddleGAN's "largest face" rule would pick the suit


def test_thirty_pixel_face_needs_upsampling(astronaut):
    small = cv2.resize(astronaut, None, fx=0.34, fy=0.34, interpolation=cv2.INTER_AREA)
    with pytest.raises(FaceNotFoundError):
        detect_faces(small, upsample=0)
    face = detect_faces(small)[0]
    assert face.upsample >= 1 and 25 <= face.width <= 42
    cx, cy = centre(face)
    assert abs(cx - 223 * 0.34) < 6 and abs(cy - 127 * 0.34) < 6


@pytest.mark.parametrize("kind", ["coffee", "gradient"])
def test_no_face_raises_one_line(kind):
    from skimage import data
    image = data.coffee() if kind == "coffee" else np.tile(
        np.linspace(0, 255, 300).astype(np.uint8)[None, :, None], (200, 1, 3))
    with pytest.raises(FaceNotFoundError) as err:
        detect_faces(image, name=f"{kind}.png")
    message = str(err.value)
    assert message.startswith(f"no face found in {kind}.png") and "\n" not in message


def test_too_small_face_names_its_size(astronaut):
    with pytest.raises(FaceNotFoundError, match=r"only 88 px wide"):
        detect_faces(astronaut, min_face_size=100)


def test_10000_px_photo_is_searched_on_a_copy(astronaut):
    canvas = np.full((2560, 10000, 3), 255, np.uint8)  # 77 MB, long side 10 000 px
    canvas[:, 3000:5560] = cv2.resize(astronaut, (2560, 2560), interpolation=cv2.INTER_LINEAR)
    face = detect_faces(canvas)[0]
    cx, cy = centre(face)
    assert abs(cx - (3000 + 5 * 223)) < 40 and abs(cy - 5 * 127) < 40
    assert 380 < face.width < 500
    # landmarks are fitted at full resolution: ~5x the 512 px photo's, within 2 px there
    expected = detect_faces(astronaut)[0].landmarks * 5 + [3000, 0]
    assert np.abs(face.landmarks - expected).max() < 5 * 2


def test_five_point_landmarks_and_cnn_detector(astronaut, astronaut_faces):
    five = detect_faces(astronaut, landmarks=5)[0]
    assert five.landmarks.shape == (5, 2)
    cnn = detect_faces(astronaut, detector="cnn")[0]
    a, b = np.array(cnn.box), np.array(astronaut_faces[0].box)
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter
    assert cnn.detector == "cnn" and inter / union > 0.6


def test_bad_arguments_are_named():
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(DataError, match="float32"):
        detect_faces(image.astype(np.float32))
    with pytest.raises(ConfigError, match="'hog' or 'cnn'"):
        detect_faces(image, detector="mtcnn")
    with pytest.raises(ConfigError, match="upsample"):
        detect_faces(image, upsample="more")
    with pytest.raises(ConfigError, match="lower max_side"):
        detect_faces(np.zeros((1600, 1600, 3), np.uint8), upsample=3)
    with pytest.raises(FaceNotFoundError, match="no face found in photo.jpg"):
        best_face([], name="photo.jpg")


def test_rank_weighs_size_by_confidence():
    landmarks = np.zeros((68, 2), np.float32)
    big_weak = Face((0, 0, 200, 200), 0.1, landmarks)
    small_sure = Face((0, 0, 60, 60), 1.4, landmarks)
    big_sure = Face((0, 0, 120, 120), 0.8, landmarks)
    assert best_face([big_weak, small_sure]) is small_sure
    assert best_face([big_weak, small_sure, big_sure]) is big_sure
