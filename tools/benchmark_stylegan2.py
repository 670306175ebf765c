"""tools/benchmark.py's StyleGAN2 cases: a training iteration of PaddleGAN's 256 px
FFHQ recipe by kind (plain, with the path-length step, with R1 too) and the 1024 px
generator's s/image per inference backend."""
import os
import resource
import statistics
import time

BACKENDS = ("dynamic", "onnxruntime")


def train_worker(case_name, case, runs, warmup, root):
    """One StyleGAN2 iteration of each kind: plain (iteration 1), with the path-length
    step (4) and with R1 too (16), and their mean over the lazy intervals (what a long
    run pays per iteration). StyleGAN2's nets call paddle.nn.functional directly, so
    the work is counted by wrapping its conv / linear functions."""
    import numpy as np
    import paddle

    from ppgan_lite.solver import build_lr_schedulers
    from ppgan_lite.utils.config import load_config
    from ppgan_lite.utils.registry import MODELS, build

    cfg = load_config(os.path.join(root, case["config"]), case["overrides"])
    paddle.seed(0)
    model = build(cfg.model, MODELS, "model")
    schedules = build_lr_schedulers(cfg, 1, 10, model.learning_rate_multipliers())
    model.setup_optimizers(schedules, cfg.optimizer)
    model.setup_train_mode(True)
    rng = np.random.default_rng(0)
    batch = {k: paddle.to_tensor(rng.uniform(-1, 1, (case["batch"],) + shape).astype("float32"))
             for k, shape in case["inputs"].items()}

    def iteration(i):
        t, cpu = time.perf_counter(), time.process_time()
        model.setup_input(batch)
        model.current_iter = i
        model.train_iter(model.optimizers)
        model.get_current_losses()
        cpu_times[kind_of[i]].append(time.process_time() - cpu)
        return time.perf_counter() - t

    kinds = {"plain": 1, "path": model.gen_iters, "r1_path": model.gen_iters * model.disc_iters}
    kind_of = {i: k for k, i in kinds.items()}
    times, cpu_times = {k: [] for k in kinds}, {k: [] for k in kinds}
    with _functional_macs() as counter:
        iteration(1)
    cpu_times["plain"].clear()
    for repeat in range(warmup + runs):
        for kind, i in kinds.items():
            seconds = iteration(i)
            if repeat >= warmup:
                times[kind].append(seconds)
            else:
                cpu_times[kind].pop()
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in cpu_times.items()}
    g, d = model.gen_iters, model.disc_iters
    path_extra, r1_extra = med["path"] - med["plain"], med["r1_path"] - med["path"]
    amortised = med["plain"] + path_extra / g + r1_extra / d
    flops = 6 * counter["macs"]  # forward work of a plain iteration, backward as 2x
    return {
        "case": case_name, "batch": case["batch"], "runs": runs,
        "median_s_per_iter": round(amortised, 4),
        "plain_s": round(med["plain"], 4), "with_path_s": round(med["path"], 4),
        "with_r1_and_path_s": round(med["r1_path"], 4),
        # CPU seconds (all threads): the work itself, whatever else runs on the machine
        "cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "min_s": round(min(times["plain"]), 4), "max_s": round(max(times["r1_path"]), 4),
        "img_per_s": round(case["batch"] / amortised, 3),
        "gflop_per_iter": round(flops / 1e9, 2),
        "gflop_per_s": round(flops / 1e9 / med["plain"], 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": os.environ.get("OMP_NUM_THREADS", "paddle default (1)"),
    }


class _functional_macs:
    """Multiply-adds of F.conv2d / F.conv2d_transpose / F.linear calls inside the block."""

    def __enter__(self):
        import numpy as np
        import paddle.nn.functional as F

        self.counter, self.F = {"macs": 0}, F
        self.saved = {name: getattr(F, name) for name in ("conv2d", "conv2d_transpose",
                                                          "linear")}

        def conv(x, weight, *args, **kwargs):
            out = self.saved["conv2d"](x, weight, *args, **kwargs)
            self.counter["macs"] += int(np.prod(out.shape)) * int(np.prod(weight.shape[1:]))
            return out

        def conv_t(x, weight, *args, **kwargs):
            out = self.saved["conv2d_transpose"](x, weight, *args, **kwargs)
            self.counter["macs"] += int(np.prod(x.shape)) * int(np.prod(weight.shape[1:]))
            return out

        def linear(x, weight, *args, **kwargs):
            out = self.saved["linear"](x, weight, *args, **kwargs)
            self.counter["macs"] += int(np.prod(out.shape)) * int(weight.shape[0])
            return out

        F.conv2d, F.conv2d_transpose, F.linear = conv, conv_t, linear
        return self.counter

    def __exit__(self, *exc):
        for name, fn in self.saved.items():
            setattr(self.F, name, fn)


def generate_worker(runs, warmup):
    """StyleGANv2Predictor's (z, truncation) generator at 1024 px (PaddleGAN's
    ffhq-config-f layout, random weights: the cost of the trained ones), s/image per
    backend, and the one-time export + conversion a new weights file costs."""
    import tempfile

    import numpy as np
    import paddle

    from ppgan_lite.apps import StyleGANv2Predictor
    from ppgan_lite.utils.registry import GENERATORS, build

    paddle.seed(0)
    net = build({"name": "StyleGANv2Generator", "size": 1024, "style_dim": 512, "n_mlp": 8,
                 "channel_multiplier": 2}, GENERATORS)
    tmp = tempfile.mkdtemp(prefix="ppgan-lite-bench-")
    weights = os.path.join(tmp, "stylegan2-ffhq-config-f.pdparams")
    paddle.save(net.state_dict(), weights)
    del net
    os.environ["PPGAN_LITE_CACHE"] = os.path.join(tmp, "cache")
    out = {"case": "stylegan2_gen1024", "size": 1024, "runs": runs, "backends": {}}
    z = np.random.RandomState(0).standard_normal((1, 512)).astype("float32")
    for backend in BACKENDS:
        t = time.perf_counter()
        try:
            predictor = StyleGANv2Predictor(output_path=None, weight_path=weights,
                                            backend=backend)
        except Exception as exc:  # onnxruntime not installed, for one
            out["backends"][backend] = {"error": str(exc).splitlines()[0]}
            continue
        load = time.perf_counter() - t
        times, cpu_times = [], []
        for i in range(warmup + runs):
            t, cpu = time.perf_counter(), time.process_time()
            predictor.generate(z)
            if i >= warmup:
                times.append(time.perf_counter() - t)
                cpu_times.append(time.process_time() - cpu)
        out["backends"][backend] = {"s_per_image": round(statistics.median(times), 3),
                                    "cpu_s_per_image": round(statistics.median(cpu_times), 3),
                                    "load_s": round(load, 1)}
        del predictor
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["threads"] = os.environ.get("OMP_NUM_THREADS", "paddle default (1)")
    return out


def tables(rows):
    """The StyleGAN2 iteration kinds and the 1024 px generator per backend."""
    lines = []
    train = next((r for r in rows if r["case"] == "stylegan2_256" and "error" not in r), None)
    if train:
        lines += ["", "## StyleGAN2 256 px (PaddleGAN's FFHQ recipe), by iteration kind", "",
                  "Wall seconds, and in brackets CPU seconds of all threads (the work, "
                  "whatever else the machine runs).", "",
                  "| plain s | + path length s | + R1 and path length s | amortised s/iter | "
                  "peak RSS MB |", "| --- | --- | --- | --- | --- |",
                  f"| {train['plain_s']} ({train['cpu_s']['plain']}) | {train['with_path_s']} "
                  f"({train['cpu_s']['path']}) | {train['with_r1_and_path_s']} "
                  f"({train['cpu_s']['r1_path']}) | {train['median_s_per_iter']} | "
                  f"{train['peak_rss_mb']} |"]
    gen = next((r for r in rows if r["case"] == "stylegan2_gen1024"), None)
    if gen and "backends" in gen:
        lines += ["", "## StyleGAN2 1024 px generation (ffhq-config-f), one image", "",
                  "| backend | s/image | CPU s/image | first load (export, conversion) s |",
                  "| --- | --- | --- | --- |"]
        for backend, b in gen["backends"].items():
            lines.append(f"| {backend} | - | - | {b['error']} |" if "error" in b else
                         f"| {backend} | {b['s_per_image']} | {b['cpu_s_per_image']} | "
                         f"{b['load_s']} |")
    return lines
