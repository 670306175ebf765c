import os
import pickle

import numpy as np
import paddle
import pytest

from ppgan_lite.utils import checkpoint as ckpt
from ppgan_lite.utils.errors import WeightsNotFoundError


def test_save_load_roundtrip_keeps_arrays_and_meta(tmp_path):
    net = paddle.nn.Linear(3, 2)
    state = {"nets": {"g": net.state_dict()}, "iter": 7, "cfg": {"a": [1, 2], "b": None},
             "x": np.arange(4, dtype="int64")}
    path = ckpt.save_state(str(tmp_path / "c.ckpt.npz"), state)
    back = ckpt.load_state(path)
    assert back["iter"] == 7 and back["cfg"] == {"a": [1, 2], "b": None}
    np.testing.assert_array_equal(back["nets"]["g"]["weight"], net.weight.numpy())
    np.testing.assert_array_equal(back["x"], np.arange(4))


def test_crash_mid_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / "iter_00000001.ckpt.npz")
    ckpt.save_state(path, {"iter": 1, "w": np.ones(3)})
    before = open(path, "rb").read()

    def exploding_savez(f, **arrays):
        f.write(b"partial bytes of a checkpoint")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(np, "savez", exploding_savez)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_state(path, {"iter": 2, "w": np.zeros(3)})
    assert open(path, "rb").read() == before
    assert ckpt.load_state(path)["iter"] == 1
    assert [n for n in os.listdir(tmp_path) if n.startswith(".tmp")] == []


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    path = str(tmp_path / "c.ckpt.npz")
    ckpt.save_state(path, {"w": np.ones(1000)})
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(WeightsNotFoundError, match="truncated"):
        ckpt.load_state(path)
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        ckpt.load_state(str(tmp_path / "missing.npz"))


def test_rng_state_roundtrip_through_a_file(tmp_path):
    import random

    paddle.seed(11)
    np.random.seed(3)
    random.seed(5)
    ckpt.save_state(str(tmp_path / "r.npz"), {"rng": ckpt.capture_rng_state()})
    expected = (paddle.randn([4]).numpy(), np.random.rand(3), random.random())
    paddle.seed(99)
    np.random.seed(99)
    random.seed(99)
    ckpt.restore_rng_state(ckpt.load_state(str(tmp_path / "r.npz"))["rng"])
    got = (paddle.randn([4]).numpy(), np.random.rand(3), random.random())
    np.testing.assert_array_equal(expected[0], got[0])
    np.testing.assert_array_equal(expected[1], got[1])
    assert expected[2] == got[2]


def test_prune_keeps_the_newest(tmp_path):
    for i in (1, 2, 3, 10):
        ckpt.save_state(ckpt.checkpoint_path(str(tmp_path), i), {"iter": i})
    ckpt.prune_checkpoints(str(tmp_path), 2)
    left = [os.path.basename(p) for p in ckpt.list_checkpoints(str(tmp_path))]
    assert left == ["iter_00000003.ckpt.npz", "iter_00000010.ckpt.npz"]


def test_pdparams_load_and_pickled_code_is_refused(tmp_path):
    net = paddle.nn.Sequential(paddle.nn.Conv2D(1, 2, 3))
    paddle.save(net.state_dict(), str(tmp_path / "one.pdparams"))
    paddle.save({"netG": net.state_dict()}, str(tmp_path / "many.pdparams"))
    one = ckpt.load_weights(str(tmp_path / "one.pdparams"))
    assert list(one) == [""] and set(one[""]) == {"0.weight", "0.bias"}
    many = ckpt.load_weights(str(tmp_path / "many.pdparams"))
    np.testing.assert_array_equal(many["netG"]["0.weight"], net[0].weight.numpy())

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with open(tmp_path / "evil.pdparams", "wb") as f:
        pickle.dump({"w": Evil()}, f)
    with pytest.raises(WeightsNotFoundError, match="refusing"):
        ckpt.load_weights(str(tmp_path / "evil.pdparams"))


def test_atomic_files_get_normal_permissions(tmp_path):
    from ppgan_lite.utils.image_io import write_image

    mask = os.umask(0o022)
    try:
        ckpt.save_state(str(tmp_path / "c.npz"), {"w": np.ones(2)})
        write_image(str(tmp_path / "i.png"), np.zeros((4, 4, 3), np.uint8))
    finally:
        os.umask(mask)
    for name in ("c.npz", "i.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


@pytest.mark.parametrize("name, content, seen", [
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "it is a JPEG image"),
    ("photo.ckpt.npz", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "it is a PNG image"),
    ("config.pdparams", b"model:\n  name: DCGANModel\n", "it is a text file"),
    ("empty.pdparams", b"", "it is an empty file"),
    ("plain.npz", None, "a numpy .npz without the __meta__.json"),
])
def test_a_file_that_is_no_weights_says_so(tmp_path, name, content, seen):
    """Not 'carries no config' or a pickle error: what the file is and what is needed."""
    path = str(tmp_path / name)
    if content is None:
        np.savez(path, w=np.ones(3))
    else:
        open(path, "wb").write(content)
    loaders = [ckpt.load_weights] + ([ckpt.load_state] if name.endswith(".npz") else [])
    for load in loaders:
        with pytest.raises(WeightsNotFoundError) as err:
            load(path)
        message = str(err.value)
        assert "is not a ppgan_lite checkpoint (.ckpt.npz) or a PaddleGAN .pdparams" in message
        assert seen in message and "\n" not in message


def test_a_cut_pdparams_is_not_called_a_non_weights_file(tmp_path):
    path = str(tmp_path / "g.pdparams")
    paddle.save(paddle.nn.Linear(2, 2).state_dict(), path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(WeightsNotFoundError, match="could not be read as a .pdparams"):
        ckpt.load_weights(path)
