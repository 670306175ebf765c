"""U-GAT-IT / Photo2Cartoon end to end: a few iterations on the demo set built at
32 px, through the trainer, with and without the Face-ID loss."""
import math
import os
import shutil

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
from ppgan_lite import register_all
from ppgan_lite.engine.cli import main
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils import checkpoint as ckpt
from ppgan_lite.utils.config import load_config, validate_config
from ppgan_lite.utils.image_io import read_image
from ppgan_lite.utils.logger import read_jsonl
from ppgan_lite.utils.registry import MODELS, build
from paddlegan_configs import UGATIT_PHOTO2CARTOON, with_data
from scripts import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = os.path.join(ROOT, "configs")
DEMO = os.path.join(CONFIGS, "ugatit_photo2cartoon_demo.yaml")
SIZE = 32

register_all()

D_TERMS = [f"D_ad{cam}_{d}" for d in ("GA", "LA", "GB", "LB") for cam in ("", "_cam")]
G_TERMS = ([f"G_ad{cam}_{d}" for d in ("GA", "LA", "GB", "LB") for cam in ("", "_cam")]
           + [f"G_{kind}_{side}" for kind in ("cycle", "identity", "cam") for side in "AB"])
FACEID_TERMS = ["G_faceid_A", "G_faceid_B"]


def _load_prepare_data():
    return load_script("tools/prepare_data.py")


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ugatit") / "p2c_demo")
    _load_prepare_data().build_demo(out, size=SIZE, seed=0, log=lambda *_: None)
    return out


def tiny(data):
    """The demo recipe at 32 px: ngf/ndf 8, discriminators of 4/3 layers."""
    return [f"dataset.train.dataroot_a={data}/trainA", f"dataset.train.dataroot_b={data}/trainB",
            f"dataset.test.dataroot_a={data}/testA", f"dataset.test.dataroot_b={data}/testB",
            "dataset.train.preprocess.2.pipeline.0.size=[36,36]",
            f"dataset.train.preprocess.2.pipeline.1.size=[{SIZE},{SIZE}]",
            f"dataset.test.preprocess.2.pipeline.0.size=[{SIZE},{SIZE}]",
            "dataset.test.batch_size=2",
            "model.generator.ngf=8", f"model.generator.img_size={SIZE}",
            "model.discriminator_g.ndf=8", "model.discriminator_g.n_layers=4",
            "model.discriminator_l.ndf=8", "model.discriminator_l.n_layers=3",
            "log_config.interval=1", "log_config.visiual_interval=2",
            "snapshot_config.interval=2", "validate.interval=3", "total_iters=3"]


def make_trainer(data, run_dir, extra=(), **kwargs):
    cfg = validate_config(load_config(DEMO, tiny(data) + list(extra)))
    return Trainer(cfg, str(run_dir), **kwargs)


def loss_records(run_dir):
    return {r["iter"]: r for r in read_jsonl(os.path.join(run_dir, "log.jsonl"))
            if "G_loss" in r}


@pytest.fixture(scope="module")
def full_run(demo_data, tmp_path_factory):
    run = tmp_path_factory.mktemp("ugatit_full")
    trainer = make_trainer(demo_data, run)
    trainer.train()
    return trainer, run


def fresh_model(demo_data):
    cfg = validate_config(load_config(DEMO, tiny(demo_data)))
    paddle.seed(0)
    model = build(cfg.model, MODELS, "model")
    model.setup_optimizers(1e-4, cfg.optimizer)
    model.setup_train_mode(True)
    rng = np.random.default_rng(0)
    batch = {k: paddle.to_tensor(rng.uniform(-1, 1, (1, 3, SIZE, SIZE)).astype("float32"))
             for k in ("A", "B")}
    model.setup_input(batch)
    return model


def test_every_loss_term_is_logged_and_finite(full_run):
    trainer, run = full_run
    records = loss_records(str(run))
    assert sorted(records) == [1, 2, 3]
    for record in records.values():
        for key in D_TERMS + G_TERMS + ["D_loss", "G_loss"]:
            assert key in record and math.isfinite(record[key]), key
        assert not any(key.startswith("G_faceid") for key in record)
    # the G loss is the paper's weighted sum of its logged terms (Eq. 6)
    r = records[1]
    model = trainer.model
    expected = (model.adv_weight * sum(r[k] for k in G_TERMS if k.startswith("G_ad"))
                + model.cycle_weight * (r["G_cycle_A"] + r["G_cycle_B"])
                + model.identity_weight * (r["G_identity_A"] + r["G_identity_B"])
                + model.cam_weight * (r["G_cam_A"] + r["G_cam_B"]))
    assert r["G_loss"] == pytest.approx(expected, rel=1e-4)
    assert r["D_loss"] == pytest.approx(sum(r[k] for k in D_TERMS), rel=1e-4)
    for name in ("loss_curve.png", "samples/final.png", "samples/iter_00000002.png",
                 "visual_train/iter_00000002.png", "checkpoints/iter_00000003.ckpt.npz"):
        assert (run / name).is_file(), name


