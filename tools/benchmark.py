#!/usr/bin/env python
"""Time training iterations per model, under ppgan_lite's CPU settings and under
Paddle's defaults, and print one JSON line per case.

    python tools/benchmark.py                       # every case, tuned vs defaults
    python tools/benchmark.py --cases dcgan64 --runs 5 --modes tuned
    python tools/benchmark.py --report              # all cases -> docs/benchmarks.md
    python tools/benchmark.py --cases dcgan64 --torch-python /path/to/venv/bin/python

Each (case, mode) runs in a fresh process, because thread and MKL settings only take
effect before paddle is imported. An iteration is one full ``train_iter`` (every D and
G step) on a synthetic batch, so data loading is not part of the figure; the trainer's
own log reports reader_cost for that.

Besides ``tuned`` and ``defaults``, a mode can be ``tuned`` plus one change Paddle
offers (``EXPERIMENTS``); ``--report`` times them on the DCGAN cases so each change's
before/after is on record, whether it was kept or not.

With ``--torch-python`` (an interpreter that has torch; torch is no ppgan_lite
dependency), each case with a PyTorch twin (``TORCH_TWINS``: tools/torch_reference.py,
the same nets and iteration) alternates with ours, ``--rounds`` times, and a last line
gives our s/iter and peak RSS over PyTorch's, measured under the same load.
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
sys.path.insert(0, os.path.join(ROOT, "tools"))
import benchmark_stylegan2  # noqa: E402  (the StyleGAN2 cases' workers)
import torch_reference  # noqa: E402  (the PyTorch twins' runner; imports no torch here)

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
    # the headline recipe with the generator's hourglasses recomputed in backward
    "p2c256_recompute": dict(config="configs/ugatit_photo2cartoon.yaml", batch=1,
                             overrides=["model.generator.recompute=True"],
                             inputs={"A": (3, 256, 256), "B": (3, 256, 256)}),
    # the same without the Face-ID loss: what the PyTorch twin times
    "p2c256_nofaceid": dict(config="configs/ugatit_photo2cartoon.yaml", batch=1,
                            overrides=["model.faceid_weight=0.0"],
                            inputs={"A": (3, 256, 256), "B": (3, 256, 256)}),
    "p2c128_nofaceid": dict(config="configs/ugatit_photo2cartoon.yaml", batch=1,
                            overrides=["model.generator.img_size=128", "model.faceid_weight=0.0"],
                            inputs={"A": (3, 128, 128), "B": (3, 128, 128)}),
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
# our case -> its twin in tools/torch_reference.py (same nets, losses, optimizers)
TORCH_TWINS = {"dcgan64": "dcgan64", "dcgan32": "dcgan32",
               "p2c256_nofaceid": "p2c256", "p2c128_nofaceid": "p2c128",
               "pix2pix256": "pix2pix256", "cyclegan256": "cyclegan256"}
# (backend, face mask, generator): faceseg with random weights costs what PaddleGAN's
# trained ones do; "unet" is the pix2pix U-Net that configs/pix2pix_photo2cartoon.yaml
# distils the cartoon generator ("p2c") into
PREDICTOR_BACKENDS = (("onnxruntime", "selfie", "p2c"), ("paddle", "selfie", "p2c"),
                      ("dynamic", "selfie", "p2c"), ("onnxruntime", "faceseg", "p2c"),
                      ("dynamic", "faceseg", "p2c"), ("onnxruntime", "selfie", "unet"))
SETTINGS = {"tuned": "ppgan_lite (threads = cores, MKL AVX2 path on AMD)",
            "defaults": "Paddle defaults (1 thread)"}
# tuned + one change: what the training step would gain from it
EXPERIMENTS = {"onednn": "oneDNN kernels (FLAGS_use_mkldnn=1)",
               "to_static": "nets under paddle.jit.to_static",
               "multi_tensor": "Adam with use_multi_tensor=True",
               "bf16": "paddle.amp.auto_cast(dtype='bfloat16')"}
EXPERIMENT_CASES = ("dcgan64", "dcgan32")
THREADS = None  # --threads
# --photo2cartoon-repo / --cyclegan-repo: where the twins load their networks.py from
TWIN_REPOS = {"repo": torch_reference.DEFAULT_P2C_REPO,
              "cyclegan_repo": torch_reference.DEFAULT_CYCLEGAN_REPO}


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
    times, usage = [], []
    for i in range(warmup + runs):
        if i == warmup:
            usage.append(resource.getrusage(resource.RUSAGE_SELF))
        t = time.perf_counter()
        model.setup_input(batch)
        model.current_iter = i
        with paddle.amp.auto_cast(enable=mode == "bf16", dtype="bfloat16"):
            model.train_iter(model.optimizers)
        model.get_current_losses()  # a host sync, as the trainer does
        if i >= warmup:
            times.append(time.perf_counter() - t)
    usage.append(resource.getrusage(resource.RUSAGE_SELF))
    median = statistics.median(times)
    return {
        "case": case_name, "batch": case["batch"], "runs": runs,
        **_usage_per_iter(*usage, runs),
        "median_s_per_iter": round(median, 4), "min_s": round(min(times), 4),
        "max_s": round(max(times), 4), "img_per_s": round(case["batch"] / median, 2),
        "gflop_per_iter": round(flops / 1e9, 2), "gflop_per_s": round(flops / 1e9 / median, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": os.environ.get("OMP_NUM_THREADS", "paddle default (1)"),
        "load_1min": round(os.getloadavg()[0], 2),  # ~threads when the machine is quiet
        "cpu": runtime.describe(), **notes,
    }


def _usage_per_iter(before, after, runs):
    """CPU seconds and page faults per timed iteration: what other processes on a
    shared machine change least (the wall time, they change most)."""
    return {"cpu_user_s": round((after.ru_utime - before.ru_utime) / runs, 2),
            "cpu_sys_s": round((after.ru_stime - before.ru_stime) / runs, 2),
            "minor_faults": int((after.ru_minflt - before.ru_minflt) / runs)}


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
    same as trained ones, and the pix2pix U-Net it can be distilled into."""
    import tempfile

    import cv2
    import paddle
    from skimage import data

    from ppgan_lite.apps import Photo2CartoonPredictor
    from ppgan_lite.faceutils.faceseg_net import FaceSegNet
    from ppgan_lite.utils.registry import GENERATORS, build

    paddle.seed(0)
    tmp = tempfile.mkdtemp(prefix="ppgan-lite-bench-")
    generators = {"p2c": {"name": "ResnetUGATITP2CGenerator"},
                  "unet": {"name": "UnetGenerator", "input_nc": 3, "output_nc": 3,
                           "num_downs": 8, "ngf": 64, "norm_type": "batch"}}
    weight_files = {}
    for kind, cfg in generators.items():
        weight_files[kind] = os.path.join(tmp, f"{kind}_genA2B_weight.pdparams")
        paddle.save(build(cfg, GENERATORS).state_dict(), weight_files[kind])
    faceseg = os.path.join(tmp, "faceseg_FCN-HRNetW18.pdparams")
    paddle.save(FaceSegNet().state_dict(), faceseg)
    photo = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    out = {"case": "predictor", "photo": "1024x1024", "runs": runs, "backends": {}}
    for backend, seg, kind in PREDICTOR_BACKENDS:
        label = " + ".join([backend] + [seg] * (seg != "selfie")
                           + ["U-Net generator"] * (kind == "unet"))
        os.environ["PPGAN_LITE_CACHE"] = os.path.join(tmp, "cache")
        try:
            predictor = Photo2CartoonPredictor(
                output_path=os.path.join(tmp, "out"), weight_path=weight_files[kind],
                backend=backend, seg=seg, seg_weight_path=faceseg if seg == "faceseg" else None)
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


