import logging
import os
import re

import cv2
import numpy as np
import pytest

from ppgan_lite.apps import Photo2CartoonPredictor
from ppgan_lite.utils.errors import (ConfigError, DataError, FaceNotFoundError, ImageReadError,
                                     WeightsNotFoundError)
from ppgan_lite.utils.image_io import read_image

from apps_testutils import (jpeg_bytes, make_generator, png_header_only, run_net,
                            save_checkpoint, to_net_input, to_uint8_image)
from faceseg_weights import save_faceseg_weights

# skimage's astronaut: dlib's box of her face at native size
FACE_CENTRE = (223, 127)


# ------------------------------------------------------------------ the pipeline
def test_astronaut_end_to_end_writes_paddlegan_outputs(tmp_path, small_checkpoint, astronaut):
    p = Photo2CartoonPredictor(output_path=str(tmp_path / "out"), weight_path=small_checkpoint,
                               backend="dynamic")
    cartoon = p.run(astronaut)
    result = p.results[0]

    assert cartoon.shape == (256, 256, 3) and cartoon.dtype == np.uint8
    left, top, right, bottom = result.face.box
    assert abs((left + right) / 2 - FACE_CENTRE[0]) < 15
    assert abs((top + bottom) / 2 - FACE_CENTRE[1]) < 15
    assert 70 < right - left < 110
    assert result.photo.shape == (256, 256, 3) and result.photo.dtype == np.uint8
    # the eyes are level in the crop and sit in its upper middle (PaddleGAN's margins)
    eyes = result.align.landmarks[[36, 45]]
    assert abs(eyes[0, 1] - eyes[1, 1]) < 1.0
    assert 90 < eyes[:, 1].mean() < 150 and abs(eyes[:, 0].mean() - 128) < 20

    # the soft mask covers the face and leaves the corners to the white background
    hull = np.zeros((256, 256), np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(result.align.landmarks.astype(np.int32)), 1)
    hull = cv2.erode(hull, np.ones((9, 9), np.uint8))  # the jaw line itself may be soft
    assert hull.sum() > 3000
    assert result.mask[hull > 0].mean() > 0.97 and result.mask[hull > 0].min() > 0.5
    x0, y0 = result.align.landmarks.min(0).astype(int)
    x1, y1 = result.align.landmarks.max(0).astype(int)
    for corner in (result.mask[:12, :12], result.mask[:12, -12:]):
        assert corner.max() < 0.05
    assert (cartoon[:12, :12] >= 250).all() and (cartoon[:12, -12:] >= 250).all()
    assert cartoon[y0:y1, x0:x1].std() > 5  # the generator's output, not white

    out = sorted(os.listdir(tmp_path / "out"))
    assert out == ["p2c_cartoon.png", "p2c_photo.png"]
    np.testing.assert_array_equal(read_image(str(tmp_path / "out" / "p2c_cartoon.png")), cartoon)
    np.testing.assert_array_equal(read_image(str(tmp_path / "out" / "p2c_photo.png")),
                                  result.photo)
    assert {"read", "detect", "align", "segment", "generate", "write"} <= set(p.timings)
    assert all(t >= 0 for t in p.timings.values())


def test_generator_sees_the_face_on_white_and_its_output_is_composited(
        predictor, small_net, astronaut):
    """seg='none' and output_size = img_size: the cartoon is exactly genA2B(crop)."""
    p = Photo2CartoonPredictor(output_path=None, weight_path=predictor.weight_source,
                              
                               output_size=64, seg="none", backend="dynamic")
    cartoon = p.run(astronaut)
    photo = p.results[0].photo
    assert photo.shape == (64, 64, 3)
    expected = to_uint8_image(run_net(small_net, to_net_input(photo)))
    inside = p.results[0].mask > 0.999
    assert inside.mean() > 0.9  # the astronaut's crop lies inside the photo
    diff = np.abs(cartoon.astype(int) - expected.astype(int))[inside]
    assert diff.max() <= 1


