"""TranslationPredictor on tiny pix2pix and CycleGAN runs (two iterations, 32 px,
8-filter nets): the numbers are the model's own generator's on the same
preprocessed input, any input size comes back at its size, CycleGAN's direction
picks netG_A / netG_B, and bad weights, configs and inputs are one line."""
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
from ppgan_lite.apps import TranslationPredictor
from ppgan_lite.apps.translation import unet_config_from_params
from ppgan_lite.utils.checkpoint import save_state
from ppgan_lite.utils.errors import ConfigError, ImageReadError, WeightsNotFoundError

from translate_testutils import (CONFIGS, cyclegan_overrides, paired_demo, pix2pix_overrides,
                                 train, unpaired_demo)


@pytest.fixture(scope="module")
def pix2pix(tmp_path_factory):
    data = paired_demo(tmp_path_factory.mktemp("paired") / "demo")
    return train("pix2pix_demo.yaml", pix2pix_overrides(data),
                 tmp_path_factory.mktemp("pix2pix_run"))


@pytest.fixture(scope="module")
def cyclegan(tmp_path_factory):
    data = unpaired_demo(tmp_path_factory.mktemp("unpaired") / "demo")
    return train("cyclegan_demo.yaml", cyclegan_overrides(data),
                 tmp_path_factory.mktemp("cyclegan_run"))


@pytest.fixture(scope="module")
def photo():
    return (np.random.RandomState(0).rand(50, 37, 3) * 255).astype(np.uint8)


def forward(net, x):
    net.eval()
    with paddle.no_grad():
        return net(paddle.to_tensor(x)).numpy()


