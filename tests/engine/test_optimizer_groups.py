"""Optimizer groups: a config's groups must be the ones the model steps (one line
before any work otherwise), and each group's learning rate or schedule is honoured,
logged and resumed."""
import os
import shutil

import pytest

from ppgan_lite import register_all
from ppgan_lite.engine.cli import main
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.solver.lr_scheduler import group_schedule_configs
from ppgan_lite.utils.config import load_config, validate_config
from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.logger import read_jsonl

from test_trainer import CONFIG, TINY

register_all()


def trainer(run_dir, extra=(), **kwargs):
    """test_trainer's tiny DCGAN: 6 iterations, a log line each, a checkpoint at 3."""
    six = TINY + ["total_iters=6", "snapshot_config.interval=3",
                  "log_config.visiual_interval=100"]
    cfg = validate_config(load_config(CONFIG, six + list(extra)))
    return Trainer(cfg, str(run_dir), **kwargs)


def rates(run_dir):
    return {r["iter"]: {k: v for k, v in r.items() if k.startswith("lr")}
            for r in read_jsonl(os.path.join(run_dir, "log.jsonl")) if "D_real_loss" in r}


def test_groups_named_otherwise_are_one_line_before_any_work(tmp_path, capsys):
    config = tmp_path / "renamed.yaml"
    config.write_text(f"_base_: {CONFIG}\noutput_dir: {tmp_path / 'out'}\noptimizer:\n"
                      "  _delete_: true\n"
                      "  optimG: {name: Adam, net_names: [netG], beta1: 0.5}\n"
                      "  optimD: {name: Adam, net_names: [netD], beta1: 0.5}\n")
    assert main(["-c", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "DCGANModel steps the optimizer groups optimizer.optimizer_G (nets netG), " \
           "optimizer.optimizer_D (nets netD)" in err
    assert "names optimG, optimD" in err
    assert not (tmp_path / "out").exists()  # no run folder


def test_a_missing_group_is_named_too():
    cfg = load_config(CONFIG, ["optimizer={optimizer_G: {name: Adam}}"])
    with pytest.raises(ConfigError, match="names optimizer_G: use those group names"):
        validate_config(cfg)


def test_net_names_default_to_the_models_declaration(tmp_path):
    t = trainer(tmp_path / "run", ["optimizer={optimizer_G: {name: Adam, beta1: 0.5}, "
                                   "optimizer_D: {name: Adam, beta1: 0.5}}"])
    params_g = {p.name for p in t.model.nets["netG"].parameters()}
    assert {p.name for p in t.optimizers["optimizer_G"]._parameter_list} == params_g


def test_group_learning_rate_takes_the_shared_schedule_at_its_own_rate(tmp_path):
    """lr_scheduler (LinearDecay, 2e-4, decaying from epoch 0) is shared; optimizer_D
    sets learning_rate 1e-3: D follows the same curve from 1e-3, G from 2e-4."""
    run = tmp_path / "run"
    t = trainer(run, ["optimizer.optimizer_D.learning_rate=0.001",
                      "lr_scheduler.start_epoch=0", "lr_scheduler.decay_epochs=1",
                      "lr_scheduler.iters_per_epoch=1"])
    assert t.optimizers["optimizer_D"].get_lr() == pytest.approx(1e-3 * 0.5)
    assert t.optimizers["optimizer_G"].get_lr() == pytest.approx(2e-4 * 0.5)
    t.train()
    logged = rates(str(run))
    assert set(logged[1]) == {"lr_optimizer_G", "lr_optimizer_D"}  # they differ: both
    for it, r in logged.items():
        assert r["lr_optimizer_D"] == pytest.approx(5 * r["lr_optimizer_G"]), it


def test_group_lr_scheduler_wins_and_resume_restores_each_schedule(tmp_path):
    extra = ["optimizer.optimizer_G.lr_scheduler={name: MultiStepDecay, learning_rate: 0.001,"
             " milestones: [2, 4], gamma: 0.1}"]
    full = tmp_path / "full"
    trainer(full, extra).train()
    logged = rates(str(full))
    # a log record follows the step: iteration k's record shows the rate for k + 1
    assert [round(logged[i]["lr_optimizer_G"], 9) for i in range(1, 7)] == \
        [1e-3, 1e-4, 1e-4, 1e-5, 1e-5, 1e-5]
    assert all(r["lr_optimizer_D"] == pytest.approx(2e-4) for r in logged.values())
    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    shutil.copy(full / "checkpoints" / "iter_00000003.ckpt.npz", part / "checkpoints")
    trainer(part, extra, resume=str(part / "checkpoints" / "iter_00000003.ckpt.npz")).train()
    resumed = rates(str(part))
    assert sorted(resumed) == [4, 5, 6]
    for it in resumed:
        assert resumed[it] == pytest.approx(logged[it]), it


def test_schedule_configs_say_what_each_group_gets():
    cfg = {"lr_scheduler": {"name": "LinearDecay", "learning_rate": 2e-4, "start_epoch": 1,
                            "decay_epochs": 1},
           "optimizer": {"g": {"name": "Adam"}, "d": {"name": "Adam", "learning_rate": 4e-4},
                         "e": {"name": "Adam", "lr_scheduler": {"name": "ConstantLR",
                                                                "learning_rate": 1e-3}}}}
    got = group_schedule_configs(cfg, multipliers={"d": 0.5})
    assert got["g"] == cfg["lr_scheduler"]
    assert got["d"] == {**cfg["lr_scheduler"], "learning_rate": pytest.approx(2e-4)}
    assert got["e"] == {"name": "ConstantLR", "learning_rate": 1e-3}
    plain = group_schedule_configs({"optimizer": {"g": {"name": "Adam"}}})
    assert plain["g"] == {"name": "ConstantLR", "learning_rate": 2e-4}
    clash = {"optimizer": {"g": {"name": "Adam", "learning_rate": 1e-3,
                                 "lr_scheduler": {"name": "ConstantLR", "learning_rate": 2e-3}}}}
    with pytest.raises(ConfigError, match="keep one of the two"):
        group_schedule_configs(clash)


def test_a_word_for_a_group_learning_rate_is_one_line():
    cfg = load_config(CONFIG, ["optimizer.optimizer_G.learning_rate=fast"])
    with pytest.raises(ConfigError, match="optimizer.optimizer_G.learning_rate"):
        validate_config(cfg)