def test_white_padding_stays_white_whatever_the_mask(predictor, astronaut):
    """Face near the top edge: the crop is padded with white above it, and even an
    all-ones mask cannot paint the generator's output there."""
    photo = np.ascontiguousarray(astronaut[60:, :])
    p = Photo2CartoonPredictor(output_path=None, weight_path=predictor.weight_source,
                               seg="none", backend="dynamic")
    cartoon = p.run(photo)
    result = p.results[0]
    padded = (result.photo == 255).all(axis=2)
    top_rows = padded[:8]
    assert top_rows.mean() > 0.9  # the crop reaches above the photo
    assert (cartoon[:8][top_rows] == 255).all()
    assert result.mask[:8][top_rows].max() < 0.01
    assert result.mask[200:].min() > 0.99  # inside the photo 'none' keeps everything


def test_output_size_and_no_files_without_output_path(predictor, astronaut, tmp_path,
                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = Photo2CartoonPredictor(output_path=None, weight_path=predictor.weight_source,
                               output_size=160, backend="dynamic")
    cartoon = p.run(astronaut)
    assert cartoon.shape == (160, 160, 3)
    assert p.results[0].photo.shape == (160, 160, 3)
    assert p.results[0].mask.shape == (160, 160)
    assert os.listdir(tmp_path) == []
    assert "write" not in p.timings


def test_warmup_runs_once_and_writes_nothing(small_checkpoint, tmp_path):
    p = Photo2CartoonPredictor(output_path=str(tmp_path / "out"),
                               weight_path=small_checkpoint, backend="dynamic")
    assert p.warmup() is p
    assert p.output_path == str(tmp_path / "out") and not (tmp_path / "out").exists()
    assert p.results[0].cartoon.shape == (256, 256, 3) and "generate" in p.timings


def test_all_faces_returns_a_list_and_suffixes_files(predictor, astronaut, tmp_path):
    two = np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)
    p = Photo2CartoonPredictor(output_path=str(tmp_path), weight_path=predictor.weight_source,
                               all_faces=True, backend="dynamic")
    cartoons = p.run(two)
    assert isinstance(cartoons, list) and len(cartoons) == 2
    centres = sorted((r.face.box[0] + r.face.box[2]) / 2 for r in p.results)
    assert abs(centres[0] - FACE_CENTRE[0]) < 15
    assert abs(centres[1] - (1024 - FACE_CENTRE[0])) < 15
    assert sorted(os.listdir(tmp_path)) == ["p2c_cartoon_0.png", "p2c_cartoon_1.png",
                                            "p2c_photo_0.png", "p2c_photo_1.png"]


def test_profile_prints_stage_times(predictor, astronaut, capsys):
    predictor.profile = True
    try:
        predictor.run(astronaut)
    finally:
        predictor.profile = False
    line = capsys.readouterr().out.strip()
    for stage in ("detect", "align", "segment", "generate"):
        assert f"{stage} " in line
    assert line.count(" s") >= 4


# ------------------------------------------------------------------ inputs that just work
def test_rgba_gray_exif_rotated_and_array_inputs(predictor, astronaut, tmp_path):
    from PIL import Image

    reference = predictor.run(astronaut).astype(int)

    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    assert np.abs(predictor.run(str(tmp_path / "rgba.png")).astype(int) - reference).max() <= 1

    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    cartoon = predictor.run(gray)
    assert cartoon.shape == (256, 256, 3)
    assert abs(np.mean(predictor.results[0].face.box[::2]) - FACE_CENTRE[0]) < 15

    # stored sideways with EXIF orientation 6 ("rotate 90 clockwise to view")
    exif = Image.Exif()
    exif[0x0112] = 6
    (tmp_path / "rotated.jpg").write_bytes(jpeg_bytes(np.rot90(astronaut).copy(), exif=exif))
    predictor.run(str(tmp_path / "rotated.jpg"))
    box = predictor.results[0].face.box
    assert abs((box[0] + box[2]) / 2 - FACE_CENTRE[0]) < 15

    assert predictor.run(Image.fromarray(astronaut)).shape == (256, 256, 3)


