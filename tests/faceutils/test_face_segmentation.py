import os

import cv2
import numpy as np
import pytest

from ppgan_lite.faceutils import composite_on_white, segment
from ppgan_lite.faceutils.segmentation import selfie_mask
from ppgan_lite.utils.errors import ConfigError, DataError, WeightsNotFoundError

REFERENCE = os.path.join(os.path.dirname(__file__), "data", "selfie_reference.npz")


def face_region(landmarks, shape):
    hull = cv2.convexHull(landmarks.astype(np.float32))[:, 0]
    region = np.zeros(shape, np.uint8)
    cv2.fillPoly(region, [np.round(hull).astype(np.int32)], 1)
    return region.astype(bool)


@pytest.mark.parametrize("variant", ["general", "landscape"])
def test_paddle_port_equals_litert_reference(astronaut, variant):
    """tools/convert_selfie_seg.py stored LiteRT's output on these exact inputs."""
    import paddle
    from ppgan_lite.faceutils.selfie_net import load_selfie_net

    rgb = astronaut[::2, ::2] if variant == "general" else astronaut[:288:2, ::2]
    with np.load(REFERENCE) as stored:
        expected = stored[variant]
    net = load_selfie_net(variant)
    x = paddle.to_tensor(rgb.transpose(2, 0, 1)[None].astype("float32") / 255.0)
    with paddle.no_grad():
        got = net(x).numpy()[0, 0]
    assert got.shape == expected.shape == rgb.shape[:2]
    assert np.abs(got - expected).max() < 1e-3
    assert 0.2 < expected.mean() < 0.8  # the reference is a real mask, not all 0 or 1


def test_selfie_mask_covers_face_and_leaves_corners(aligned_crop):
    crop, info = aligned_crop
    mask = segment(crop, info.landmarks)
    assert mask.shape == (256, 256) and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert mask[face_region(info.landmarks, mask.shape)].mean() > 0.97
    assert mask[:24, :24].mean() < 0.03 and mask[:24, -24:].mean() < 0.03
    assert mask[-10:, 100:156].mean() > 0.9  # neck and suit at the bottom centre


def test_selfie_options(aligned_crop):
    crop, _ = aligned_crop
    raw = selfie_mask(crop, models="general", ramp=None)
    ramped = selfie_mask(crop, models="general")
    assert np.allclose(ramped, np.clip((raw - 0.3) / 0.4, 0, 1), atol=1e-6)
    with pytest.raises(ConfigError, match="ramp"):
        selfie_mask(crop, ramp=(0.7, 0.3))


def test_grabcut_is_deterministic_and_plausible(aligned_crop):
    crop, info = aligned_crop
    first = segment(crop, info.landmarks, method="grabcut")
    second = segment(crop, info.landmarks, method="grabcut")
    assert np.array_equal(first, second)
    assert first.shape == (256, 256) and first.dtype == np.float32
    assert first[face_region(info.landmarks, first.shape)].mean() > 0.97
    assert first[:24, :24].mean() < 0.03 and first[:24, -24:].mean() < 0.03
    selfie = segment(crop, info.landmarks) > 0.5
    person = first > 0.5
    assert (person & selfie).sum() / (person | selfie).sum() > 0.85  # measured 0.92


def test_none_callable_and_bad_methods(aligned_crop):
    crop, info = aligned_crop
    assert (segment(crop, method="none") == 1).all()

    def half(rgb, landmarks):
        mask = np.zeros(rgb.shape[:2], np.uint8)
        mask[:, : rgb.shape[1] // 2] = 255
        return mask
    mask = segment(crop, info.landmarks, method=half)
    assert mask.dtype == np.float32 and mask[:, 0].min() == 1.0 and mask[:, -1].max() == 0.0
    with pytest.raises(DataError, match="shape"):
        segment(crop, method=lambda rgb, lm: np.ones((10, 10)))
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        segment(crop, method=lambda rgb, lm: np.full(rgb.shape[:2], 3.0))
    with pytest.raises(ConfigError, match="Did you mean 'selfie'"):
        segment(crop, method="selfy")
    with pytest.raises(ConfigError, match="landmarks"):
        segment(crop, method="grabcut")


def test_composite_on_white():
    rgb = np.full((8, 8, 3), 40, np.uint8)
    assert (composite_on_white(rgb, np.zeros((8, 8))) == 255).all()
    assert (composite_on_white(rgb, np.ones((8, 8))) == 40).all()
    half = composite_on_white(rgb, np.full((4, 4), 0.5))  # resized to fit
    assert half.shape == (8, 8, 3) and (half == 148).all()


def test_weights_are_small_and_checked(tmp_path):
    from ppgan_lite.faceutils.selfie_net import load_selfie_net, weights_path
    for variant in ("general", "landscape"):
        assert os.path.getsize(weights_path(variant)) < 300 * 1024
    with pytest.raises(WeightsNotFoundError, match="convert_selfie_seg"):
        load_selfie_net("general", path=str(tmp_path / "missing.npz"))
    np.savez(tmp_path / "partial.npz", **{"stem.weight": np.zeros((16, 3, 3, 3), np.float16)})
    with pytest.raises(WeightsNotFoundError, match="does not fit"):
        load_selfie_net("general", path=str(tmp_path / "partial.npz"))
    with pytest.raises(WeightsNotFoundError, match="unknown selfie model"):
        load_selfie_net("portrait")
