"""StyleGAN2 generation: applications/tools/styleganv2.py and styleganv2mixing.py with
PaddleGAN's flags on random weights saved as .pdparams (16 px) and on a ppgan_lite
training checkpoint, StyleGANv2Predictor's pictures, the missing-weights message, the
onnxruntime backend, and generate.py / export_model.py on a StyleGAN2 checkpoint."""
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite.utils.image_io import read_image
from scripts import load_script

TINY = {4: 8, 8: 8, 16: 4}
GENERATOR = {"name": "StyleGANv2Generator", "size": 16, "style_dim": 8, "n_mlp": 2,
             "channels": TINY}
CELL = 16 + 2  # a 16 px image and make_grid's 2 px padding


@pytest.fixture(scope="module")
def pdparams(tmp_path_factory):
    from ppgan_lite.models.generators.stylegan2 import StyleGANv2Generator

    paddle.seed(0)
    net = StyleGANv2Generator(16, 8, 2, channels=TINY)
    path = str(tmp_path_factory.mktemp("weights") / "stylegan2-tiny.pdparams")
    paddle.save(net.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A StyleGAN2 checkpoint as tools/main.py writes it (two iterations)."""
    from ppgan_lite import register_all
    from ppgan_lite.engine.trainer import Trainer
    from ppgan_lite.utils.config import to_attr_dict, validate_config

    register_all()
    root = tmp_path_factory.mktemp("run")
    cfg = validate_config(to_attr_dict({
        "total_iters": 2, "output_dir": str(root),
        "model": {"name": "StyleGAN2Model", "generator": dict(GENERATOR),
                  "discriminator": {"name": "StyleGANv2Discriminator", "size": 16,
                                    "channels": TINY}},
        "dataset": {"train": {"name": "DigitsDataset", "size": 16, "channels": 3, "per_class": 1,
                              "batch_size": 4}},
        "optimizer": {"optimG": {"name": "Adam", "beta1": 0.0, "beta2": 0.99},
                      "optimD": {"name": "Adam", "beta1": 0.0, "beta2": 0.99}},
        "lr_scheduler": {"name": "ConstantLR", "learning_rate": 0.002},
        "log_config": {"interval": 1, "visiual_interval": 10 ** 6},
    }))
    return Trainer(cfg, str(root), seed=0).train()


def cli(name, argv):
    try:
        return load_script(f"applications/tools/{name}.py").main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own refusals (one line, exit 2 as well)
        return exc.code


def one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


# ---------------------------------------------------------------- styleganv2.py
def test_cli_writes_paddlegans_pictures_and_a_gif(tmp_path, pdparams):
    out = tmp_path / "out"
    args = ["--weight_path", pdparams, "--output_path", out, "--seed", 1, "--n_row", 2,
            "--n_col", 3, "--interp_points", 2, "--interp_steps", 2, "--backend", "dynamic",
            "--cpu"]
    assert cli("styleganv2", args) == 0
    assert sorted(os.listdir(out)) == ["interpolation.gif", "sample.png",
                                       "sample_mixing_0.png", "sample_mixing_1.png"]
    sample = read_image(str(out / "sample.png"))
    assert sample.shape == (2 * CELL + 2, 3 * CELL + 2, 3)  # n_row x n_col
    mixing = read_image(str(out / "sample_mixing_0.png"))
    assert mixing.shape == (3 * CELL + 2, 4 * CELL + 2, 3)  # (1 + n_row) x (1 + n_col)
    assert mixing[2:18, 2:18].max() == 0  # PaddleGAN's blank corner (-1: black)
    assert not np.array_equal(mixing, read_image(str(out / "sample_mixing_1.png")))
    from PIL import Image
    assert Image.open(out / "interpolation.gif").n_frames == 4
    # the seed fixes the pictures; another seed changes them
    assert cli("styleganv2", args[:2] + ["--output_path", tmp_path / "again"] + args[4:]) == 0
    assert np.array_equal(sample, read_image(str(tmp_path / "again" / "sample.png")))
    args[5] = 2
    assert cli("styleganv2", args[:2] + ["--output_path", tmp_path / "other"] + args[4:]) == 0
    assert not np.array_equal(sample, read_image(str(tmp_path / "other" / "sample.png")))


def test_predictor_api_mixing_rows_and_truncation(pdparams):
    from ppgan_lite.apps import StyleGANv2Predictor

    predictor = StyleGANv2Predictor(output_path=None, weight_path=pdparams, seed=3,
                                    backend="dynamic", size=16, style_dim=8, n_mlp=2)
    assert predictor.generator.channels == TINY  # read off the weights
    state = predictor.rng.get_state()
    grid = predictor.style_mixing(n_source=3, n_target=2)
    assert grid.shape == (12, 3, 16, 16) and (grid[0] == -1).all()
    predictor.rng.set_state(state)
    source, target = predictor.latents(3), predictor.latents(2)
    np.testing.assert_allclose(grid[1:4], predictor.generate(source), atol=1e-5)
    np.testing.assert_allclose(grid[[4, 8]], predictor.generate(target), atol=1e-5)
    assert np.abs(grid[5:8] - grid[1:4]).max() > 1e-3  # mixed: neither source ...
    assert np.abs(grid[5:8] - grid[4:5]).max() > 1e-3  # ... nor target
    z = predictor.latents(2)
    collapsed = predictor.generate(z, truncation=0.0)  # every W at the mean
    np.testing.assert_allclose(collapsed[0], collapsed[1], atol=1e-5)
    assert np.abs(predictor.generate(z, 1.0) - collapsed).max() > 1e-3
    assert predictor.run(1, 2, interp_points=0).keys() == {
        "sample.png", "sample_mixing_0.png", "sample_mixing_1.png"}


def test_missing_weights_name_the_file_the_cache_and_paddlegans_url(capsys):
    for model_type, name in (("ffhq-config-f", "stylegan2-ffhq-config-f.pdparams"),
                             ("animeface-512", "stylegan2-animeface-512.pdparams")):
        assert cli("styleganv2", ["--model_type", model_type]) == 2
        line = one_error_line(capsys)
        cache = os.path.join(os.environ["PPGAN_LITE_CACHE"], "styleganv2", name)
        assert f"'{name}'" in line and cache in line
        assert f"https://paddlegan.bj.bcebos.com/models/{name}" in line


@pytest.mark.parametrize("argv, match", [
    ([], "needs weight_path"),
    (["--weight_path", "nowhere.pdparams"], "'nowhere.pdparams' do not exist"),
    (["--size", 1024], "size 16, not 1024"),
    (["--style_dim", 512], "style_dim 8, not 512"),
    (["--channel_multiplier", 2], "channel_multiplier 2"),
    (["--n_row", 0], "--n_row 0"),
    (["--interp_points", 1], "--interp_points 1"),
    (["--truncation", -1], "truncation must be"),
    (["--model_type", "ffhq"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, pdparams, argv, match):
    weights = [] if argv[:1] in ([], ["--weight_path"], ["--model_type"]) else \
        ["--weight_path", pdparams]
    assert cli("styleganv2", weights + argv) == 2
    assert match in one_error_line(capsys)


def test_a_training_checkpoint_is_its_gen_ema_and_config(tmp_path, checkpoint):
    from ppgan_lite.apps import StyleGANv2Predictor
    from ppgan_lite.utils.checkpoint import load_state

    assert cli("styleganv2", ["--weight_path", checkpoint, "--output_path", tmp_path / "o",
                              "--n_row", 1, "--n_col", 2, "--interp_points", 0,
                              "--backend", "dynamic"]) == 0
    predictor = StyleGANv2Predictor(output_path=None, weight_path=checkpoint,
                                    backend="dynamic")
    state = load_state(checkpoint)
    loaded = {k: v.numpy() for k, v in predictor.generator.state_dict().items()}
    for key, value in state["nets"]["gen_ema"].items():
        np.testing.assert_array_equal(loaded[key], value)
    assert any(not np.array_equal(v, state["nets"]["gen"][k])
               for k, v in state["nets"]["gen_ema"].items())  # the average, not gen


def test_onnxruntime_backend_equals_the_dynamic_net(pdparams):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("paddle2onnx")
    from ppgan_lite.apps import StyleGANv2Predictor

    dynamic = StyleGANv2Predictor(output_path=None, weight_path=pdparams, backend="dynamic")
    onnx = StyleGANv2Predictor(output_path=None, weight_path=pdparams, backend="onnxruntime")
    assert type(onnx.run_generator).__name__ == "OnnxRuntimeBackend"
    z = dynamic.latents(3)
    want = dynamic.generate(z)
    assert want.std() > 1e-2
    assert np.abs(onnx.generate(z) - want).max() < 1e-4


# ---------------------------------------------------------------- styleganv2mixing.py
def test_mixing_cli_blends_w_plus_latents_per_layer(tmp_path, pdparams, capsys):
    from ppgan_lite.apps import StyleGANv2MixingPredictor

    rng = np.random.RandomState(0)
    first, second = (rng.standard_normal((6, 8)).astype("float32") for _ in range(2))
    np.save(tmp_path / "a.npy", first)
    np.save(tmp_path / "b.npy", second)
    out = tmp_path / "out"
    base = ["--latent1", tmp_path / "a.npy", "--latent2", tmp_path / "b.npy",
            "--weight_path", pdparams, "--output_path", out]
    assert cli("styleganv2mixing", base + ["--weights"] + [1] * 6) == 0
    assert sorted(os.listdir(out)) == ["dst.mixing.png", "src1.mixing.png", "src2.mixing.png"]
    assert np.array_equal(read_image(str(out / "dst.mixing.png")),
                          read_image(str(out / "src1.mixing.png")))  # all of latent1
    predictor = StyleGANv2MixingPredictor(output_path=None, weight_path=pdparams,
                                          backend="dynamic")
    weights = [1, 1, 1, 0, 0, 0]  # coarse layers from the first, fine from the second
    src1, src2, dst = predictor.run(first, second, weights)
    blended = np.concatenate([first[:3], second[3:]])
    with paddle.no_grad():
        expected = predictor.generator([paddle.to_tensor(blended[None])], input_is_latent=True,
                                       randomize_noise=False)[0]
    expected = np.clip((expected.numpy()[0].transpose(1, 2, 0) + 1) * 127.5, 0, 255)
    assert np.abs(dst.astype(float) - expected).max() <= 1.0
    assert not np.array_equal(dst, src1) and not np.array_equal(dst, src2)
    assert cli("styleganv2mixing", base + ["--weights", 0.5, 0.5]) == 2
    assert "2 mixing weights for a generator with 6 latent layers" in one_error_line(capsys)
    np.save(tmp_path / "c.npy", np.zeros((18, 512), "float32"))
    assert cli("styleganv2mixing", base[:2] + ["--latent2", tmp_path / "c.npy"] + base[4:]) == 2
    assert "[18, 512]; this generator takes W+ latents [6, 8]" in one_error_line(capsys)
    assert cli("styleganv2mixing", base[:2] + ["--latent2", tmp_path / "x.npy"] + base[4:]) == 2
    assert "x.npy' does not exist" in one_error_line(capsys)


# ---------------------------------------------------------------- the model contract
def test_generate_py_draws_from_a_stylegan2_checkpoint(tmp_path, checkpoint):
    out = tmp_path / "gen"
    gen = load_script("applications/generate.py")
    assert gen.main(["--weights", checkpoint, "--num", "4", "--output_dir", str(out),
                     "--interp_points", "2", "--interp_steps", "2"]) == 0
    assert sorted(os.listdir(out)) == ["grid.png", "interpolation.gif"] + [
        f"sample_{i:04d}.png" for i in range(4)]
    assert read_image(str(out / "sample_0000.png")).shape == (16, 16, 3)


def test_export_model_writes_the_z_truncation_program_and_onnx(tmp_path, checkpoint):
    pytest.importorskip("onnxruntime")
    from ppgan_lite.deploy import load_generator, read_meta
    from ppgan_lite.utils.checkpoint import load_state
    from ppgan_lite.utils.config import dump_config, to_attr_dict

    config = tmp_path / "config.yaml"
    dump_config(to_attr_dict(load_state(checkpoint)["config"]), str(config))
    out = tmp_path / "export"
    tool = load_script("tools/export_model.py")
    assert tool.main(["-c", str(config), "--load", checkpoint, "--output_dir", str(out),
                      "--onnx"]) == 0
    meta = read_meta(str(out))
    assert meta["net"] == "gen_ema"
    assert [(i["name"], i["kind"], i["shape"]) for i in meta["inputs"]] == [
        ("z", "noise", [None, 8]), ("truncation", "scalar", [None, 1])]
    z = np.random.RandomState(0).standard_normal((3, 8)).astype("float32")
    t = np.array([[1.0], [0.7], [0.0]], "float32")
    from ppgan_lite.apps import StyleGANv2Predictor

    predictor = StyleGANv2Predictor(output_path=None, weight_path=checkpoint,
                                    backend="dynamic")
    want = np.concatenate([predictor.generate(z[i:i + 1], float(t[i, 0])) for i in range(3)])
    for backend in ("onnxruntime", "paddle"):
        got = load_generator(str(out), backend=backend)(z, t)
        assert np.abs(got - want).max() < 1e-4, backend
