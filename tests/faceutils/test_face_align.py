import cv2
import numpy as np
import pytest

from ppgan_lite.faceutils import align_crop, detect_faces
from ppgan_lite.utils.errors import ConfigError, DataError


def rotated(image, degrees):
    """``image`` turned counter-clockwise on screen, grey outside."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderValue=(128, 128, 128))


def test_native_crop_has_paddlegan_size(astronaut, astronaut_faces):
    crop, info = align_crop(astronaut, astronaut_faces[0].landmarks)
    # PaddleGAN's align_crop gives a 189x189 crop on this photo (checked against
    # its code); the face is tilted by ~2.9 degrees.
    assert crop.shape == (189, 189, 3) and crop.dtype == np.uint8
    assert info.side == 189 and info.scale == 1.0
    assert 2.0 < info.angle < 3.5


@pytest.mark.parametrize("degrees", [12, -20])
def test_eyes_level_after_alignment(astronaut, degrees):
    photo = rotated(astronaut, degrees)
    face = detect_faces(photo)[0]
    crop, info = align_crop(photo, face.landmarks, size=256)
    assert crop.shape == (256, 256, 3)
    eye_l, eye_r = info.landmarks[36], info.landmarks[45]
    assert abs(eye_l[1] - eye_r[1]) < 0.5
    assert abs(info.angle - (2.9 - degrees)) < 2.0  # undoes the turn we applied
    # the face sits where PaddleGAN's margins put it: eyes ~45% down, centred
    assert 0.38 < eye_l[1] / 256 < 0.52 and abs((eye_l[0] + eye_r[0]) / 2 - 128) < 12


def test_outside_the_photo_is_white(astronaut):
    corner = astronaut[70:, 170:]  # the head touches the top and left edges
    face = detect_faces(corner)[0]
    crop, _ = align_crop(corner, face.landmarks)
    assert (crop[:5] == 255).all()            # above the photo
    assert (crop[:, :3] == 255).all()         # left of the photo
    assert crop.shape[0] == crop.shape[1]


def test_transform_round_trips_and_pastes_back(astronaut):
    photo = rotated(astronaut, 12)
    face = detect_faces(photo)[0]
    crop, info = align_crop(photo, face.landmarks, size=256)
    assert np.allclose(info.to_crop(face.landmarks), info.landmarks, atol=1e-6)
    assert np.allclose(info.to_source(info.landmarks), face.landmarks, atol=1e-3)
    pasted = info.paste_back(photo, crop)
    left, top, right, bottom = (int(v) for v in face.box)
    inside = np.abs(pasted[top:bottom, left:right].astype(int) - photo[top:bottom, left:right])
    assert inside.mean() < 4  # the crop lands back on the face
    assert np.array_equal(pasted[-20:], photo[-20:])  # far from the crop: untouched
    painted = info.paste_back(photo, np.zeros_like(crop))
    assert painted[top:bottom, left:right].mean() < 5


def test_big_faces_are_shrunk_in_two_steps(astronaut, astronaut_faces):
    huge = cv2.resize(astronaut, (2048, 2048), interpolation=cv2.INTER_LINEAR)
    crop, info = align_crop(huge, astronaut_faces[0].landmarks * 4, size=128)
    assert crop.shape == (128, 128, 3) and abs(info.scale - 128 / info.side) < 1e-9
    eye_l, eye_r = info.landmarks[36], info.landmarks[45]
    assert abs(eye_l[1] - eye_r[1]) < 0.5


def test_bad_inputs(astronaut, astronaut_faces):
    with pytest.raises(ConfigError, match="68"):
        align_crop(astronaut, astronaut_faces[0].landmarks[:5])
    with pytest.raises(DataError):
        align_crop(astronaut.astype(np.float32), astronaut_faces[0].landmarks)
    gray, _ = align_crop(astronaut[:, :, 0], astronaut_faces[0].landmarks, size=64)
    assert gray.shape == (64, 64, 3)
