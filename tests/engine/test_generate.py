import os
import subprocess
import sys

import numpy as np

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