def test_large_photo_is_searched_on_a_bounded_copy(predictor, astronaut):
    big = cv2.resize(astronaut, (3000, 3000), interpolation=cv2.INTER_LINEAR)
    predictor.run(big)
    box = predictor.results[0].face.box
    scale = 3000 / 512
    assert abs((box[0] + box[2]) / 2 - FACE_CENTRE[0] * scale) < 15 * scale
    assert predictor.timings["detect"] < 3.0


# ------------------------------------------------------------------ bad inputs
def test_not_an_image_and_truncated_files(predictor, astronaut, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("these are not pixels")
    with pytest.raises(ImageReadError, match="notes.jpg"):
        predictor.run(str(text))

    data = jpeg_bytes(astronaut)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.jpg"):
        predictor.run(str(cut))

    with pytest.raises(ImageReadError, match="no such file"):
        predictor.run(str(tmp_path / "missing.png"))
    with pytest.raises(ImageReadError, match="it is a folder, not an image file"):
        predictor.run(str(tmp_path))

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(20000, 20000))
    with pytest.raises(ImageReadError, match="20000x20000"):
        predictor.run(str(bomb))


def test_no_face_and_too_small_face(predictor, astronaut):
    from skimage import data

    coffee = cv2.resize(data.coffee(), (300, 200), interpolation=cv2.INTER_AREA)
    with pytest.raises(FaceNotFoundError, match="no face"):
        predictor.run(coffee)
    tiny = cv2.resize(astronaut, (96, 96), interpolation=cv2.INTER_AREA)  # face ~17 px
    with pytest.raises(FaceNotFoundError) as info:
        predictor.run(tiny)
    assert "\n" not in str(info.value) and "px" in str(info.value)
    for side in (1, 3):  # the image itself is too small, and the message says so
        with pytest.raises(DataError) as info:
            predictor.run(np.zeros((side, side, 3), np.uint8))
        assert f"only {side}x{side} px: too small" in str(info.value)


def test_small_face_is_cartooned_with_a_warning(predictor, astronaut, caplog):
    """A 160 px photo's 33 px face: cartooned (PaddleGAN does too), with one line
    saying the result will be soft."""
    small = cv2.resize(astronaut, (160, 160), interpolation=cv2.INTER_AREA)
    with caplog.at_level(logging.WARNING, logger="ppgan_lite.apps"):
        cartoon = predictor.run(small)
    assert cartoon.shape == (256, 256, 3)
    warnings = [r.getMessage() for r in caplog.records if "will be soft" in r.getMessage()]
    assert len(warnings) == 1 and "33 px wide" in warnings[0]


def test_segmentation_options(predictor, astronaut):
    with pytest.raises(ConfigError, match="Did you mean 'selfie'"):
        Photo2CartoonPredictor(output_path=None, weight_path=predictor.weight_source,
                               seg="selfy")
    nobody = Photo2CartoonPredictor(output_path=None, weight_path=predictor.weight_source,
                                    seg=lambda rgb, landmarks: np.zeros(rgb.shape[:2]),
                                    backend="dynamic")
    assert (nobody.run(astronaut) == 255).all()
    with pytest.raises(ConfigError, match="seg_weight_path is for seg 'faceseg'"):
        Photo2CartoonPredictor(output_path=None, weight_path=predictor.weight_source,
                               seg="grabcut", seg_weight_path="faceseg.pdparams")


