import os
import textwrap

import pytest

from ppgan_lite import register_all
from ppgan_lite.utils.config import load_config, parse_override, validate_config
from ppgan_lite.utils.errors import ConfigError

register_all()

BASE = """
total_iters: 10
output_dir: out
model:
  name: DCGANModel
  generator: {name: DCGenerator, norm_type: batch, input_nz: 16, input_nc: 1, output_nc: 3, ngf: 8}
  discriminator: {name: DCDiscriminator, norm_type: batch, ndf: 8, input_nc: 3}
  gan_criterion: {name: GANLoss, gan_mode: vanilla}
dataset:
  train: {name: LFWFacesDataset, size: 64, batch_size: 8}
lr_scheduler: {name: LinearDecay, learning_rate: 0.0002, start_epoch: 1, decay_epochs: 1, iters_per_epoch: 1}
optimizer:
  optimizer_G: {name: Adam, net_names: [netG], beta1: 0.5}
  optimizer_D: {name: Adam, net_names: [netD], beta1: 0.5}
log_config: {interval: 5, visiual_interval: 5}
snapshot_config: {interval: 5}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_load_and_validate_base(tmp_path):
    cfg = validate_config(load_config(write(tmp_path, "a.yaml", BASE)))
    assert cfg.model.generator.ngf == 8  # attribute access like PaddleGAN
    assert cfg["optimizer"]["optimizer_G"]["beta1"] == 0.5


def test_overrides_are_typed(tmp_path):
    path = write(tmp_path, "a.yaml", BASE)
    cfg = load_config(path, ["total_iters=3", "model.gan_criterion.gan_mode=lsgan",
                             "log_config.interval=2", "dataset.train.size=32",
                             "model.generator.ngf=16", "seed=7", "amp=false",
                             "lr_scheduler.learning_rate=1e-3",
                             "optimizer.optimizer_G.net_names=[netG]"])
    assert cfg.total_iters == 3 and isinstance(cfg.total_iters, int)
    assert cfg.model.gan_criterion.gan_mode == "lsgan"
    assert cfg.amp is False and cfg.seed == 7
    assert cfg.lr_scheduler.learning_rate == pytest.approx(1e-3)
    assert cfg.optimizer.optimizer_G.net_names == ["netG"]


def test_parse_override_rejects_missing_equals():
    with pytest.raises(ConfigError, match="key.sub=value"):
        parse_override("total_iters")
    assert parse_override("a.b=[1, 2]") == (["a", "b"], [1, 2])


def test_unknown_override_top_level_key_names_close_match(tmp_path):
    with pytest.raises(ConfigError, match="Did you mean 'total_iters'"):
        load_config(write(tmp_path, "a.yaml", BASE), ["total_iter=3"])


def test_base_inheritance_and_delete(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", """
        _base_: base.yaml
        total_iters: 99
        model:
          gan_criterion: {name: GANLoss, gan_mode: hinge}
        log_config:
          _delete_: true
          interval: 1
    """)
    cfg = load_config(child)
    assert cfg.total_iters == 99
    assert cfg.model.gan_criterion.gan_mode == "hinge"
    assert cfg.model.generator.ngf == 8  # inherited, merged
    assert cfg.log_config == {"interval": 1}  # replaced, not merged
    validate_config(cfg)


def test_base_loop_is_an_error(tmp_path):
    write(tmp_path, "x.yaml", "_base_: y.yaml\n")
    write(tmp_path, "y.yaml", "_base_: x.yaml\n")
    with pytest.raises(ConfigError, match="loop"):
        load_config(str(tmp_path / "x.yaml"))


@pytest.mark.parametrize("override, message", [
    ("epochz=3", "Did you mean 'epochs'"),
    ("model.generator.ngff=3", "Did you mean 'ngf'"),
    ("model.generator.name=DCGenerater", "Did you mean 'DCGenerator'"),
    ("model.name=DCGANModle", "Known model"),
    ("dataset.train.name=LFWFaces", "Did you mean 'LFWFacesDataset'"),
    ("log_config.visiual_intervall=3", "Did you mean 'visiual_interval'"),
    ("total_iters=ten", "must be an integer"),
    ("model.generator.ngf=abc", "must be"),
    ("optimizer.optimizer_G.bta1=0.5", "Did you mean 'beta1'"),
    ("lr_scheduler.name=CosineDecy", "CosineDecay"),
    ("model.gan_criterion.gan_mod=x", "Did you mean 'gan_mode'"),
    # a whole section replaced by a string: the user meant one of its keys
    ("model.generator=DCGenerator", "set one of its keys instead, e.g. -o model.generator.name"),
    # no default to take the type from: the annotation says
    ("lr_scheduler.learning_rate=fast", "must be an integer or a number"),
    ("lr_scheduler.decay_epochs=many", "must be"),
    # loader keys are accepted keys of a data set section, so they are suggested
    ("dataset.train.batchsize=20", "Did you mean 'batch_size'"),
])
def test_each_config_error_is_one_clear_line(tmp_path, override, message):
    path = write(tmp_path, "a.yaml", BASE)
    with pytest.raises(ConfigError) as err:
        validate_config(load_config(path, [override]))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_pipeline_step_is_matched_among_transforms(tmp_path):
    """A misspelt step in PaddleGAN's Transforms pipeline is named among the
    transforms (Resize), not among the top-level preprocess steps."""
    path = write(tmp_path, "a.yaml", BASE + textwrap.dedent("""
        dataset:
          train:
            name: SingleDataset
            dataroot: data/x
            batch_size: 8
            preprocess:
              - {name: LoadImageFromFile, key: A}
              - name: Transforms
                input_keys: [A]
                pipeline:
                  - {name: Resise, size: [64, 64]}
    """))
    with pytest.raises(ConfigError) as err:
        validate_config(load_config(path))
    assert "Did you mean 'Resize'" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(write(tmp_path, "bad.yaml", "a: [1, 2\nb: 3\n"))


def test_shipped_configs_validate():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    configs = sorted(os.listdir(os.path.join(root, "configs")))
    assert configs
    for name in configs:
        if name.endswith(".yaml"):
            validate_config(load_config(os.path.join(root, "configs", name)))