def child_env():
    """This environment without what ppgan_lite set in *this* process (it is not the
    user's): each child chooses again."""
    from ppgan_lite.utils import runtime

    env = dict(os.environ)
    for key, (_, why) in runtime.configure().items():
        if why != "set by user":
            env.pop(key, None)
    if THREADS:  # --threads: both frameworks' children, as if the user had set it
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(THREADS)
    return env


def run_case(case, mode, runs, warmup):
    env = child_env()
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


def run_torch(case, runs, warmup, torch_python):
    """The PyTorch twin of ``case`` under ``torch_python``, in a fresh process."""
    res = torch_reference.run_case(TORCH_TWINS[case], runs, warmup, python=torch_python,
                                   env=child_env(), **TWIN_REPOS)
    res.update(case=case, mode="torch", twin=TORCH_TWINS[case])
    return res


def side_by_side(case, runs, warmup, torch_python, rounds):
    """Ours (tuned) and the PyTorch twin, alternating ``rounds`` times, each in a fresh
    process with the same iteration counts; prints each run and returns
    ``torch_reference.pair_rounds``'s (ours, summary with the ratios)."""
    ours, twins = [], []
    for _ in range(rounds):
        ours.append(run_case(case, "tuned", runs, warmup))
        print(json.dumps(ours[-1]), flush=True)
        twins.append(run_torch(case, runs, warmup, torch_python))
        print(json.dumps(twins[-1]), flush=True)
    return torch_reference.pair_rounds(ours, twins)