def test_auto_seg_is_faceseg_where_its_weights_are_cached(predictor, astronaut, tmp_path,
                                                          monkeypatch):
    """A random FCN-HRNetW18 stands in for PaddleGAN's weights: the mask means nothing,
    but it is the one the predictor composites with."""
    from ppgan_lite.faceutils import segment

    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "cache"))
    cached = tmp_path / "cache" / "photo2cartoon" / "faceseg_FCN-HRNetW18.pdparams"
    options = dict(output_path=None, weight_path=predictor.weight_source, output_size=64,
                   backend="dynamic")
    assert Photo2CartoonPredictor(**options).seg == "selfie"
    with pytest.raises(WeightsNotFoundError) as info:  # at construction, not at run()
        Photo2CartoonPredictor(seg="faceseg", **options)
    assert "\n" not in str(info.value) and str(cached) in str(info.value)
    # the argument as each caller spells it
    assert "Photo2CartoonPredictor's seg_weight_path" in str(info.value)
    assert "segment()'s weight_path" in str(info.value)
    assert "command line --seg_weight_path" in str(info.value)

    cached.parent.mkdir(parents=True)
    save_faceseg_weights(cached)
    p = Photo2CartoonPredictor(**options)
    assert p.seg == "faceseg" and p.seg_options == {"weight_path": str(cached),
                                                    "runner": None}  # eager, as asked
    assert p.run(astronaut).shape == (64, 64, 3)
    result = p.results[0]
    expected = segment(result.photo, method="faceseg", weight_path=str(cached))
    inside = result.mask > 0  # zero only in the white padding, if any
    assert 0.05 < result.mask.mean() < 0.95  # neither all person nor all background
    np.testing.assert_allclose(result.mask[inside], expected[inside], atol=1e-6)

    # a path given explicitly is used whatever the cache holds
    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "other_cache"))
    p = Photo2CartoonPredictor(seg_weight_path=str(cached), **options)
    assert p.seg == "faceseg" and p.seg_options["weight_path"] == str(cached)


def test_faceseg_runs_on_the_generators_backend(predictor, astronaut, tmp_path):
    """With onnxruntime faceseg is exported once (cached by its weights' hash) and
    gives the eager net's mask."""
    from ppgan_lite.faceutils import segment

    weights = save_faceseg_weights(tmp_path / "faceseg_FCN-HRNetW18.pdparams")
    p = Photo2CartoonPredictor(output_path=None, weight_path=predictor.weight_source,
                               output_size=64, backend="onnxruntime", seg="faceseg",
                               seg_weight_path=weights)
    runner = p.seg_options["runner"]
    assert runner is not None and runner.name == "onnxruntime"
    p.run(astronaut)
    result = p.results[0]
    eager = segment(result.photo, method="faceseg", weight_path=weights)
    inside = result.mask > 0
    assert 0.05 < eager[inside].mean() < 0.95 and 0.01 < eager[inside].std()
    np.testing.assert_allclose(result.mask[inside], eager[inside], atol=1e-4)


# ------------------------------------------------------------------ weights
def test_paddlegan_named_pdparams_loads_with_its_shapes(tmp_path, astronaut):
    import paddle

    net = make_generator(seed=3, img_size=256, n_blocks=2)
    path = str(tmp_path / "photo2cartoon_genA2B_weight.pdparams")
    paddle.save(net.state_dict(), path)
    p = Photo2CartoonPredictor(output_path=None, weight_path=path, backend="dynamic")
    assert p.img_size == 256
    x = np.random.RandomState(0).uniform(-1, 1, (1, 3, 256, 256)).astype(np.float32)
    np.testing.assert_allclose(p.generator(x), run_net(net, x), atol=1e-5)


def test_checkpoint_gives_genA2B_and_its_config(small_checkpoint, small_net):
    p = Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint,
                               backend="dynamic")
    assert p.img_size == 64
    x = np.random.RandomState(1).uniform(-1, 1, (1, 3, 64, 64)).astype(np.float32)
    np.testing.assert_allclose(p.generator(x), run_net(small_net, x), atol=1e-5)


def test_weights_that_do_not_fit_or_lack_genA2B(tmp_path, small_net, small_checkpoint):
    with pytest.raises(WeightsNotFoundError, match=r"do not fit net 'genA2B' .*expects \[64, 64"):
        Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint,
                               generator_config={"ngf": 16})
    only_b = save_checkpoint(tmp_path / "b.ckpt.npz", small_net, nets=("genB2A",))
    with pytest.raises(WeightsNotFoundError, match="no 'genA2B' net .*genB2A"):
        Photo2CartoonPredictor(output_path=None, weight_path=only_b)
    with pytest.raises(WeightsNotFoundError, match="nowhere.pdparams' do not exist"):
        Photo2CartoonPredictor(output_path=None, weight_path=str(tmp_path / "nowhere.pdparams"))
    folder = tmp_path / "not_an_export"
    folder.mkdir()
    with pytest.raises(WeightsNotFoundError, match="no exported Paddle model"):
        Photo2CartoonPredictor(output_path=None, weight_path=str(folder), backend="paddle")


