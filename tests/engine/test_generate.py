import os
import subprocess
import sys

import numpy as np
import pytest

from ppgan_lite.utils.image_io import read_image

from test_trainer import make_trainer  # tests/engine is on sys.path (rootdir prepend)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "applications", "generate.py")


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


def test_generate_writes_samples_grid_and_gif_reproducibly(tmp_path):
    weights = make_trainer(tmp_path / "run").train()
    out1, out2 = tmp_path / "g1", tmp_path / "g2"
    for out in (out1, out2):
        res = run("--weights", weights, "--num", "6", "--seed", "3", "--output_dir", str(out),
                  "--interp_points", "2", "--interp_steps", "3")
        assert res.returncode == 0, res.stderr
    names = sorted(os.listdir(out1))
    assert names == ["grid.png", "interpolation.gif"] + [f"sample_{i:04d}.png" for i in range(6)]
    a, b = read_image(str(out1 / "sample_0002.png")), read_image(str(out2 / "sample_0002.png"))
    assert a.shape == (32, 32, 3) and np.array_equal(a, b)
    assert not np.array_equal(a, read_image(str(out1 / "sample_0003.png")))
    from PIL import Image
    assert Image.open(out1 / "interpolation.gif").n_frames == 6


def test_generate_errors_are_one_line(tmp_path):
    res = run("--weights", str(tmp_path / "missing.ckpt.npz"))
    assert res.returncode == 2
    assert res.stderr.strip().startswith("error:") and len(res.stderr.strip().splitlines()) == 1
    import paddle
    net = paddle.nn.Linear(2, 2)
    paddle.save(net.state_dict(), str(tmp_path / "g.pdparams"))
    res = run("--weights", str(tmp_path / "g.pdparams"))
    assert res.returncode == 2 and "--config" in res.stderr


def generate_error(capsys, *argv):
    """The one error line generate.py prints in-process, after checking it exits 2."""
    from scripts import load_script

    assert load_script("applications/generate.py").main(list(argv)) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


@pytest.mark.parametrize("flag, value, expected", [
    ("--num", "0", "--num 0: use 1 or more"), ("--num", "-3", "--num -3: use 1 or more"),
    ("--nrow", "0", "--nrow 0: use 1 or more"),
    ("--interp_steps", "0", "--interp_steps 0: use 1 or more"),
    ("--interp_points", "1", "--interp_points 1: use 0 (no GIF) or 2 or more"),
    ("--seed", "-1", "--seed -1: use 0 or more"), ("--seed", str(2 ** 32), "use 0 to"),
])
def test_counts_out_of_range_are_one_line_before_loading(tmp_path, capsys, flag, value,
                                                         expected):
    line = generate_error(capsys, "--weights", str(tmp_path / "never_read.ckpt.npz"),
                          flag, value)
    assert expected in line


@pytest.fixture(scope="module")
def dcgan_checkpoint(tmp_path_factory):
    return make_trainer(tmp_path_factory.mktemp("run")).train()


def test_output_dir_that_is_a_file_is_one_line(dcgan_checkpoint, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    line = generate_error(capsys, "--weights", dcgan_checkpoint, "--output_dir", str(afile))
    assert f"--output_dir '{afile}' is a file, not a folder" in line
    assert afile.read_text() == "keep me"


def test_weights_that_are_no_checkpoint_say_so(tmp_path, capsys):
    from ppgan_lite.utils.image_io import write_image

    photo = write_image(str(tmp_path / "astronaut.jpg"), np.zeros((8, 8, 3), np.uint8))
    for extra in ([], ["--config", os.path.join(ROOT, "configs", "dcgan_lfw.yaml")]):
        line = generate_error(capsys, "--weights", photo, *extra)
        assert "is not a ppgan_lite checkpoint (.ckpt.npz) or a PaddleGAN .pdparams" in line
        assert "JPEG image" in line and "carries no config" not in line
