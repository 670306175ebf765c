#!/usr/bin/env python
"""Time training iterations per model, under ppgan_lite's CPU settings and under
Paddle's defaults, and print one JSON line per case.

    python tools/benchmark.py                       # every case, tuned vs defaults
    python tools/benchmark.py --cases dcgan64 --runs 5 --modes tuned
    python tools/benchmark.py --report              # all cases -> docs/benchmarks.md

Each (case, mode) runs in a fresh process, because thread and MKL settings only take
effect before paddle is imported. An iteration is one full ``train_iter`` (every D and
G step) on a synthetic batch, so data loading is not part of the figure; the trainer's
own log reports reader_cost for that.

Besides ``tuned`` and ``defaults``, a mode can be ``tuned`` plus one change Paddle
offers (``EXPERIMENTS``); ``--report`` times them on the DCGAN cases so each change's
before/after is on record, whether it was kept or not.
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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchmark_stylegan2  # noqa: E402  (the StyleGAN2 cases' workers)

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
    # PaddleGAN's recipes as published: pix2pix unet256 (facades, batch norm) and
    # CycleGAN with 9 residual blocks (horse2zebra: two generators, two PatchGANs)
    "pix2pix256": dict(config="configs/pix2pix_facades.yaml", batch=1, overrides=[],
                       inputs={"A": (3, 256, 256), "B": (3, 256, 256)}),
    "cyclegan256": dict(config="configs/cyclegan_horse2zebra.yaml", batch=1, overrides=[],
                        inputs={"A": (3, 256, 256), "B": (3, 256, 256)}),
    # conditional DCGAN, one class per digit (GAN-CLS's three D terms)
    "cgan32": dict(config="configs/cgan_digits.yaml", batch=64, overrides=[],
                   inputs={"A": (1, 32, 32)}, labels=10),
    # PGGAN at its final level (the MNIST recipe's nets grown to 32 px, its batch 16):
    # lod_initial_resolution 32 starts the schedule there (WGAN-GP's double backward
    # included)
    "pggan32": dict(config="configs/pggan_mnist32.yaml", batch=16,
                    overrides=["model.lod_initial_resolution=32"],
                    inputs={"A": (1, 32, 32)}),
    # the photo2cartoon predictor on a 1024-px photo, end to end (not training)
    "predictor": dict(kind="predictor", batch=1),
    # PaddleGAN's StyleGAN2 FFHQ recipe at 256 px (batch 3): plain, path-length and R1
    # iterations timed apart, s/iter amortised over the lazy-regularisation intervals
    "stylegan2_256": dict(kind="stylegan2_train", config="configs/stylegan_v2_256_ffhq.yaml",
                          batch=3, overrides=[], inputs={"A": (3, 256, 256)}),
    # the 1024 px ffhq-config-f generator (random weights), one image per call
    "stylegan2_gen1024": dict(kind="stylegan2_generate", batch=1),
}
# backend, or (backend, segmentation): faceseg with random weights costs what
# PaddleGAN's trained ones do
PREDICTOR_BACKENDS = ("onnxruntime", "paddle", "dynamic", ("onnxruntime", "faceseg"),
                      ("dynamic", "faceseg"))
SETTINGS = {"tuned": "ppgan_lite (threads = cores, MKL AVX2 path on AMD)",
            "defaults": "Paddle defaults (1 thread)"}
# tuned + one change: what the training step would gain from it
EXPERIMENTS = {"onednn": "oneDNN kernels (FLAGS_use_mkldnn=1)",
               "to_static": "nets under paddle.jit.to_static",
               "multi_tensor": "Adam with use_multi_tensor=True",
               "bf16": "paddle.amp.auto_cast(dtype='bfloat16')"}
EXPERIMENT_CASES = ("dcgan64", "dcgan32")


def _worker(case_name, runs, warmup, mode="tuned"):
    import ppgan_lite  # noqa: F401  (applies the CPU settings unless disabled)
    from ppgan_lite.utils.runtime import import_paddle_quietly

    paddle = import_paddle_quietly()
    import numpy as np

    from ppgan_lite import register_all
    from ppgan_lite.utils import runtime
    from ppgan_lite.utils.config import load_config
    from ppgan_lite.utils.registry import MODELS, build

    register_all()
    case = CASES[case_name]
    if case.get("kind") == "predictor":
        return _predictor_worker(runs, warmup)
    if case.get("kind") == "stylegan2_train":
        return benchmark_stylegan2.train_worker(case_name, case, runs, warmup, ROOT)
    if case.get("kind") == "stylegan2_generate":
        return benchmark_stylegan2.generate_worker(runs, warmup)
    cfg = load_config(os.path.join(ROOT, case["config"]), case["overrides"])
    if mode == "multi_tensor":
        for group in cfg.optimizer.values():
            group["use_multi_tensor"] = True
    paddle.seed(0)
    model = build(cfg.model, MODELS, "model")
    model.setup_optimizers(2e-4, cfg.optimizer)
    model.setup_train_mode(True)
    if mode == "to_static":
        for net in model.nets.values():
            paddle.jit.to_static(net, full_graph=True)
    notes = _bf16_notes(paddle, model) if mode == "bf16" else {}
    rng = np.random.default_rng(0)
    batch = {k: paddle.to_tensor(rng.uniform(-1, 1, (case["batch"],) + shape)
                                 .astype("float32")) for k, shape in case["inputs"].items()}
    if case.get("labels"):
        batch["label"] = paddle.to_tensor(rng.integers(0, case["labels"], case["batch"]))
    from ppgan_lite.utils.flops import count_macs, training_flops

    with count_macs(model.nets.values()) as counter:  # one untimed iteration
        model.setup_input(batch)
        model.train_iter(model.optimizers)
    flops = training_flops(counter["macs"])
    times = []
    for i in range(warmup + runs):
        t = time.perf_counter()
        model.setup_input(batch)
        model.current_iter = i
        with paddle.amp.auto_cast(enable=mode == "bf16", dtype="bfloat16"):
            model.train_iter(model.optimizers)
        model.get_current_losses()  # a host sync, as the trainer does
        if i >= warmup:
            times.append(time.perf_counter() - t)
    median = statistics.median(times)
    return {
        "case": case_name, "batch": case["batch"], "runs": runs,
        "median_s_per_iter": round(median, 4), "min_s": round(min(times), 4),
        "max_s": round(max(times), 4), "img_per_s": round(case["batch"] / median, 2),
        "gflop_per_iter": round(flops / 1e9, 2), "gflop_per_s": round(flops / 1e9 / median, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": os.environ.get("OMP_NUM_THREADS", "paddle default (1)"),
        "cpu": runtime.describe(), **notes,
    }


def _bf16_notes(paddle, model):
    """What bfloat16 does on this CPU: the dtype autocast gives the generator's output,
    and whether paddle has a CPU bfloat16 conv kernel at all."""
    import paddle.nn.functional as F

    notes = {}
    with paddle.no_grad(), paddle.amp.auto_cast(dtype="bfloat16"):
        fake = model.nets["netG"](model.noise(2))  # the DCGAN cases
    notes["bf16_autocast_output"] = str(fake.dtype).replace("paddle.", "")
    try:
        x = paddle.ones([1, 8, 8, 8], dtype="bfloat16")
        F.conv2d(x, paddle.ones([8, 8, 3, 3], dtype="bfloat16"))
        notes["bf16_conv_kernel"] = "yes"
    except Exception as exc:  # paddle raises NotFoundError for a missing kernel
        message = str(exc).splitlines()[0]
        notes["bf16_conv_kernel"] = "none" if "not registered" in message else message[:100]
    return notes


def _predictor_worker(runs, warmup):
    """Photo2CartoonPredictor on the astronaut upscaled to 1024 px, per backend: the
    full-size P2C generator (light, ngf 32, 256 px) with random weights, which cost the
    same as trained ones."""
    import tempfile

    import cv2
    import paddle
    from skimage import data

    from ppgan_lite.apps import Photo2CartoonPredictor
    from ppgan_lite.faceutils.faceseg_net import FaceSegNet
    from ppgan_lite.utils.registry import GENERATORS, build

    paddle.seed(0)
    net = build({"name": "ResnetUGATITP2CGenerator"}, GENERATORS)
    tmp = tempfile.mkdtemp(prefix="ppgan-lite-bench-")
    weights = os.path.join(tmp, "photo2cartoon_genA2B_weight.pdparams")
    paddle.save(net.state_dict(), weights)
    faceseg = os.path.join(tmp, "faceseg_FCN-HRNetW18.pdparams")
    paddle.save(FaceSegNet().state_dict(), faceseg)
    photo = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    out = {"case": "predictor", "photo": "1024x1024", "runs": runs, "backends": {}}
    for choice in PREDICTOR_BACKENDS:
        backend, seg = choice if isinstance(choice, tuple) else (choice, "selfie")
        label = backend if seg == "selfie" else f"{backend} + {seg}"
        os.environ["PPGAN_LITE_CACHE"] = os.path.join(tmp, "cache")
        try:
            predictor = Photo2CartoonPredictor(
                output_path=os.path.join(tmp, "out"), weight_path=weights, backend=backend,
                seg=seg, seg_weight_path=faceseg if seg == "faceseg" else None)
        except Exception as exc:  # onnxruntime not installed, for one
            out["backends"][label] = {"error": str(exc).splitlines()[0]}
            continue
        totals, stages = [], []
        for i in range(warmup + runs):
            t = time.perf_counter()
            predictor.run(photo)
            if i >= warmup:
                totals.append(time.perf_counter() - t)
                stages.append(dict(predictor.timings))
        out["backends"][label] = {
            "median_s": round(statistics.median(totals), 3),
            "stages_s": {k: round(statistics.median(s[k] for s in stages), 4)
                         for k in stages[0]}}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["threads"] = os.environ.get("OMP_NUM_THREADS", "paddle default (1)")
    return out


def _matmul_worker(runs):
    """GFLOP/s of a 2048^2 float32 matmul in paddle and in numpy: the roofline the
    model figures are read against."""
    import numpy as np

    import ppgan_lite  # noqa: F401
    from ppgan_lite.utils.runtime import import_paddle_quietly

    paddle = import_paddle_quietly()
    n = 2048
    a = np.random.default_rng(0).standard_normal((n, n)).astype("float32")
    out = {}
    for name, fn, x in (("paddle", paddle.matmul, paddle.to_tensor(a)),
                        ("numpy", np.matmul, a)):
        fn(x, x)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            r = fn(x, x)
            float(r[0, 0])  # wait for the result
            times.append(time.perf_counter() - t)
        out[f"{name}_gflop_per_s"] = round(2 * n ** 3 / statistics.median(times) / 1e9, 1)
    return out


def run_case(case, mode, runs, warmup):
    env = dict(os.environ)
    from ppgan_lite.utils import runtime

    # what ppgan_lite set in *this* process is not the user's: let the child choose again
    for key, (_, why) in runtime.configure().items():
        if why != "set by user":
            env.pop(key, None)
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_DEBUG_CPU_TYPE"):
        env.pop(key, None) if mode == "defaults" else None
    if mode == "defaults":
        env["PPGAN_LITE_NO_CPU_TUNING"] = "1"
    if mode == "onednn":
        env["FLAGS_use_mkldnn"] = "1"
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", case, "--runs", str(runs),
           "--warmup", str(warmup), "--mode", mode]  # fresh: CPU settings apply at import
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
                   help="tuned (ppgan_lite's CPU settings), defaults (Paddle's own), or "
                        f"tuned plus one change: {', '.join(EXPERIMENTS)}")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--report", nargs="?", const="docs/benchmarks.md", default=None,
                   metavar="PATH", help="run every case and write a Markdown report "
                                        "(default docs/benchmarks.md)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="tuned", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker == "matmul":
        print(json.dumps(_matmul_worker(args.runs)))
        return 0
    if args.worker:
        print(json.dumps(_worker(args.worker, args.runs, args.warmup, args.mode)))
        return 0
    if args.report:
        return write_report(args.report, args.runs, args.warmup)
    unknown = [c for c in args.cases.split(",") if c not in CASES]
    if unknown:
        print(f"error: unknown case(s) {unknown}; choose from {', '.join(CASES)}",
              file=sys.stderr)
        return 2
    modes = list(SETTINGS) + list(EXPERIMENTS)
    unknown = [m for m in args.modes.split(",") if m not in modes]
    if unknown:
        print(f"error: unknown mode(s) {unknown}; choose from {', '.join(modes)}",
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


def write_report(path, runs, warmup):
    """Every case under the tuned settings (DCGAN-64 also under Paddle's defaults), the
    matmul roofline, as a Markdown table."""
    import platform

    from ppgan_lite.utils import runtime

    roofline = {mode: run_case("matmul", mode, 5, 1) for mode in ("tuned", "defaults")}
    rows = []
    for case in CASES:
        for mode in (("tuned", "defaults") if case == "dcgan64" else ("tuned",)):
            res = run_case(case, mode, runs, warmup)
            print(json.dumps(res), flush=True)
            rows.append(res)
    peak = roofline["tuned"].get("paddle_gflop_per_s")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python tools/benchmark.py --report` on {time.strftime('%Y-%m-%d')}: "
        f"{platform.processor() or platform.machine()}, {runtime.cpu_vendor()}, "
        f"{runtime.usable_cores()} usable cores, Python {platform.python_version()}. "
        f"Median of {runs} runs after {warmup} warm-up; every (case, settings) in a fresh "
        "process. A training iteration is one full `train_iter` (all D and G steps) on a "
        "synthetic batch; GFLOP counts conv/linear work on the shapes used (backward as "
        "2x forward).",
        "",
        "## Roofline: 2048x2048 float32 matmul",
        "",
        "| settings | paddle GFLOP/s | numpy GFLOP/s |",
        "| --- | --- | --- |",
    ]
    for mode, r in roofline.items():
        lines.append(f"| {_settings_name(mode)} | {r.get('paddle_gflop_per_s', '-')} | "
                     f"{r.get('numpy_gflop_per_s', '-')} |")
    lines += ["", "## Training iterations", "",
              "| case | settings | batch | s/iter | img/s | GFLOP/iter | GFLOP/s | "
              "of matmul peak | peak RSS MB |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if r["case"] in ("predictor", "stylegan2_gen1024"):
            continue
        if "error" in r:
            lines.append(f"| {r['case']} | {_settings_name(r['mode'])} | error: "
                         f"{' '.join(r['error'])} |||||||")
            continue
        share = f"{100 * r['gflop_per_s'] / peak:.0f}%" if peak else "-"
        lines.append(f"| {r['case']} | {_settings_name(r['mode'])} | {r['batch']} | "
                     f"{r['median_s_per_iter']} | {r['img_per_s']} | {r['gflop_per_iter']} | "
                     f"{r['gflop_per_s']} | {share} | {r['peak_rss_mb']} |")
    lines += _experiments_table(rows, runs, warmup)
    pred = next((r for r in rows if r["case"] == "predictor"), None)
    if pred and "backends" in pred:
        lines += ["", "## Photo2CartoonPredictor, 1024-px photo, end to end", "",
                  "| backend | s/photo | stages (s) |", "| --- | --- | --- |"]
        for backend, b in pred["backends"].items():
            if "error" in b:
                lines.append(f"| {backend} | - | {b['error']} |")
            else:
                stages = ", ".join(f"{k} {v}" for k, v in b["stages_s"].items())
                lines.append(f"| {backend} | {b['median_s']} | {stages} |")
    lines += benchmark_stylegan2.tables(rows)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")
    return 0


def _experiments_table(rows, runs, warmup):
    """Each EXPERIMENTS change on the DCGAN cases against the tuned figure: the
    before/after behind what the trainer does and does not use."""
    tuned = {r["case"]: r for r in rows if r.get("mode") == "tuned" and "error" not in r}
    lines = ["", "## Tried on the training step: tuned + one change", "",
             "Kept only where it is more than 5% faster; the trainer uses none of these.", "",
             "| case | change | s/iter | tuned s/iter | speed vs tuned | notes |",
             "| --- | --- | --- | --- | --- | --- |"]
    for case in EXPERIMENT_CASES:
        if case not in tuned:
            continue
        for mode in EXPERIMENTS:
            r = run_case(case, mode, runs, warmup)
            print(json.dumps(r), flush=True)
            if "error" in r:
                lines.append(f"| {case} | {EXPERIMENTS[mode]} | error: {' '.join(r['error'])}"
                             f" | | | |")
                continue
            base = tuned[case]["median_s_per_iter"]
            ratio = base / r["median_s_per_iter"]
            verdict = ("faster" if ratio > 1.05 else "slower" if ratio < 0.95
                       else "same within 5%")
            notes = ", ".join(f"{k} {v}" for k, v in r.items() if k.startswith("bf16_"))
            lines.append(f"| {case} | {EXPERIMENTS[mode]} | {r['median_s_per_iter']} | "
                         f"{base} | {ratio:.2f}x ({verdict}) | {notes} |")
    return lines


def _settings_name(mode):
    if mode in EXPERIMENTS:
        return f"tuned + {EXPERIMENTS[mode]}"
    return SETTINGS[mode]


if __name__ == "__main__":
    sys.exit(main())