def test_missing_weights_say_which_file_where_and_how_to_train(tmp_path, monkeypatch,
                                                               small_net):
    import paddle

    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsNotFoundError) as info:
        Photo2CartoonPredictor(output_path=None)
    message = str(info.value)
    assert "\n" not in message
    assert "photo2cartoon_genA2B_weight.pdparams" in message
    assert str(tmp_path / "cache" / "photo2cartoon") in message
    assert "python tools/main.py -c configs/ugatit_photo2cartoon.yaml" in message
    # where PaddleGAN publishes it: the user downloads it, nothing is fetched here
    assert ("download it from https://paddlegan.bj.bcebos.com/models/"
            "photo2cartoon_genA2B_weight.pdparams and put it at") in message

    cached = tmp_path / "cache" / "photo2cartoon" / "photo2cartoon_genA2B_weight.pdparams"
    cached.parent.mkdir(parents=True)
    paddle.save(small_net.state_dict(), str(cached))
    p = Photo2CartoonPredictor(output_path=None, generator_config={"img_size": 64},
                               backend="dynamic")
    assert p.weight_source == str(cached) and p.img_size == 64


def test_fast_backends_export_once_per_weights_and_reuse_the_cache(tmp_path, monkeypatch,
                                                                   small_checkpoint):
    """'auto' runs an exported copy (onnxruntime / paddle.inference); exporting takes
    Paddle ~15-30 s, so it happens once per weights file: here export and loading are
    stand-ins that record what the predictor asks for."""
    import json

    from ppgan_lite.deploy import cache as inference
    from ppgan_lite.deploy import meta as export

    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "cache"))
    exported, loaded = [], []

    def fake_export(net, inputs, folder, model_name="", net_name="", weights_path=None):
        exported.append((type(net).__name__, net_name))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "meta.json"), "w") as f:
            json.dump({"weights": {"sha256": export.file_sha256(weights_path)}}, f)

    def fake_load(source, backend="auto", inputs=None):
        loaded.append((source, backend))
        return lambda x: -x

    monkeypatch.setattr(inference, "export_layer", fake_export)
    monkeypatch.setattr(inference, "load_generator", fake_load)
    for _ in range(2):
        p = Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint)
    assert exported == [("ResnetUGATITP2CGenerator", "genA2B")]
    folder = loaded[0][0]
    assert loaded == [(folder, "auto"), (folder, "auto")]
    assert folder.startswith(str(tmp_path / "cache" / "photo2cartoon" / "exported"))
    assert p.img_size == 64 and p.generator(np.ones(2))[0] == -1

    # another config of the same weights is another export; 'dynamic' never exports
    Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint,
                           generator_config={"img_size": 128}, backend="onnxruntime")
    assert len(exported) == 2 and loaded[-1][0] != folder and loaded[-1][1] == "onnxruntime"
    Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint, backend="dynamic")
    assert len(exported) == 2 and not isinstance(loaded[-1][0], str)


def test_auto_runs_eagerly_when_the_export_fails(tmp_path, monkeypatch, small_checkpoint,
                                                 small_net):
    from ppgan_lite.deploy import cache, meta as export

    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "cache"))

    def failing_export(*args, **kwargs):
        raise export.ExportError("paddle.jit.save could not turn it into a static program")

    monkeypatch.setattr(cache, "export_layer", failing_export)
    p = Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint)
    x = np.random.RandomState(2).uniform(-1, 1, (1, 3, 64, 64)).astype(np.float32)
    np.testing.assert_allclose(p.generator(x), run_net(small_net, x), atol=1e-5)
    with pytest.raises(export.ExportError):
        Photo2CartoonPredictor(output_path=None, weight_path=small_checkpoint,
                               backend="onnxruntime")


