import inspect
import json
import os
import subprocess
import sys
import types

import pytest

from scripts import load_script, one_error_line

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "benchmark.py")


def test_a_case_prints_one_json_line_with_speed_work_and_settings():
    res = subprocess.run([sys.executable, SCRIPT, "--cases", "dcgan32", "--modes",
                          "tuned,defaults", "--runs", "1", "--warmup", "0"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    tuned, defaults = [json.loads(line) for line in res.stdout.splitlines()]
    assert tuned["mode"] == "tuned" and defaults["mode"] == "defaults"
    assert tuned["median_s_per_iter"] > 0 and tuned["peak_rss_mb"] > 100
    assert tuned["gflop_per_iter"] > 1  # DCGAN-32 at batch 64 is several GFLOP
    assert tuned["cpu"]["settings"]["OMP_NUM_THREADS"]["why"]
    assert defaults["cpu"]["settings"] == {}  # Paddle's own settings, untouched
    assert "speedup_vs_defaults" in defaults


def test_unknown_case_is_one_line_and_exit_2():
    res = subprocess.run([sys.executable, SCRIPT, "--cases", "dcgan99"], capture_output=True,
                         text=True)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "dcgan64" in res.stderr


def test_an_experiment_mode_reports_its_change():
    # bf16: a CPU without bfloat16 kernels must say so rather than time float32 as bf16
    res = subprocess.run([sys.executable, SCRIPT, "--cases", "dcgan32", "--modes", "bf16",
                          "--runs", "1", "--warmup", "0"], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.splitlines()[-1])
    assert out["mode"] == "bf16" and out["median_s_per_iter"] > 0
    assert out["bf16_autocast_output"] in ("float32", "bfloat16")
    assert out["bf16_conv_kernel"] == "none" or out["bf16_conv_kernel"] == "yes"


def test_unknown_mode_is_one_line_and_exit_2():
    res = subprocess.run([sys.executable, SCRIPT, "--cases", "dcgan32", "--modes", "fp8"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "onednn" in res.stderr


# ---------------------------------------------------------------- side by side with PyTorch
# No torch and no timing here: ppgan_lite's runs are stubbed, and the "PyTorch" is a
# tiny script that prints the JSON line tools/torch_reference.py's worker would.
FAKE_TORCH = """#!/bin/sh
# argv: torch_reference.py --worker CASE ...: answer for CASE, echoing the arguments
echo "{\\"case\\": \\"$3\\", \\"framework\\": \\"torch fake\\", \\"batch\\": 1, \\"runs\\": 1,"\\
     "\\"median_s_per_iter\\": 2.0, \\"peak_rss_mb\\": 1000.0, \\"threads\\": \\"$OMP_NUM_THREADS\\","\\
     "\\"argv\\": \\"$*\\"}"
"""


@pytest.fixture
def bench(monkeypatch):
    module = load_script("tools/benchmark.py")
    calls = []

    def fake_run_case(case, mode, runs, warmup):  # ours: 3 s then 4 s, 1500 then 1600 MB
        calls.append(("ours", case, mode, runs, warmup))
        n = sum(c[0] == "ours" for c in calls)
        return {"case": case, "mode": mode, "batch": 1, "median_s_per_iter": 2.0 + n,
                "peak_rss_mb": 1400.0 + 100 * n, "img_per_s": 0.5, "gflop_per_iter": 1.0,
                "gflop_per_s": 0.5}

    real_run_torch = module.run_torch

    def logged_run_torch(case, runs, warmup, python):
        calls.append(("torch", case, runs, warmup))
        return real_run_torch(case, runs, warmup, python)

    monkeypatch.setattr(module, "run_case", fake_run_case)
    monkeypatch.setattr(module, "run_torch", logged_run_torch)
    module.calls = calls
    return module


def fake_torch(tmp_path):
    path = tmp_path / "python"
    path.write_text(FAKE_TORCH)
    path.chmod(0o755)
    return str(path)


def test_twin_alternates_with_ours_and_the_ratio_is_ours_over_torch(bench, tmp_path, capsys):
    code = bench.main(["--cases", "p2c256_nofaceid", "--modes", "tuned", "--runs", "3",
                       "--warmup", "1", "--rounds", "2", "--threads", "1",
                       "--torch-python", fake_torch(tmp_path)])
    assert code == 0
    assert [c[0] for c in bench.calls] == ["ours", "torch", "ours", "torch"]
    assert all(c[-2:] == (3, 1) for c in bench.calls)  # the same iteration counts
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 5  # four runs, then the summary
    twin, summary = lines[1], lines[-1]
    assert twin["case"] == "p2c256_nofaceid" and twin["twin"] == "p2c256"
    assert twin["framework"] == "torch fake"  # the fake was asked for the twin p2c256
    assert twin["threads"] == "1"  # --threads reaches PyTorch's process too
    assert summary["mode"] == "vs_torch" and summary["rounds"] == 2
    assert summary["x_torch_rounds"] == [1.5, 2.0]  # 3/2 and 4/2
    assert summary["x_torch"] == 1.75 and summary["s_per_iter"] == 3.5
    assert summary["peak_rss_mb"] == 1600.0 and summary["rss_x_torch"] == 1.6


def test_the_twins_repositories_pass_through_to_pytorch(bench, tmp_path, capsys):
    assert bench.main(["--cases", "pix2pix256,cyclegan256", "--modes", "tuned",
                       "--cyclegan-repo", "/repos/junyanz", "--photo2cartoon-repo",
                       "/repos/minivision", "--torch-python", fake_torch(tmp_path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    twins = [line for line in lines if line.get("mode") == "torch"]
    assert [t["twin"] for t in twins] == ["pix2pix256", "cyclegan256"]
    for twin in twins:
        argv = twin["argv"].split()
        assert argv[argv.index("--cyclegan-repo") + 1] == "/repos/junyanz"
        assert argv[argv.index("--photo2cartoon-repo") + 1] == "/repos/minivision"
    assert [line["case"] for line in lines if line["mode"] == "vs_torch"] == \
        ["pix2pix256", "cyclegan256"]


def test_without_the_repo_flags_the_twins_look_under_the_mirrors(bench, tmp_path, capsys):
    assert bench.main(["--cases", "cyclegan256", "--modes", "tuned", "--torch-python",
                       fake_torch(tmp_path)]) == 0
    twin = json.loads(capsys.readouterr().out.splitlines()[1])
    argv = twin["argv"].split()
    assert argv[argv.index("--cyclegan-repo") + 1] == \
        bench.torch_reference.DEFAULT_CYCLEGAN_REPO
    assert argv[argv.index("--photo2cartoon-repo") + 1] == bench.torch_reference.DEFAULT_P2C_REPO


def test_every_twin_has_the_batch_and_image_size_of_its_case():
    bench = load_script("tools/benchmark.py")
    twins = bench.torch_reference.CASES
    assert set(bench.TORCH_TWINS.values()) == set(twins)  # no twin left unpaired
    for case, twin in bench.TORCH_TWINS.items():
        _, size, batch = twins[twin]
        spec = bench.CASES[case]
        assert batch == spec["batch"], case
        assert {shape[1:] for shape in spec["inputs"].values()} == {(size, size)}, case


def test_the_pix2pix_and_cyclegan_twins_take_the_configs_settings():
    import paddle

    from ppgan_lite.models.cycle_gan_model import CycleGANModel
    from ppgan_lite.utils.config import load_config

    twins = load_script("tools/torch_reference.py")
    beta2 = inspect.signature(paddle.optimizer.Adam).parameters["beta2"].default
    configs = {}
    for config, settings in (("pix2pix_facades.yaml", twins.PIX2PIX),
                             ("cyclegan_horse2zebra.yaml", twins.CYCLEGAN)):
        cfg = configs[config] = load_config(os.path.join(ROOT, "configs", config), [])
        g, d = cfg.model.generator, cfg.model.discriminator
        assert (g.ngf, g.norm_type, g.use_dropout) == (
            settings["ngf"], settings["norm"], settings["use_dropout"]), config
        assert (d.ndf, d.n_layers, d.norm_type) == (
            settings["ndf"], settings["n_layers"], settings["norm"]), config
        assert cfg.model.gan_criterion.gan_mode == settings["gan_mode"], config
        assert cfg.model.gan_criterion.get("loss_weight", 1.0) == 1.0, config
        assert cfg.lr_scheduler.learning_rate == settings["lr"], config
        for group in cfg.optimizer.values():
            assert (group.beta1, group.get("beta2", beta2)) == settings["betas"], config
    pix2pix = configs["pix2pix_facades.yaml"].model
    assert pix2pix.generator.num_downs == twins.CASES["pix2pix256"][1].bit_length() - 1
    assert pix2pix.pixel_criterion.loss_weight == twins.PIX2PIX["l1_weight"]
    cyclegan = configs["cyclegan_horse2zebra.yaml"].model
    defaults = inspect.signature(CycleGANModel).parameters
    for key in ("lambda_a", "lambda_b", "pool_size"):
        assert cyclegan.get(key, defaults[key].default) == twins.CYCLEGAN[key], key
    assert cyclegan.generator.n_blocks == twins.CYCLEGAN["n_blocks"]
    assert cyclegan.idt_criterion.loss_weight == twins.CYCLEGAN["identity_weight"]
    assert cyclegan.cycle_criterion.get("loss_weight", 1.0) == 1.0


def test_the_twins_call_junyanz_gan_loss_in_either_of_his_signatures():
    twins = load_script("tools/torch_reference.py")

    class Since2019:
        def __init__(self, gan_mode, target_real_label=1.0, target_fake_label=0.0):
            self.arg = gan_mode

    class Before:
        def __init__(self, use_lsgan=True, target_real_label=1.0, target_fake_label=0.0):
            self.arg = use_lsgan

    new, old = types.SimpleNamespace(GANLoss=Since2019), types.SimpleNamespace(GANLoss=Before)
    loss, sigmoid = twins.junyanz_gan_loss(new, "vanilla")
    assert loss.arg == "vanilla" and not sigmoid  # BCE with logits: no sigmoid in D
    loss, sigmoid = twins.junyanz_gan_loss(old, "vanilla")
    assert loss.arg is False and sigmoid  # his old BCELoss wants probabilities
    loss, sigmoid = twins.junyanz_gan_loss(old, "lsgan")
    assert loss.arg is True and not sigmoid


def test_a_case_without_twin_runs_alone(bench, tmp_path, capsys):
    assert bench.main(["--cases", "cgan32", "--modes", "tuned", "--torch-python",
                       fake_torch(tmp_path)]) == 0
    assert [c[0] for c in bench.calls] == ["ours"]
    assert "x_torch" not in capsys.readouterr().out


def test_a_missing_torch_interpreter_is_an_error_in_the_summary(bench, tmp_path, capsys):
    assert bench.main(["--cases", "dcgan64", "--modes", "tuned", "--torch-python",
                       str(tmp_path / "no-python")]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["mode"] == "vs_torch" and "no-python" in summary["error"][0]
    assert "x_torch" not in summary


def test_a_bad_flag_is_one_line(bench, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--torch-pyton", "/usr/bin/python"])
    assert exc.value.code == 2
    assert "--torch-pyton" in one_error_line(capsys)


def test_report_leads_with_the_ratios_and_keeps_the_notes_written_by_hand(tmp_path):
    report = load_script("tools/benchmark_report.py")
    path = tmp_path / "benchmarks.md"
    path.write_text("# old\n\n" + report.HAND_KEPT + "\n## Tried\n| lever |\n")
    pair = {"case": "dcgan64", "twin": "dcgan64", "s_per_iter": 2.6, "torch_s_per_iter": 2.0,
            "x_torch": 1.3, "peak_rss_mb": 800.0, "torch_peak_rss_mb": 700.0,
            "rss_x_torch": 1.14}
    row = {"case": "dcgan64", "mode": "tuned", "batch": 64, "median_s_per_iter": 2.6,
           "img_per_s": 24.6, "gflop_per_iter": 160.0, "gflop_per_s": 61.5,
           "peak_rss_mb": 800.0, "load_1min": 2.1}
    lines = report.render("header", {"tuned": {"paddle_gflop_per_s": 123.0}}, [row], [pair],
                          [], {"tuned": "ppgan_lite"})
    report.write(str(path), lines)
    text = path.read_text()
    assert text.index("Side by side with PyTorch") < text.index("Training iterations")
    assert "| dcgan64 | dcgan64 | 2.6 | 2.0 | 1.3x | 800.0 | 700.0 | 1.14x |" in text
    assert "| 50% | 800.0 | 2.1 |" in text  # 61.5 of 123 GFLOP/s
    assert text.endswith(report.HAND_KEPT + "\n## Tried\n| lever |\n")
    assert "# old" not in text


def test_report_runs_the_pairs_and_writes_the_ratio_table(bench, tmp_path, capsys):
    path = tmp_path / "docs" / "benchmarks.md"
    assert bench.main(["--report", str(path), "--cases", "dcgan64", "--runs", "1",
                       "--warmup", "0", "--threads", "1",
                       "--torch-python", fake_torch(tmp_path)]) == 0
    text = path.read_text()
    assert "--report --cases dcgan64 --runs 1 --warmup 0 --torch-python PYTHON --threads 1" in text
    # ours: matmul x2 first, then 5.0 s against the fake's 2.0 s
    assert "| dcgan64 | dcgan64 | 5.0 | 2.0 | 2.5x |" in text
    assert text.count("| dcgan64 | tuned + ") == 4  # the DCGAN experiments, a row each


def test_a_generation_case_in_both_modes_prints_both_without_a_ratio(monkeypatch, capsys):
    """Generation cases report s/image per backend, not s/iter: no speedup is computed."""
    module = load_script("tools/benchmark.py")
    monkeypatch.setattr(module, "run_case", lambda case, mode, runs, warmup: {
        "case": case, "mode": mode, "backends": {"dynamic": {"s_per_image": 8.0}}})
    assert module.main(["--cases", "stylegan2_gen1024", "--runs", "1", "--warmup", "0"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["mode"] for r in lines] == ["tuned", "defaults"]
    assert all("speedup_vs_defaults" not in r for r in lines)