def relative_error(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def test_same_numbers_as_the_models_own_netG(pix2pix, photo):
    trainer, checkpoint = pix2pix
    predictor = TranslationPredictor(checkpoint, backend="dynamic")
    assert predictor.net_name == "netG" and predictor.size == (32, 32)
    x = predictor.preprocess(photo)
    assert x.shape == (1, 3, 32, 32) and -1.0 <= x.min() and x.max() <= 1.0
    expected = forward(trainer.model.nets["netG"], x)
    assert relative_error(predictor.generator(x), expected) < 1e-5
    # run() is that forward, resized back to the photo's 50x37
    assert np.array_equal(predictor.run(photo), predictor.postprocess(expected, (50, 37)))


def test_paddle_inference_gives_close_numbers(pix2pix, photo):
    trainer, checkpoint = pix2pix
    predictor = TranslationPredictor(checkpoint, backend="paddle")
    x = predictor.preprocess(photo)
    assert relative_error(predictor.generator(x),
                          forward(trainer.model.nets["netG"], x)) < 1e-4


def test_onnxruntime_gives_close_numbers(pix2pix, photo):
    pytest.importorskip("onnxruntime")
    trainer, checkpoint = pix2pix
    predictor = TranslationPredictor(checkpoint, backend="onnxruntime")
    x = predictor.preprocess(photo)
    assert relative_error(predictor.generator(x),
                          forward(trainer.model.nets["netG"], x)) < 1e-4


@pytest.mark.parametrize("shape", [(50, 37, 3), (97, 160, 3), (32, 32, 3), (41, 29)])
def test_output_is_rgb_at_the_input_size(pix2pix, shape):
    predictor = TranslationPredictor(pix2pix[1], backend="dynamic")
    image = (np.random.RandomState(1).rand(*shape) * 255).astype(np.uint8)
    out = predictor.run(image)
    assert out.shape == shape[:2] + (3,) and out.dtype == np.uint8
    assert out.std() > 0  # an image, not a constant


def test_size_sets_the_working_resolution(pix2pix, photo):
    predictor = TranslationPredictor(pix2pix[1], backend="dynamic", size=64)
    assert predictor.preprocess(photo).shape == (1, 3, 64, 64)
    assert predictor.run(photo).shape == photo.shape
    with pytest.raises(ConfigError, match="multiples of 32; use e.g. 64"):
        TranslationPredictor(pix2pix[1], backend="dynamic", size=60)


def test_cyclegan_direction_picks_netG_A_or_netG_B(cyclegan, photo):
    trainer, checkpoint = cyclegan
    a2b = TranslationPredictor(checkpoint, backend="dynamic")
    b2a = TranslationPredictor(checkpoint, direction="b2a", backend="dynamic")
    assert (a2b.net_name, b2a.net_name) == ("netG_A", "netG_B")
    x = a2b.preprocess(photo)
    ya, yb = a2b.generator(x), b2a.generator(x)
    assert np.abs(ya - yb).mean() > 1e-3
    assert relative_error(ya, forward(trainer.model.nets["netG_A"], x)) < 1e-5
    assert relative_error(yb, forward(trainer.model.nets["netG_B"], x)) < 1e-5
    assert not np.array_equal(a2b.run(photo), b2a.run(photo))


def test_a_list_and_a_folder_give_a_list(pix2pix, photo, tmp_path):
    from ppgan_lite.utils.image_io import write_image

    predictor = TranslationPredictor(pix2pix[1], backend="dynamic")
    for name in ("a.png", "b.jpg"):
        write_image(tmp_path / name, photo)
    outputs = predictor.run(str(tmp_path))
    assert len(outputs) == 2 and all(o.shape == photo.shape for o in outputs)
    assert np.array_equal(predictor.run([photo])[0], predictor.run(photo))


def test_pdparams_needs_its_config_and_then_loads(pix2pix, photo, tmp_path):
    trainer, checkpoint = pix2pix
    weights = str(tmp_path / "netG.pdparams")
    paddle.save(trainer.model.nets["netG"].state_dict(), weights)
    with pytest.raises(ConfigError, match="pass the config it was trained with"):
        TranslationPredictor(weights, backend="dynamic")
    config = tmp_path / "tiny.yaml"
    config.write_text(f"_base_: {os.path.join(CONFIGS, 'pix2pix_demo.yaml')}\nmodel:\n"
                      f"  generator: {{num_downs: 5, ngf: 8}}\n  image_shape: [3, 32, 32]\n")
    from_pdparams = TranslationPredictor(weights, config=str(config), backend="dynamic")
    from_checkpoint = TranslationPredictor(checkpoint, backend="dynamic")
    assert np.array_equal(from_pdparams.run(photo), from_checkpoint.run(photo))


def test_unet_config_is_read_off_the_keys(pix2pix):
    params = {k: v.numpy() for k, v in pix2pix[0].model.nets["netG"].state_dict().items()}
    assert unet_config_from_params(params) == {
        "name": "UnetGenerator", "input_nc": 3, "output_nc": 3, "num_downs": 5, "ngf": 8,
        "norm_type": "batch"}
    assert unet_config_from_params({"model.1.weight": np.zeros((4, 3, 7, 7))}) is None


def one_line(excinfo):
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_pix2pix_has_one_direction(pix2pix):
    with pytest.raises(ConfigError) as excinfo:
        TranslationPredictor(pix2pix[1], direction="b2a", backend="dynamic")
    assert "trained a2b" in one_line(excinfo) and "drop --direction" in str(excinfo.value)


def test_bad_weights_are_one_line(pix2pix, tmp_path):
    with pytest.raises(WeightsNotFoundError, match="do not exist"):
        TranslationPredictor(tmp_path / "missing.ckpt.npz")
    jpeg = tmp_path / "photo.pdparams"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    with pytest.raises(WeightsNotFoundError, match="it is a JPEG image") as excinfo:
        TranslationPredictor(jpeg, config=os.path.join(CONFIGS, "pix2pix_demo.yaml"))
    one_line(excinfo)
    # a checkpoint that holds the discriminator only
    no_generator = tmp_path / "netD_only.ckpt.npz"
    save_state(str(no_generator), {"nets": {"netD": {"w": np.zeros(2, np.float32)}},
                                   "config": {"model": {"name": "Pix2PixModel",
                                                        "generator": {"name": "UnetGenerator"}}}})
    with pytest.raises(WeightsNotFoundError, match="holds no netG weights") as excinfo:
        TranslationPredictor(no_generator)
    one_line(excinfo)
    # a generator of noise (DCGAN) translates nothing
    dcgan = tmp_path / "dcgan.ckpt.npz"
    save_state(str(dcgan), {"nets": {"netG": {}}, "config": {"model": {
        "name": "DCGANModel", "generator": {"name": "DCGenerator"}}}})
    with pytest.raises(WeightsNotFoundError, match="applications/generate.py") as excinfo:
        TranslationPredictor(dcgan)
    one_line(excinfo)


def test_bad_images_are_one_line(pix2pix, tmp_path):
    predictor = TranslationPredictor(pix2pix[1], backend="dynamic")
    with pytest.raises(ImageReadError, match="no such file"):
        predictor.run(str(tmp_path / "missing.png"))
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ImageReadError, match="notes.png") as excinfo:
        predictor.run(str(text))
    one_line(excinfo)


def test_an_exported_folder_translates_the_same(pix2pix, photo, tmp_path):
    from ppgan_lite.deploy import export_generator

    trainer, checkpoint = pix2pix
    folder = str(tmp_path / "exported")
    trainer.model.setup_train_mode(False)
    export_generator(trainer.model, folder, "netG", checkpoint)
    exported = TranslationPredictor(folder, backend="paddle")
    assert exported.size == (32, 32) and exported.net_name == "netG"
    x = exported.preprocess(photo)
    assert relative_error(exported.generator(x),
                          forward(trainer.model.nets["netG"], x)) < 1e-4
    with pytest.raises(ConfigError, match="drop --direction"):
        TranslationPredictor(folder, direction="b2a")