def test_exported_folder_runs_through_the_inference_backend(tmp_path, monkeypatch):
    """tools/export_model.py output: handed to deploy.load_generator as it is; the
    image size is the exported input's."""
    from ppgan_lite import deploy as inference

    folder = tmp_path / "inference_model"
    folder.mkdir()
    asked = []

    class Stub:
        input_shape = (None, 3, 128, 128)

        def __call__(self, x):
            return x

    def fake_load(source, backend="auto"):
        asked.append((source, backend))
        return Stub()

    monkeypatch.setattr(inference, "load_generator", fake_load)
    p = Photo2CartoonPredictor(output_path=None, weight_path=str(folder), backend="paddle")
    assert asked == [(str(folder), "paddle")] and p.img_size == 128


def test_exported_model_that_takes_no_photos_is_refused_when_it_loads(tmp_path, monkeypatch):
    """DCGAN's export takes noise: its meta.json says so before anything runs, instead
    of an input-shape error at the first photo."""
    from ppgan_lite import deploy as inference
    from ppgan_lite.deploy import meta as export
    from ppgan_lite.models.base_model import NetInput
    from ppgan_lite.models.generators.dcgan import DCGenerator

    monkeypatch.setattr(inference, "load_generator", pytest.fail)  # never reached
    folder = tmp_path / "inference_model"
    folder.mkdir()
    net = DCGenerator(input_nz=100, input_nc=3, output_nc=3, ngf=8)
    export.write_meta(str(folder), export.make_meta(
        "DCGANModel", "netG", net, [NetInput("noise", "noise", (100, 1, 1))],
        [None, 3, 64, 64], None))
    with pytest.raises(WeightsNotFoundError) as info:
        Photo2CartoonPredictor(output_path=None, weight_path=str(folder), backend="paddle")
    message = str(info.value)
    assert message.startswith(f"'{folder}' is not a photo2cartoon generator: it is an export "
                              f"of DCGANModel.netG (DCGenerator) that takes noise "
                              f"(N, 100, 1, 1)")
    assert "needs one that takes RGB photos (N, 3, H, W)" in message and "\n" not in message


def test_output_path_that_is_a_file_is_one_line(small_checkpoint, astronaut, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    p = Photo2CartoonPredictor(output_path=str(afile), weight_path=small_checkpoint,
                               output_size=64, backend="dynamic")
    with pytest.raises(ConfigError, match=f"output_path '{afile}' is a file, not a folder"):
        p.run(astronaut)
    assert afile.read_text() == "keep me"


@pytest.mark.parametrize("case, expected", [
    ("photo", "it is a still image, not a video: pass it as a photo (run() in Python"),
    ("text", "not a video OpenCV can decode"),
    ("folder", "it is a folder, not a video file"),
    ("missing", "no such file"),
])
def test_run_video_refuses_what_is_no_video(predictor, astronaut, tmp_path, case, expected):
    """OpenCV opens a photo as a one-frame video and a text file as an empty one."""
    path = {"photo": tmp_path / "astronaut.jpg", "text": tmp_path / "notes.mp4",
            "folder": tmp_path, "missing": tmp_path / "nope.mp4"}[case]
    if case == "photo":
        path.write_bytes(jpeg_bytes(astronaut))
    elif case == "text":
        path.write_text("not a video\n" * 100)
    with pytest.raises(ImageReadError, match=re.escape(expected)):
        predictor.run_video(str(path), output_file=str(tmp_path / "out" / "x.mp4"))
    assert not (tmp_path / "out").exists()


def test_importing_the_apps_package_loads_no_heavy_modules():
    import subprocess
    import sys

    code = ("import sys, ppgan_lite.apps as apps; "
            "print(sorted(m for m in ('paddle', 'dlib', 'cv2') if m in sys.modules), "
            "'Photo2CartoonPredictor' in dir(apps))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__)))))
    assert out.stdout.strip() == "[] True", out.stderr
