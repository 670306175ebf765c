import json
import os
import subprocess
import sys

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