def test_validation_writes_heatmap_visuals(full_run, demo_data):
    trainer, run = full_run
    grid = read_image(str(run / "visual_test" / "iter_00000003_0.png"))
    # 2 test samples x (real, fake, cycle, heatmap per direction): 8 columns of 32 px
    assert grid.shape == (2 * (SIZE + 2) + 2, 8 * (SIZE + 2) + 2, 3)
    model = trainer.model
    model.setup_train_mode(False)
    trainer.test_loader.set_epoch(0)
    model.setup_input(next(iter(trainer.test_loader)))
    model.test_iter()
    visuals = model.get_current_visuals()
    for key in ("heatmap_A2B", "heatmap_B2A"):
        heat = visuals[key].numpy()
        assert heat.shape == (2, 3, SIZE, SIZE)
        assert heat.min() >= -1.0 and heat.max() <= 1.0 and heat.std() > 0.05
    # JET colouring: each map is min-max scaled, so its extremes are deep blue and red
    first = visuals["heatmap_A2B"].numpy()[0]
    assert first[2].max() > 0.0 and first[0].max() > 0.0
    for key in ("real_A", "fake_A2B", "rec_A", "real_B", "fake_B2A", "rec_B"):
        assert list(visuals[key].shape) == [2, 3, SIZE, SIZE], key


def test_resume_reproduces_the_uninterrupted_losses(full_run, demo_data, tmp_path):
    _, full = full_run
    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    shutil.copy(full / "checkpoints" / "iter_00000002.ckpt.npz", part / "checkpoints")
    make_trainer(demo_data, part, ["validate.interval=-1", "log_config.visiual_interval=100"],
                 resume=str(part / "checkpoints" / "iter_00000002.ckpt.npz")).train()
    a, b = loss_records(str(full)), loss_records(str(part))
    assert sorted(b) == [3]
    for it in b:
        for key in D_TERMS + G_TERMS + ["D_loss", "G_loss"]:
            assert b[it][key] == pytest.approx(a[it][key], rel=1e-5, abs=1e-6), (it, key)
    wa = ckpt.load_state(str(full / "checkpoints" / "iter_00000003.ckpt.npz"))["nets"]
    wb = ckpt.load_state(str(part / "checkpoints" / "iter_00000003.ckpt.npz"))["nets"]
    assert sorted(wa) == ["disGA", "disGB", "disLA", "disLB", "genA2B", "genB2A"]
    for net in wa:
        for key in wa[net]:
            np.testing.assert_allclose(wa[net][key], wb[net][key], rtol=1e-5, atol=1e-6,
                                       err_msg=f"{net}.{key}")


def test_faceid_weight_adds_the_identity_terms(demo_data, tmp_path):
    run = tmp_path / "faceid"
    make_trainer(demo_data, run, ["model.faceid_weight=1.0", "total_iters=1",
                                  "validate.interval=-1", "log_config.visiual_interval=100"]
                 ).train()
    records = loss_records(str(run))
    assert sorted(records) == [1]
    for record in records.values():
        for key in D_TERMS + G_TERMS + FACEID_TERMS:
            assert key in record and math.isfinite(record[key]), key
        # cosine distances of dlib embeddings: a fresh generator's cartoon is not the photo
        for key in FACEID_TERMS:
            assert 0.0 < record[key] <= 2.0, key


def test_rho_clipper_keeps_mixing_weights_in_unit_interval(demo_data):
    model = fresh_model(demo_data)
    clipped = []
    for name in ("genA2B", "genB2A"):
        for key, param in model.nets[name].named_parameters():
            if key.rsplit(".", 1)[-1] in ("rho", "w_gamma", "w_beta"):
                param.set_value(paddle.full(param.shape, 1.7 if len(clipped) % 2 else -0.4))
                clipped.append((name, key))
    assert len(clipped) >= 2 * (4 * 2 * 3 + 2)  # Soft-AdaLIN (rho, w_gamma, w_beta) + LIN
    model.test_iter()
    assert "heatmap_A2B" in model.get_current_visuals()
    model.setup_train_mode(True)
    model.train_iter(model.optimizers)
    # training visuals show this batch only, not the last test batch's heatmaps
    assert not any(k.startswith("heatmap") for k in model.get_current_visuals())
    for name, key in clipped:
        value = dict(model.nets[name].named_parameters())[key].numpy()
        assert value.min() >= 0.0 and value.max() <= 1.0, (name, key)


