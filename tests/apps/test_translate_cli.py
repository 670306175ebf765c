"""applications/tools/translate.py on a folder (N outputs under the inputs' names,
a preview, bad files listed), one image, a video, and bad flags and inputs (one
line, exit 2)."""
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite.utils.image_io import read_image, write_image

from scripts import load_script, one_error_line
from translate_testutils import paired_demo, pix2pix_overrides, train

cli = load_script("applications/tools/translate.py")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    data = paired_demo(tmp_path_factory.mktemp("paired") / "demo")
    return train("pix2pix_demo.yaml", pix2pix_overrides(data),
                 tmp_path_factory.mktemp("run"))[1]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.RandomState(0)
    for name, shape in (("a.png", (40, 30, 3)), ("b.jpg", (64, 80, 3)), ("c.png", (33, 33))):
        write_image(folder / name, (rng.rand(*shape) * 255).astype(np.uint8))
    return folder


def translate(*argv):
    return cli.main([str(a) for a in argv])


def test_a_folder_writes_one_output_per_input_and_a_preview(checkpoint, photos, tmp_path,
                                                            capsys):
    out = tmp_path / "out"
    code = translate("--weight_path", checkpoint, "--input_dir", photos, "--output_path", out,
                     "--backend", "dynamic")
    assert code == 0
    assert sorted(os.listdir(out)) == ["a.png", "b.jpg", "c.png", "preview.png"]
    for name in ("a.png", "b.jpg", "c.png"):
        assert read_image(out / name).shape[:2] == read_image(photos / name).shape[:2]
    preview = read_image(out / "preview.png")
    assert preview.shape[0] == 3 * 256  # a row per input
    assert "3 of 3 images translated by netG" in capsys.readouterr().out


def test_a_folder_goes_on_past_bad_files(checkpoint, photos, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_image(folder / "good.png", read_image(photos / "a.png"))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    out = tmp_path / "out"
    code = translate("--weight_path", checkpoint, "--input_dir", folder, "--output_path", out,
                     "--backend", "dynamic")
    printed = capsys.readouterr().out
    assert code == 1 and "1 of 2 images translated" in printed and "broken.png:" in printed
    assert sorted(os.listdir(out)) == ["good.png", "preview.png"]


def test_one_image(checkpoint, photos, tmp_path):
    out = tmp_path / "out"
    assert translate("--weight_path", checkpoint, "--input_image", photos / "b.jpg",
                     "--output_path", out, "--backend", "dynamic") == 0
    assert read_image(out / "b.jpg").shape == (64, 80, 3)
    assert read_image(out / "preview.png").shape == (256, 2 * 320, 3)


def test_a_video_frame_by_frame(checkpoint, tmp_path):
    import cv2

    video = str(tmp_path / "clip.mp4")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"mp4v"), 10, (48, 40))
    rng = np.random.RandomState(0)
    for _ in range(5):
        writer.write((rng.rand(40, 48, 3) * 255).astype(np.uint8))
    writer.release()
    out = tmp_path / "out"
    assert translate("--weight_path", checkpoint, "--video", video, "--output_path", out,
                     "--backend", "dynamic") == 0
    capture = cv2.VideoCapture(str(out / "clip_translated.mp4"))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 5 and frames[0].shape == (40, 48, 3)


@pytest.mark.parametrize("argv, expected", [
    ([], "--input_image --input_dir --video is required"),
    (["--input_image", "x.png", "--input_dir", "d"], "not allowed with argument"),
    (["--input_image", "x.png", "--direction", "up"], "invalid choice: 'up'"),
    (["--input_image", "x.png", "--backend", "tensorrt"], "invalid choice: 'tensorrt'"),
])
def test_bad_flags_are_one_line(argv, expected, capsys):
    with pytest.raises(SystemExit) as excinfo:
        translate("--weight_path", "w.ckpt.npz", *argv)
    assert excinfo.value.code == 2
    assert expected in one_error_line(capsys)


def test_bad_inputs_are_one_line(checkpoint, photos, tmp_path, capsys):
    out = tmp_path / "out"
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    (tmp_path / "empty").mkdir()
    cases = [
        (["--weight_path", checkpoint, "--input_dir", tmp_path / "empty"], "no images in"),
        (["--weight_path", tmp_path / "none.ckpt.npz", "--input_image", photos / "a.png"],
         "does not exist"),
        (["--weight_path", checkpoint, "--input_image", tmp_path / "none.png"], "no such file"),
        (["--weight_path", checkpoint, "--input_image", text], "notes.png"),
        (["--weight_path", checkpoint, "--input_image", photos], "use --input_dir"),
        (["--weight_path", checkpoint, "--input_dir", photos / "a.png"], "use --input_image"),
        (["--weight_path", checkpoint, "--video", photos / "a.png"], "still image"),
        (["--weight_path", checkpoint, "--input_image", photos / "a.png", "--direction",
          "b2a"], "trained a2b"),
        (["--weight_path", checkpoint, "--input_image", photos / "a.png", "--size", "48"],
         "multiples of 32"),
    ]
    for argv, expected in cases:
        code = translate(*argv, "--output_path", out, "--backend", "dynamic")
        assert code == 2, argv
        assert expected in one_error_line(capsys), argv


def test_generate_py_on_a_translator_points_to_translate_py(checkpoint, tmp_path, capsys):
    generate = load_script("applications/generate.py")
    assert generate.main(["--weights", str(checkpoint), "--output_dir",
                          str(tmp_path / "gen")]) == 2
    line = one_error_line(capsys)
    assert "Pix2PixModel translates images" in line and "applications/tools/translate.py" in line
