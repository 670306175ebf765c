import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ppgan_lite.utils.image_io import read_image, write_image

from apps_testutils import jpeg_bytes
from scripts import load_script, one_error_line

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "applications", "tools", "photo2cartoon.py")


@pytest.fixture(scope="module")
def cli():
    return load_script("applications/tools/photo2cartoon.py")


def test_single_image_writes_paddlegan_names_and_profiles(cli, small_checkpoint, astronaut,
                                                          tmp_path, capsys):
    photo = tmp_path / "me.png"
    write_image(str(photo), astronaut)
    out = tmp_path / "out"
    rc = cli.main(["--input_image", str(photo), "--output_path", str(out), "--weight_path",
                   small_checkpoint, "--backend", "dynamic", "--output_size", "128",
                   "--profile"])
    assert rc == 0
    assert sorted(os.listdir(out)) == ["p2c_cartoon.png", "p2c_photo.png"]
    assert read_image(str(out / "p2c_cartoon.png")).shape == (128, 128, 3)
    printed = capsys.readouterr().out
    assert "p2c_cartoon.png" in printed
    for stage in ("detect", "align", "segment", "generate", "write"):
        assert f"{stage} " in printed


def test_folder_goes_on_past_bad_files_and_summarises(cli, small_checkpoint, astronaut,
                                                      tmp_path, capsys):
    from skimage import data

    photos = tmp_path / "photos"
    photos.mkdir()
    write_image(str(photos / "astro.png"), astronaut)  # same stem as the next one
    (photos / "astro.jpg").write_bytes(jpeg_bytes(astronaut[:, ::-1].copy()))
    (photos / "broken.jpg").write_bytes(jpeg_bytes(astronaut)[:3000])
    write_image(str(photos / "coffee.png"),
                cv2.resize(data.coffee(), (300, 200), interpolation=cv2.INTER_AREA))
    out = tmp_path / "out"
    rc = cli.main(["--input_dir", str(photos), "--output_path", str(out), "--weight_path",
                   small_checkpoint, "--backend", "dynamic"])
    assert rc == 1  # some failed
    assert sorted(os.listdir(out)) == ["astro_jpg_cartoon.png", "astro_jpg_photo.png",
                                       "astro_png_cartoon.png", "astro_png_photo.png"]
    # different inputs, different outputs: the mirrored photo's cartoon is not the same
    assert not np.array_equal(read_image(str(out / "astro_jpg_cartoon.png")),
                              read_image(str(out / "astro_png_cartoon.png")))
    printed = capsys.readouterr().out
    assert "2 of 4 photos" in printed and "2 failed" in printed
    assert "broken.jpg: cannot read image" in printed
    assert "coffee.png: no face found" in printed


def test_folder_where_nothing_works_exits_2(cli, small_checkpoint, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_text("not an image")
    rc = cli.main(["--input_dir", str(photos), "--output_path", str(tmp_path / "out"),
                   "--weight_path", small_checkpoint, "--backend", "dynamic"])
    assert rc == 2
    assert "a.jpg: cannot read image" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["missing_input", "no_face", "missing_weights", "bad_seg",
                                  "empty_folder", "faceseg", "faceseg_path"])
def test_bad_input_is_one_line_and_exit_2(cli, small_checkpoint, tmp_path, capsys,
                                          monkeypatch, case):
    from skimage import data

    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "empty_cache"))
    common = ["--output_path", str(tmp_path / "out"), "--backend", "dynamic"]
    weights = ["--weight_path", small_checkpoint]
    if case == "missing_input":
        argv = ["--input_image", str(tmp_path / "nope.jpg")] + common + weights
        expected = "nope.jpg': no such file"
    elif case == "no_face":
        write_image(str(tmp_path / "coffee.png"), data.coffee()[::2, ::2])
        argv = ["--input_image", str(tmp_path / "coffee.png")] + common + weights
        expected = "no face found"
    elif case == "missing_weights":
        write_image(str(tmp_path / "x.png"), np.zeros((32, 32, 3), np.uint8))
        argv = ["--input_image", str(tmp_path / "x.png")] + common
        expected = ("download it from https://paddlegan.bj.bcebos.com/models/"
                    "photo2cartoon_genA2B_weight.pdparams")
    elif case == "bad_seg":
        argv = ["--input_image", "x.png", "--seg", "selfy"] + common
        expected = "invalid choice: 'selfy'"
    elif case == "empty_folder":
        (tmp_path / "empty").mkdir()
        argv = ["--input_dir", str(tmp_path / "empty")] + common + weights
        expected = "no images in"
    elif case == "faceseg":
        write_image(str(tmp_path / "x.png"), np.zeros((32, 32, 3), np.uint8))
        argv = ["--input_image", str(tmp_path / "x.png"), "--seg", "faceseg"] + common + weights
        expected = "on the command line --seg_weight_path"
    else:
        write_image(str(tmp_path / "x.png"), np.zeros((32, 32, 3), np.uint8))
        argv = ["--input_image", str(tmp_path / "x.png"), "--seg_weight_path",
                str(tmp_path / "nope.pdparams")] + common + weights
        expected = "nope.pdparams' does not exist"
    assert exit_code(cli, argv) == 2
    assert expected in one_error_line(capsys)


