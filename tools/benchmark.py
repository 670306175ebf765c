#!/usr/bin/env python
"""Time training iterations per model, under ppgan_lite's CPU settings and under
Paddle's defaults, and print one JSON line per case.

    python tools/benchmark.py                       # every case, tuned vs defaults
    python tools/benchmark.py --cases dcgan64 --runs 5 --modes tuned

Each (case, mode) runs in a fresh process, because thread and MKL settings only take
effect before paddle is imported. An iteration is one full ``train_iter`` (every D and
G step) on a synthetic batch, so data loading is not part of the figure; the trainer's
own log reports reader_cost for that.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# name: config, overrides, batch size, input tensors (key -> CHW), labels
CASES = {
    "dcgan64": dict(config="configs/dcgan_lfw.yaml", batch=64,
                    overrides=["model.generator.img_size=64",
                               "model.discriminator.img_size=64"],
                    inputs={"A": (3, 64, 64)}),
    "dcgan32": dict(config="configs/dcgan_lfw.yaml", batch=64, overrides=[],
                    inputs={"A": (3, 32, 32)}),
    # photo2cartoon as the headline recipe trains it (Face-ID loss included)
    "p2c256": dict(config="configs/ugatit_photo2cartoon.yaml", batch=1, overrides=[],
                   inputs={"A": (3, 256, 256), "B": (3, 256, 256)}),
    "p2c128": dict(config="configs/ugatit_photo2cartoon.yaml", batch=1,
                   overrides=["model.generator.img_size=128"],
                   inputs={"A": (3, 128, 128), "B": (3, 128, 128)}),
}


def _worker(case_name, runs, warmup):
    import ppgan_lite  # noqa: F401  (applies the CPU settings unless disabled)
    from ppgan_lite.utils.runtime import import_paddle_quietly

    paddle = import_paddle_quietly()
    import numpy as np

    from ppgan_lite.engine.cli import register_all
    from ppgan_lite.utils import runtime
    from ppgan_lite.utils.config import load_config
    from ppgan_lite.utils.registry import MODELS, build

    register_all()
    case = CASES[case_name]
    cfg = load_config(os.path.join(ROOT, case["config"]), case["overrides"])
    paddle.seed(0)
    model = build(cfg.model, MODELS, "model")
    model.setup_optimizers(2e-4, cfg.optimizer)
    model.setup_train_mode(True)
    rng = np.random.default_rng(0)
    batch = {k: paddle.to_tensor(rng.uniform(-1, 1, (case["batch"],) + shape)
                                 .astype("float32")) for k, shape in case["inputs"].items()}
    if case.get("labels"):
        batch["label"] = paddle.to_tensor(rng.integers(0, case["labels"], case["batch"]))
    times = []
    for i in range(warmup + runs):
        t = time.perf_counter()
        model.setup_input(batch)
        model.current_iter = i
        model.train_iter(model.optimizers)
        model.get_current_losses()  # a host sync, as the trainer does
        if i >= warmup:
            times.append(time.perf_counter() - t)
    median = statistics.median(times)
    return {
        "case": case_name, "batch": case["batch"], "runs": runs,
        "median_s_per_iter": round(median, 4), "min_s": round(min(times), 4),
        "max_s": round(max(times), 4), "img_per_s": round(case["batch"] / median, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": os.environ.get("OMP_NUM_THREADS", "paddle default (1)"),
        "cpu": runtime.describe(),
    }


def run_case(case, mode, runs, warmup):
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_DEBUG_CPU_TYPE"):
        env.pop(key, None) if mode == "defaults" else None
    if mode == "defaults":
        env["PPGAN_LITE_NO_CPU_TUNING"] = "1"
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", case, "--runs", str(runs),
           "--warmup", str(warmup)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"case": case, "mode": mode, "error": out.stderr.strip().splitlines()[-1:]}
    result = json.loads(lines[-1])
    result["mode"] = mode
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default=",".join(CASES),
                   help=f"comma-separated, from: {', '.join(CASES)}")
    p.add_argument("--modes", default="tuned,defaults",
                   help="tuned (ppgan_lite's CPU settings), defaults (Paddle's own)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker, args.runs, args.warmup)))
        return 0
    unknown = [c for c in args.cases.split(",") if c not in CASES]
    if unknown:
        print(f"error: unknown case(s) {unknown}; choose from {', '.join(CASES)}",
              file=sys.stderr)
        return 2
    results = {}
    for case in args.cases.split(","):
        for mode in args.modes.split(","):
            res = run_case(case, mode, args.runs, args.warmup)
            results[(case, mode)] = res
            tuned, base = results.get((case, "tuned")), results.get((case, "defaults"))
            if tuned and base and "error" not in tuned and "error" not in base:
                res["speedup_vs_defaults"] = round(
                    base["median_s_per_iter"] / tuned["median_s_per_iter"], 2)
            print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