def test_d_step_leaves_generator_gradients_alone(demo_data):
    model = fresh_model(demo_data)
    for opt in model.optimizers.values():
        opt.clear_grad()
    model.forward()
    model.backward_D()
    gen_params = [p for n in ("genA2B", "genB2A") for p in model.nets[n].parameters()]
    assert gen_params
    for p in gen_params:
        assert p.grad is None or float(paddle.abs(p.grad).max()) == 0.0, p.name
    dis_grads = [p.grad for n in ("disGA", "disGB", "disLA", "disLB")
                 for p in model.nets[n].parameters() if p.grad is not None]
    assert dis_grads and max(float(paddle.abs(g).max()) for g in dis_grads) > 0.0





def test_paddlegan_yaml_trains_unchanged(demo_data, tmp_path):
    config = tmp_path / "ugatit_photo2cartoon.yaml"
    config.write_text(with_data(UGATIT_PHOTO2CARTOON, demo_data))
    run = tmp_path / "run"
    code = main(["-c", str(config), "--output-dir", str(run), "-o", "total_iters=1",
                 "log_config.interval=1", "model.generator.ngf=8",
                 f"model.generator.img_size={SIZE}", "model.discriminator_g.ndf=8",
                 "model.discriminator_g.n_layers=4", "model.discriminator_l.ndf=8",
                 "model.discriminator_l.n_layers=3",
                 "dataset.train.preprocess.2.pipeline.0.size=[36,36]",
                 f"dataset.train.preprocess.2.pipeline.1.size=[{SIZE},{SIZE}]"])
    assert code == 0
    records = loss_records(str(run))
    assert sorted(records) == [1]
    assert all(key in records[1] for key in D_TERMS + G_TERMS)
    assert records[1]["lr"] == pytest.approx(1e-4)
    assert (run / "checkpoints" / "iter_00000001.ckpt.npz").is_file()


def test_our_recipes_match_paddlegan(tmp_path):
    """The shipped configs state PaddleGAN's settings (plus the Face-ID term)."""
    p2c = validate_config(load_config(os.path.join(CONFIGS, "ugatit_photo2cartoon.yaml")))
    paddlegan = load_config(_write(tmp_path, with_data(UGATIT_PHOTO2CARTOON, "d")))
    for section in ("model", "lr_scheduler", "optimizer", "log_config", "snapshot_config"):
        ours, theirs = dict(p2c[section]), dict(paddlegan[section])
        if section == "model":
            assert ours.pop("faceid_weight") == 1.0
        assert ours == theirs, section
    assert p2c.epochs == 300 and p2c.dataset.train.dataroot_a == "data/photo2cartoon/trainA"

    anime = validate_config(load_config(os.path.join(CONFIGS, "ugatit_selfie2anime_light.yaml")))
    assert anime.model.generator == {"name": "ResnetUGATITGenerator", "input_nc": 3,
                                     "output_nc": 3, "ngf": 64, "n_blocks": 4,
                                     "img_size": 256, "light": True}
    assert anime.model.discriminator_g.ndf == anime.model.discriminator_l.ndf == 64
    assert (anime.model.discriminator_g.n_layers, anime.model.discriminator_l.n_layers) == (7, 5)
    assert (anime.model.cycle_weight, anime.model.identity_weight,
            anime.model.cam_weight, anime.model.faceid_weight) == (10.0, 10.0, 1000.0, 0.0)
    assert anime.dataset.test.dataroot_b == "data/selfie2anime/testB"

    demo = validate_config(load_config(DEMO))
    assert demo.total_iters > 0 and demo.dataset.train.dataroot_a.startswith(
        "data/photo2cartoon_demo/")


def _write(tmp_path, text):
    path = tmp_path / "paddlegan.yaml"
    path.write_text(text)
    return str(path)


def test_headline_command_without_data_is_one_line(tmp_path, capsys):
    missing = tmp_path / "photo2cartoon"
    code = main(["-c", os.path.join(CONFIGS, "ugatit_photo2cartoon.yaml"),
                 "--output-dir", str(tmp_path / "r"), "-o",
                 f"dataset.train.dataroot_a={missing}/trainA",
                 f"dataset.train.dataroot_b={missing}/trainB"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert f"{missing}/trainA" in err and "does not exist" in err and "data/README.md" in err