@pytest.mark.parametrize("case, expected", [
    ("output_is_a_file", "--output_path '{tmp}/afile' is a file, not a folder"),
    ("image_is_a_folder", "--input_image '{tmp}/photos' is a folder: use --input_dir"),
    ("dir_is_a_file", "--input_dir '{tmp}/me.jpg' is a file: use --input_image"),
    ("video_is_a_folder", "--video '{tmp}/photos' is a folder: use --input_dir"),
    ("video_is_a_photo", "cannot read video '{tmp}/me.jpg': it is a still image, not a "
                         "video: pass it as a photo (run() in Python, --input_image on"),
    ("video_is_text", "cannot read video '{tmp}/notes.mp4': not a video OpenCV can decode"),
])
def test_wrong_kind_of_path_names_the_flag_to_use(cli, astronaut, tmp_path, capsys, case,
                                                  expected):
    """Checked before the models load, so no weights are needed to see it; nothing is
    written, and a file in the way of the output folder is left as it was."""
    (tmp_path / "photos").mkdir()
    (tmp_path / "me.jpg").write_bytes(jpeg_bytes(astronaut))
    (tmp_path / "notes.mp4").write_text("not a video\n" * 100)
    (tmp_path / "afile").write_text("keep me")
    source = {"output_is_a_file": ["--input_image", "me.jpg"],
              "image_is_a_folder": ["--input_image", "photos"],
              "dir_is_a_file": ["--input_dir", "me.jpg"],
              "video_is_a_folder": ["--video", "photos"],
              "video_is_a_photo": ["--video", "me.jpg"],
              "video_is_text": ["--video", "notes.mp4"]}[case]
    output = "afile" if case == "output_is_a_file" else "out"
    argv = [source[0], str(tmp_path / source[1]), "--output_path", str(tmp_path / output),
            "--weight_path", str(tmp_path / "never_loaded.pdparams")]
    assert exit_code(cli, argv) == 2
    assert expected.format(tmp=tmp_path) in one_error_line(capsys)
    assert not (tmp_path / "out").exists() and (tmp_path / "afile").read_text() == "keep me"


def exit_code(cli, argv):
    """main's return value, or the code argparse exits with."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


def test_script_runs_standalone_without_a_traceback(tmp_path):
    """As a user runs it: its own process, from another folder, missing input."""
    result = subprocess.run(
        [sys.executable, SCRIPT, "--input_image", str(tmp_path / "missing.jpg")],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cannot read image '{tmp_path / 'missing.jpg'}': no such file"]


def test_video_that_is_no_video_is_one_line_standalone(tmp_path):
    """In its own process the first video OpenCV opens is ours, so FFmpeg's complaint
    about the file is silenced and stderr is our line alone; no models load."""
    (tmp_path / "notes.mp4").write_text("not a video\n" * 100)
    result = subprocess.run(
        [sys.executable, SCRIPT, "--video", "notes.mp4"],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: cannot read video 'notes.mp4': not a video OpenCV can decode (a photo goes "
        "to run() in Python, --input_image on the command line)"]
    assert not (tmp_path / "output").exists()


def test_video_without_any_face_is_one_line_and_leaves_no_file(cli, small_checkpoint,
                                                                tmp_path, capsys):
    video = str(tmp_path / "gray.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 64))
    for _ in range(3):
        writer.write(np.full((64, 64, 3), 128, np.uint8))
    writer.release()
    out = tmp_path / "out"
    rc = cli.main(["--video", video, "--output_path", str(out), "--weight_path",
                   small_checkpoint, "--backend", "dynamic", "--output_size", "96"])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()[-1:]  # after tqdm's bar
    assert err == [f"error: no face found in any of the 3 frames of '{video}': use a video "
                   f"with a visible frontal face"]
    assert os.listdir(out) == []  # neither the video nor its temporary file
    (out / "gray_cartoon.mp4").write_bytes(b"an earlier run's cartoon")
    assert cli.main(["--video", video, "--output_path", str(out), "--weight_path",
                     small_checkpoint, "--backend", "dynamic", "--output_size", "96"]) == 2
    assert os.listdir(out) == ["gray_cartoon.mp4"]  # refused before it was replaced
    assert (out / "gray_cartoon.mp4").read_bytes() == b"an earlier run's cartoon"


def test_video_is_tracked_frame_by_frame(cli, small_checkpoint, astronaut, tmp_path, capsys):
    video = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 10, (256, 256))
    frames = 6
    for i in range(frames):
        frame = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
        frame = np.roll(frame, 3 * i, axis=1)  # the face moves right
        if i == 3:
            frame = np.full_like(frame, 128)  # a frame without a face
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    out = tmp_path / "out"
    rc = cli.main(["--video", video, "--output_path", str(out), "--weight_path",
                   small_checkpoint, "--backend", "dynamic", "--output_size", "96",
                   "--detect_every", "3"])
    assert rc == 0
    assert os.listdir(out) == ["clip_cartoon.mp4"]
    printed = capsys.readouterr().out
    assert f"{frames} frames written" in printed and "1 without a face" in printed
    capture = cv2.VideoCapture(str(out / "clip_cartoon.mp4"))
    read = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        read.append(frame)
    capture.release()
    assert len(read) == frames and read[0].shape == (96, 96, 3)
    # the face-less frame repeats the cartoon before it (mp4 noise aside)
    assert np.abs(read[3].astype(int) - read[2].astype(int)).mean() < 3
    assert read[0].std() > 10  # a cartoon, not a blank frame
