"""The photo2cartoon distillation: configs/pix2pix_photo2cartoon.yaml trains on a
folder of photo | cartoon pairs (tiny nets), and Photo2CartoonPredictor takes a
pix2pix U-Net, from a checkpoint or a .pdparams, as its generator: one pass over the
aligned face on white."""
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
from ppgan_lite.apps import Photo2CartoonPredictor
from ppgan_lite.models.generators.unet import UnetGenerator
from ppgan_lite.utils.checkpoint import save_state
from ppgan_lite.utils.image_io import write_image

from translate_testutils import QUIET, train

SIDE = 32  # each half of a pair


def p2c_overrides(folder, iters=2):
    """pix2pix_photo2cartoon with 8-filter nets at 32 px: its 286 -> 256 jitter
    becomes 36 -> 32, its test Resize 32."""
    jitter = "dataset.train.preprocess.2.pipeline"
    return [f"dataset.train.dataroot={folder}", f"dataset.test.dataroot={folder}",
            "model.generator.num_downs=5", "model.generator.ngf=8",
            "model.discriminator.ndf=8", "model.discriminator.n_layers=2",
            f"model.image_shape=[3,{SIDE},{SIDE}]", f"{jitter}.0.size=[36,36]",
            f"{jitter}.1.size=[{SIDE},{SIDE}]",
            f"dataset.test.preprocess.2.pipeline.0.size=[{SIDE},{SIDE}]",
            "dataset.train.num_workers=0", "dataset.test.num_workers=0",
            "epochs=null", f"total_iters={iters}"] + QUIET


def test_the_recipe_trains_on_p2c_pairs(tmp_path):
    folder = tmp_path / "p2c_pairs"
    folder.mkdir()
    rng = np.random.RandomState(0)
    for k in range(3):  # --p2c-pairs' layout: photo on white | cartoon, side by side
        write_image(folder / f"face_{k}.png",
                    (rng.rand(SIDE, 2 * SIDE, 3) * 255).astype(np.uint8))
    trainer, checkpoint = train("pix2pix_photo2cartoon.yaml", p2c_overrides(folder),
                                tmp_path / "run")
    model = trainer.model
    assert type(model).__name__ == "Pix2PixModel" and model.direction == "a2b"
    assert os.path.basename(checkpoint) == "iter_00000002.ckpt.npz"
    losses = {k: float(v) for k, v in model.get_current_losses().items()}
    assert set(losses) == {"D_fake_loss", "D_real_loss", "G_adv_loss", "G_L1_loss"}
    assert all(np.isfinite(v) and v > 0 for v in losses.values())


def test_the_recipe_is_facades_with_p2c_data():
    from ppgan_lite.utils.config import load_config

    cfg = load_config(os.path.join(os.path.dirname(__file__), "..", "..", "configs",
                                   "pix2pix_photo2cartoon.yaml"))
    assert cfg.model.generator.num_downs == 8 and cfg.model.generator.ngf == 64
    assert cfg.model.direction == "a2b" and cfg.model.image_shape == [3, 256, 256]
    assert cfg.dataset.train.dataroot == "data/p2c_pairs"
    assert sorted(cfg.validate.metrics) == ["psnr", "ssim"]


@pytest.fixture(scope="module")
def unet():
    paddle.seed(3)
    net = UnetGenerator(3, 3, 6, ngf=8)
    net.eval()
    return net


def unet_forward(net, rgb):
    x = (rgb.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
    with paddle.no_grad():
        y = net(paddle.to_tensor(x)).numpy()
    return np.clip((y[0].transpose(1, 2, 0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def test_a_pix2pix_checkpoint_is_the_cartoon_generator(unet, astronaut, tmp_path):
    params = {k: v.numpy() for k, v in unet.state_dict().items()}
    checkpoint = str(tmp_path / "iter_00000010.ckpt.npz")
    save_state(checkpoint, {"nets": {"netG": params}, "config": {"model": {
        "name": "Pix2PixModel", "direction": "a2b", "image_shape": [3, 64, 64],
        "generator": {"name": "UnetGenerator", "input_nc": 3, "output_nc": 3,
                      "num_downs": 6, "ngf": 8}}}})
    predictor = Photo2CartoonPredictor(output_path=None, weight_path=checkpoint,
                                       output_size=64, seg="none", backend="dynamic")
    assert predictor.img_size == 64  # the training size, not U-GAT-IT's 256
    cartoon = predictor.run(astronaut)
    result = predictor.results[0]
    assert cartoon.shape == (64, 64, 3)
    assert result.mask.min() > 0.99  # the astronaut's face crop lies inside the photo
    assert np.abs(cartoon.astype(int) - unet_forward(unet, result.photo)).max() <= 1


def test_a_unet_pdparams_is_the_cartoon_generator(unet, astronaut, tmp_path):
    weights = str(tmp_path / "unet.pdparams")
    paddle.save(unet.state_dict(), weights)
    predictor = Photo2CartoonPredictor(output_path=None, weight_path=weights, seg="none",
                                       backend="dynamic")
    assert predictor.img_size == 256
    cartoon = predictor.run(astronaut)
    assert cartoon.shape == (256, 256, 3)
    photo = predictor.results[0].photo
    assert np.abs(cartoon.astype(int) - unet_forward(unet, photo)).max() <= 1
