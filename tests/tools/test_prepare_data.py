"""tools/prepare_data.py: the offline photo2cartoon, pix2pix and CycleGAN demo sets and
the --p2c-pairs mode."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite.utils.errors import DataError
from ppgan_lite.utils.image_io import list_images, read_image
from scripts import load_script, one_error_line

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "prepare_data.py")
SIZE = 32


def _load_tool():
    return load_script("tools/prepare_data.py")


prepare_data = _load_tool()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("p2c") / "demo")
    lines = []
    counts = prepare_data.build_demo(out, size=SIZE, seed=0, log=lines.append)
    return out, counts, lines


def _manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def test_folder_counts_and_summary(demo):
    out, counts, lines = demo
    expected = {"trainA": 51, "trainB": 51, "testA": 5, "testB": 5}
    assert counts == expected
    for split, n in expected.items():
        assert len(list_images(os.path.join(out, split))) == n
        assert any(line.strip() == f"{split}: {n} images" for line in lines)
    assert _manifest(out)["counts"] == expected


def test_images_are_square_rgb_of_the_requested_size(demo):
    out, _, _ = demo
    for split in prepare_data.SPLITS:
        for path in list_images(os.path.join(out, split)):
            image = read_image(path)
            assert image.shape == (SIZE, SIZE, 3) and image.dtype == np.uint8, path


def test_a_and_b_come_from_disjoint_photos_and_test_is_held_out(demo):
    out, _, _ = demo
    files = _manifest(out)["files"]
    assert sorted(files) == sorted(os.path.relpath(p, out) for split in prepare_data.SPLITS
                                   for p in list_images(os.path.join(out, split)))
    sources = {split: {v["source"] for k, v in files.items() if k.startswith(split + "/")}
               for split in prepare_data.SPLITS}
    side_a = sources["trainA"] | sources["testA"]
    side_b = sources["trainB"] | sources["testB"]
    assert not side_a & side_b
    assert not sources["trainA"] & sources["testA"]
    assert not sources["trainB"] & sources["testB"]
    assert "astronaut" in sources["trainA"] and "grace_hopper" in sources["trainB"]
    assert len(side_a) == len(side_b) == 51  # 50 LFW faces + one colour photo a side


def test_b_images_are_cartoons_with_few_flat_colours(demo):
    """k-means leaves 8 colours plus the outline colour; the photos have hundreds."""
    out, _, _ = demo

    def colours(path):
        return len(np.unique(read_image(path).reshape(-1, 3), axis=0))

    cartoons = [colours(p) for p in list_images(os.path.join(out, "trainB"))]
    photos = [colours(p) for p in list_images(os.path.join(out, "trainA"))]
    assert max(cartoons) <= 9
    assert min(photos) > 100


def test_colour_photos_are_aligned_on_white(demo):
    """The astronaut went through detection, alignment and the person mask: its
    corners are the white background, its centre is her face."""
    out, _, _ = demo
    image = read_image(os.path.join(out, "trainA", "astronaut_00.png")).astype(int)
    for corner in (image[0, 0], image[0, -1]):
        assert (corner >= 250).all()
    centre = image[SIZE // 2 - 2:SIZE // 2 + 2, SIZE // 2 - 2:SIZE // 2 + 2]
    assert centre.mean() < 235 and centre[..., 0].mean() > centre[..., 2].mean()  # skin


def test_build_is_deterministic_and_replaces_an_earlier_build(demo, tmp_path):
    out, _, _ = demo
    again = str(tmp_path / "again")
    prepare_data.build_demo(again, size=SIZE, seed=0, log=lambda *_: None)
    open(os.path.join(again, "trainA", "stale.png"), "wb").close()
    prepare_data.build_demo(again, size=SIZE, seed=0, log=lambda *_: None)
    assert not os.path.exists(os.path.join(again, "trainA", "stale.png"))
    for name in _manifest(out)["files"]:
        with open(os.path.join(out, name), "rb") as a, open(os.path.join(again, name), "rb") as b:
            assert a.read() == b.read(), name


def test_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(DataError, match="not written by prepare_data.py"):
        prepare_data.build_demo(str(tmp_path), size=SIZE, log=lambda *_: None)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


@pytest.mark.parametrize("size", [40, 16])
def test_size_must_suit_the_generator(tmp_path, size):
    with pytest.raises(DataError, match="multiple of 16"):
        prepare_data.build_demo(str(tmp_path / "x"), size=size, log=lambda *_: None)
    assert not (tmp_path / "x").exists()


def test_cli_without_demo_says_what_to_do():
    proc = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True,
                          timeout=120)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2
    assert err[-1].startswith("error: ") and "--demo" in err[-1] and "data/README.md" in err[-1]


# ---------------------------------------------------------------- the other modes
@pytest.mark.parametrize("flag, splits", [("--pix2pix-demo", ["test", "train"]),
                                          ("--cyclegan-demo", ["testA", "testB", "trainA",
                                                               "trainB"])])
def test_demo_modes_write_their_sets(tmp_path, capsys, flag, splits):
    out = tmp_path / "set"
    assert prepare_data.main([flag, "--out", str(out), "--size", "32"]) == 0
    assert sorted(e for e in os.listdir(out) if e != "manifest.json") == splits
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(("pix2pix demo set in", "cyclegan demo set in"))
    shapes = {read_image(p).shape for p in list_images(os.path.join(out, splits[-1]))}
    assert shapes == {(32, 64, 3)} if flag == "--pix2pix-demo" else {(32, 32, 3)}


@pytest.mark.parametrize("argv, message", [
    (["--pix2pix-demo", "--cyclegan-demo"], "not allowed with argument --pix2pix-demo"),
    (["--p2c-pairs", "--input_dir", "photos"], "--p2c-pairs needs --weight_path and --out"),
])
def test_bad_flags_are_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        prepare_data.main(argv)
    assert exit_info.value.code == 2
    assert message in one_error_line(capsys)


@pytest.fixture(scope="module")
def p2c_weights(tmp_path_factory):
    """A randomly initialised small photo2cartoon generator, saved as the tests of
    the predictor save it."""
    testutils = load_script("tests/apps/apps_testutils.py")
    path = tmp_path_factory.mktemp("weights") / "iter_00000010.ckpt.npz"
    return testutils.save_checkpoint(path, testutils.make_generator())


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    from skimage import data

    from ppgan_lite.utils.image_io import write_image

    folder = tmp_path_factory.mktemp("photos")
    write_image(str(folder / "astronaut.jpg"), data.astronaut())
    write_image(str(folder / "coffee.png"), data.coffee())  # no face
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    return folder


def test_p2c_pairs_writes_photo_and_cartoon_and_counts_skips(tmp_path, capsys, p2c_weights,
                                                              photos):
    from ppgan_lite.apps import Photo2CartoonPredictor
    from ppgan_lite.faceutils import composite_on_white

    out = tmp_path / "pairs"
    rc = prepare_data.main(["--p2c-pairs", "--input_dir", str(photos), "--weight_path",
                            p2c_weights, "--out", str(out), "--size", "64",
                            "--backend", "dynamic", "--seg", "selfie"])
    assert rc == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1].startswith(f"p2c pairs in {out}: 1 written, 2 skipped "
                                  f"(1 without a face, 1 unreadable) [")
    assert sorted(os.listdir(out)) == ["astronaut.png", "manifest.json"]
    pair = read_image(str(out / "astronaut.png"))
    assert pair.shape == (64, 128, 3)
    predictor = Photo2CartoonPredictor(output_path=None, weight_path=p2c_weights,
                                       output_size=64, backend="dynamic", seg="selfie")
    cartoon = predictor.run(str(photos / "astronaut.jpg"))
    result = predictor.results[0]
    np.testing.assert_array_equal(pair[:, 64:], cartoon)
    np.testing.assert_array_equal(pair[:, :64], composite_on_white(result.photo, result.mask))
    assert (pair[0, 0] == 255).all()  # the photo is on white
    manifest = _manifest(str(out))
    assert manifest["kind"] == "p2c-pairs" and manifest["files"] == {
        "astronaut.png": {"source": "astronaut.jpg"}}
    assert sorted(manifest["skipped"]) == ["broken.jpg", "coffee.png"]
    assert manifest["skipped"]["coffee.png"].startswith("no face: ")

    # a second run into the same folder replaces the pairs; a foreign folder is refused
    pair_bytes = (out / "astronaut.png").read_bytes()
    (out / "gone.png").write_bytes(pair_bytes)
    manifest["files"]["gone.png"] = {"source": "gone.jpg"}
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert prepare_data.main(["--p2c-pairs", "--input_dir", str(photos), "--weight_path",
                              p2c_weights, "--out", str(out), "--size", "64",
                              "--backend", "dynamic", "--seg", "selfie"]) == 0
    assert sorted(os.listdir(out)) == ["astronaut.png", "manifest.json"]
    assert (out / "astronaut.png").read_bytes() == pair_bytes
    capsys.readouterr()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("keep")
    assert prepare_data.main(["--p2c-pairs", "--input_dir", str(photos), "--weight_path",
                              p2c_weights, "--out", str(tmp_path / "mine")]) == 2
    assert "not written by prepare_data.py" in one_error_line(capsys)


def test_p2c_pairs_without_any_face_is_an_error(tmp_path, capsys, p2c_weights):
    from skimage import data

    from ppgan_lite.utils.image_io import write_image

    (tmp_path / "in").mkdir()
    write_image(str(tmp_path / "in" / "coffee.png"), data.coffee())
    rc = prepare_data.main(["--p2c-pairs", "--input_dir", str(tmp_path / "in"),
                            "--weight_path", p2c_weights, "--out", str(tmp_path / "out"),
                            "--size", "64", "--backend", "dynamic", "--seg", "selfie"])
    assert rc == 2
    line = one_error_line(capsys)
    assert "0 written, 1 skipped (1 without a face)" in line and "frontal face" in line
