"""PaddleGAN's FCN-HRNetW18 person segmentation ('faceseg'). Its weights are not
in the repository: random nets stand in, so these tests check the structure, the
preprocessing, the loading and the errors, not the quality of the mask."""
import os

import cv2
import numpy as np
import pytest

from ppgan_lite.faceutils import faceseg_weights_path, segment
from ppgan_lite.faceutils.segmentation import load_faceseg
from ppgan_lite.utils.errors import WeightsNotFoundError

WEIGHTS_FILE = "faceseg_FCN-HRNetW18.pdparams"

# keys of PaddleGAN's FCN(num_classes=2, backbone=HRNet_W18()) state dict, as its
# hrnet.py / fcn.py / layers.py name them
PADDLEGAN_KEYS = {
    "backbone.conv_layer1_1._conv.weight": [64, 3, 3, 3],
    "backbone.conv_layer1_2._batch_norm._variance": [64],
    "backbone.la1.bb_layer2_1.conv_down._conv.weight": [256, 64, 1, 1],
    "backbone.la1.bb_layer2_4.conv3._batch_norm._mean": [256],
    "backbone.tr1.transition_tr1_layer_2._conv.weight": [36, 256, 3, 3],
    "backbone.tr2.transition_tr2_layer_3._conv.weight": [72, 36, 3, 3],
    "backbone.tr3.transition_tr3_layer_4._batch_norm.weight": [144],
    "backbone.st2.stage_st2_1.branches_func.bb_st2_1_branch_layer_2_4.conv2._conv.weight":
        [36, 36, 3, 3],
    "backbone.st3.stage_st3_4.fuse_func.residual_st3_4_layer_3_1_1._conv.weight":
        [18, 18, 3, 3],
    "backbone.st4.stage_st4_3.fuse_func.residual_st4_3_layer_1_4._conv.weight":
        [18, 144, 1, 1],
    "backbone.st4.stage_st4_3.fuse_func.residual_st4_3_layer_4_1_3._conv.weight":
        [144, 18, 3, 3],
    "head.conv_1._conv.bias": [270],
    "head.conv_1._batch_norm._mean": [270],
    "head.cls.weight": [2, 270, 1, 1],
    "head.cls.bias": [2],
}


def test_state_dict_has_paddlegans_keys_and_shapes():
    from ppgan_lite.faceutils.faceseg_net import FaceSegNet

    state = FaceSegNet().state_dict()
    # 305 conv-BNs in the backbone (5 tensors each), head 6 + 2
    assert len(state) == 1533
    assert sum(k.endswith("._batch_norm._variance") for k in state) == 306
    for key, shape in PADDLEGAN_KEYS.items():
        assert list(state[key].shape) == shape, key
    # branches whose width does not change pass through the transition: no conv
    assert not any("transition_tr2_layer_1" in k or "transition_tr3_layer_2" in k
                   for k in state)
    assert not any(k.startswith("backbone.conv_layer1_1._conv.bias") for k in state)


def test_random_weights_load_and_give_a_soft_mask(faceseg_files, aligned_crop):
    import paddle

    crop, info = aligned_crop
    mask = segment(crop, info.landmarks, method="faceseg", weight_path=faceseg_files[0])
    assert mask.shape == crop.shape[:2] and mask.dtype == np.float32
    assert 0.0 <= mask.min() and mask.max() <= 1.0
    assert 0.0 < mask.mean() < 1.0 and len(np.unique(mask)) > 100  # soft, not 0/1

    # PaddleGAN's input: RGB, INTER_AREA to 384x384, /255; the person softmax back
    net = load_faceseg(faceseg_files[0]).net
    x = cv2.resize(crop, (384, 384), interpolation=cv2.INTER_AREA)
    x = paddle.to_tensor(x.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
    with paddle.no_grad():
        logits = net(x).numpy()[0]
    person = np.exp(logits[1]) / np.exp(logits).sum(0)
    expected = cv2.resize(person, crop.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(mask, expected, atol=1e-5)

    # the weights are used: another file, another mask; one load per file
    other = segment(crop, method="faceseg", weight_path=faceseg_files[1])
    assert np.abs(other - mask).mean() > 0.01
    assert load_faceseg(faceseg_files[0]) is load_faceseg(faceseg_files[0])


def test_weights_of_another_net_are_one_line_naming_keys(tmp_path, aligned_crop,
                                                         faceseg_files):
    import paddle

    crop, _ = aligned_crop
    path = str(tmp_path / "not_faceseg.pdparams")
    paddle.save({"conv1.weight": paddle.zeros([8, 3, 3, 3])}, path)
    with pytest.raises(WeightsNotFoundError) as info:
        segment(crop, method="faceseg", weight_path=path)
    message = str(info.value)
    assert "\n" not in message and path in message
    assert "1533 of the net's 1533 keys missing, e.g. 'backbone.conv_layer1_1._conv" in message
    assert "1 unexpected, e.g. 'conv1.weight'" in message

    # a three-class head: the shapes are named
    from ppgan_lite.utils.checkpoint import load_weights

    state = load_weights(faceseg_files[0])[""]
    state["head.cls.weight"] = np.zeros([3, 270, 1, 1], np.float32)
    state["head.cls.bias"] = np.zeros([3], np.float32)
    paddle.save(state, path)
    with pytest.raises(WeightsNotFoundError, match=r"2 of another shape, e\.g\. "
                       r"'head\.cls\.weight' is \[3, 270, 1, 1\], not \[2, 270, 1, 1\]"):
        load_faceseg(path)

    nested = str(tmp_path / "nets.pdparams")
    paddle.save({"genA2B": {"w": paddle.zeros([1])}, "genB2A": {"w": paddle.zeros([1])}},
                nested)
    with pytest.raises(WeightsNotFoundError, match="holds the nets genA2B, genB2A"):
        load_faceseg(nested)


def test_missing_weights_say_where_to_put_them(tmp_path, monkeypatch, aligned_crop):
    crop, _ = aligned_crop
    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsNotFoundError) as info:
        segment(crop, method="faceseg")
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "cache" / "photo2cartoon" / WEIGHTS_FILE) in message
    assert "$PPGAN_LITE_CACHE" in message and "'selfie'" in message

    with pytest.raises(WeightsNotFoundError, match="nope.pdparams' does not exist"):
        segment(crop, method="faceseg", weight_path=str(tmp_path / "nope.pdparams"))


def test_weights_path_honours_the_cache_variable(tmp_path, monkeypatch, faceseg_files):
    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "cache"))
    assert faceseg_weights_path() is None
    cached = tmp_path / "cache" / "photo2cartoon" / WEIGHTS_FILE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(open(faceseg_files[0], "rb").read())
    assert faceseg_weights_path() == str(cached)
    assert faceseg_weights_path(faceseg_files[1]) == faceseg_files[1]
    assert faceseg_weights_path(str(tmp_path / "nope.pdparams")) is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert faceseg_weights_path(os.path.join("~", "cache", "photo2cartoon", WEIGHTS_FILE)) \
        == str(cached)