def main(argv=None):
    from ppgan_lite.utils.errors import argument_parser

    p = argument_parser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default=",".join(CASES),
                   help=f"comma-separated, from: {', '.join(CASES)}")
    p.add_argument("--modes", default="tuned,defaults",
                   help="tuned (ppgan_lite's CPU settings), defaults (Paddle's own), or "
                        f"tuned plus one change: {', '.join(EXPERIMENTS)}")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--report", nargs="?", const="docs/benchmarks.md", default=None,
                   metavar="PATH", help="run the cases and write a Markdown report "
                                        "(default docs/benchmarks.md)")
    p.add_argument("--torch-python", default=None, metavar="PATH",
                   help="a Python with torch: also time each case's PyTorch twin "
                        f"({', '.join(TORCH_TWINS)}), alternating with ours, and give "
                        "the ratios")
    p.add_argument("--rounds", type=int, default=1,
                   help="with --torch-python: ours and the twin this many times each, "
                        "alternating; the ratio is the median of the rounds'")
    p.add_argument("--photo2cartoon-repo", default=torch_reference.DEFAULT_P2C_REPO,
                   metavar="PATH",
                   help="with --torch-python: minivision-ai/photo2cartoon (a checkout or "
                        "bare git mirror), whose networks.py the p2c twins run")
    p.add_argument("--cyclegan-repo", default=torch_reference.DEFAULT_CYCLEGAN_REPO,
                   metavar="PATH",
                   help="with --torch-python: junyanz/pytorch-CycleGAN-and-pix2pix (a "
                        "checkout or bare git mirror), whose networks.py the pix2pix and "
                        "CycleGAN twins run")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for ours and PyTorch alike (default: usable cores); 1 "
                        "keeps the ratio fair when other processes share the cores")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="tuned", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    global THREADS
    THREADS = args.threads
    TWIN_REPOS.update(repo=args.photo2cartoon_repo, cyclegan_repo=args.cyclegan_repo)
    if args.worker == "matmul":
        print(json.dumps(_matmul_worker(args.runs)))
        return 0
    if args.worker:
        print(json.dumps(_worker(args.worker, args.runs, args.warmup, args.mode)))
        return 0
    cases, modes = args.cases.split(","), args.modes.split(",")
    for kind, names, known in (("case", cases, CASES),
                               ("mode", modes, list(SETTINGS) + list(EXPERIMENTS))):
        unknown = [n for n in names if n not in known]
        if unknown:
            print(f"error: unknown {kind}(s) {unknown}; choose from {', '.join(known)}",
                  file=sys.stderr)
            return 2
    if args.rounds < 1 or args.runs < 1 or args.warmup < 0 or (args.threads or 1) < 1:
        print("error: --rounds, --runs and --threads must be >= 1, --warmup >= 0",
              file=sys.stderr)
        return 2
    if args.report:
        return write_report(args.report, cases, args.runs, args.warmup, args.torch_python,
                            args.rounds)
    results = {}
    for case in cases:
        for mode in modes:
            paired = mode == "tuned" and args.torch_python and case in TORCH_TWINS
            if paired:  # prints each run; then the line with the ratios
                res, summary = side_by_side(case, args.runs, args.warmup, args.torch_python,
                                            args.rounds)
            else:
                res = run_case(case, mode, args.runs, args.warmup)
            results[(case, mode)] = res
            tuned, base = results.get((case, "tuned")), results.get((case, "defaults"))
            if tuned and base and all("median_s_per_iter" in r for r in (tuned, base)):
                res["speedup_vs_defaults"] = round(
                    base["median_s_per_iter"] / tuned["median_s_per_iter"], 2)
            print(json.dumps(summary if paired else res), flush=True)
    return 0


def write_report(path, cases, runs, warmup, torch_python=None, rounds=1):
    """The cases under the tuned settings (DCGAN-64 also under Paddle's defaults, the
    DCGAN cases also with each EXPERIMENTS change), the matmul roofline, and with
    ``torch_python`` the ratios to each case's PyTorch twin first, as Markdown."""
    import benchmark_report

    roofline = {mode: run_case("matmul", mode, 5, 1) for mode in ("tuned", "defaults")}
    rows, pairs, experiments = [], [], []
    for case in cases:
        for mode in (("tuned", "defaults") if case == "dcgan64" else ("tuned",)):
            if mode == "tuned" and torch_python and case in TORCH_TWINS:
                res, summary = side_by_side(case, runs, warmup, torch_python, rounds)
                pairs.append(summary)
            else:
                res = summary = run_case(case, mode, runs, warmup)
            print(json.dumps(summary), flush=True)
            rows.append(res)
    for case in (c for c in EXPERIMENT_CASES if c in cases):
        for mode in EXPERIMENTS:
            experiments.append((case, mode, run_case(case, mode, runs, warmup)))
            print(json.dumps(experiments[-1][2]), flush=True)
    header = benchmark_report.header(cases, runs, warmup, torch_python, rounds, THREADS)
    names = {**SETTINGS, **{m: f"tuned + {n}" for m, n in EXPERIMENTS.items()}}
    benchmark_report.write(path, benchmark_report.render(header, roofline, rows, pairs,
                                                         experiments, names))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
