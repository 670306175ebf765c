"""docs/benchmarks.md from tools/benchmark.py's results: Markdown only, no timing.

``render`` turns the result dicts (the JSON lines benchmark.py prints) into the report's
lines; ``write`` saves them, keeping what follows ``HAND_KEPT`` in the file it replaces
(the notes on what was tried, which no single run measures).
"""
import os
import platform
import time

# a report keeps, from this line on, what the file it replaces had
HAND_KEPT = "<!-- kept by tools/benchmark.py --report from here on -->"


def header(cases, runs, warmup, torch_python, rounds, threads):
    """The opening paragraph: the command, the machine and its load."""
    from ppgan_lite.utils import runtime

    cores = runtime.usable_cores()
    flags = (f" --cases {','.join(cases)} --runs {runs} --warmup {warmup}"
             + (" --torch-python PYTHON" if torch_python else "")
             + (f" --rounds {rounds}" if rounds > 1 else "")
             + (f" --threads {threads}" if threads else ""))
    return (
        f"Written by `python tools/benchmark.py --report{flags}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}: {runtime.cpu_model()} ({runtime.cpu_vendor()}), "
        f"{cores} usable cores, Python {platform.python_version()}; load average at the end "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min; each run's own 1-min "
        f"figure is in the tables, ~{cores} when nothing else runs). Median of the timed runs "
        "after the warm-up; every run in a fresh process. A training iteration is one full "
        "`train_iter` (all D and G steps) on a synthetic batch; GFLOP counts conv/linear work "
        "on the shapes used (backward as 2x forward). Absolute times move by 1.5x and more "
        "between days on shared machines: read the ratios.")


def render(header, roofline, rows, pairs, experiments, names):
    """``header``: the opening paragraph; ``roofline``: {mode: matmul result}; ``rows``:
    case results; ``pairs``: side-by-side summaries; ``experiments``: (case, mode,
    result); ``names``: mode -> settings' name."""
    lines = ["# Benchmarks", "", header]
    lines += _ratio_table(pairs)
    lines += ["", "## Roofline: 2048x2048 float32 matmul", "",
              "| settings | paddle GFLOP/s | numpy GFLOP/s |", "| --- | --- | --- |"]
    for mode, r in roofline.items():
        lines.append(f"| {names[mode]} | {r.get('paddle_gflop_per_s', '-')} | "
                     f"{r.get('numpy_gflop_per_s', '-')} |")
    peak = roofline.get("tuned", {}).get("paddle_gflop_per_s")
    lines += ["", "## Training iterations", "",
              "| case | settings | batch | s/iter | img/s | GFLOP/iter | GFLOP/s | "
              "of matmul peak | peak RSS MB | load 1 min |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if r["case"] in ("predictor", "stylegan2_gen1024"):
            continue
        if "error" in r:
            lines.append(f"| {r['case']} | {names[r['mode']]} | error: "
                         f"{' '.join(r['error'])} ||||||||")
            continue
        share = f"{100 * r['gflop_per_s'] / peak:.0f}%" if peak else "-"
        lines.append(f"| {r['case']} | {names[r['mode']]} | {r['batch']} | "
                     f"{r['median_s_per_iter']} | {r['img_per_s']} | {r['gflop_per_iter']} | "
                     f"{r['gflop_per_s']} | {share} | {r['peak_rss_mb']} | "
                     f"{r.get('load_1min', '-')} |")
    lines += _experiments_table(rows, experiments, names)
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
    import benchmark_stylegan2  # tools/, beside this file

    return lines + benchmark_stylegan2.tables(rows)


def write(path, lines):
    kept = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
        kept = old[old.index(HAND_KEPT):] if HAND_KEPT in old else ""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n" + ("\n" + kept if kept else ""))


def _ratio_table(pairs):
    """Each case against its PyTorch twin (tools/torch_reference.py): ours over theirs."""
    if not pairs:
        return []
    lines = ["", "## Side by side with PyTorch", "",
             "Each case and its twin in tools/torch_reference.py (the same nets, losses, "
             "optimizers and iteration; torch threads = cores), alternating, each in a fresh "
             "process with the same iteration counts. x PyTorch: our figure over its (s/iter: "
             "the median of the rounds' ratios; > 1 means PyTorch is faster or leaner).", "",
             "| case | PyTorch twin | s/iter | PyTorch s/iter | x PyTorch | peak RSS MB | "
             "PyTorch peak RSS MB | RSS x PyTorch |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in pairs:
        if "error" in r:
            lines.append(f"| {r['case']} | error: {' '.join(r['error'])} ||||||")
            continue
        lines.append(f"| {r['case']} | {r['twin']} | {r['s_per_iter']} | "
                     f"{r['torch_s_per_iter']} | {r['x_torch']}x | {r['peak_rss_mb']} | "
                     f"{r['torch_peak_rss_mb']} | {r['rss_x_torch']}x |")
    return lines


def _experiments_table(rows, experiments, names):
    """Each experiment against the tuned figure of its case: the before/after behind
    what the trainer does and does not use."""
    if not experiments:
        return []
    tuned = {r["case"]: r for r in rows if r.get("mode") == "tuned" and "error" not in r}
    lines = ["", "## Tried on the training step: tuned + one change", "",
             "Kept only where it is more than 5% faster; the trainer uses none of these.", "",
             "| case | change | s/iter | tuned s/iter | speed vs tuned | notes |",
             "| --- | --- | --- | --- | --- | --- |"]
    for case, mode, r in experiments:
        if "error" in r or case not in tuned:
            error = " ".join(r.get("error", ["no tuned figure"]))
            lines.append(f"| {case} | {names[mode]} | error: {error} | | | |")
            continue
        base = tuned[case]["median_s_per_iter"]
        ratio = base / r["median_s_per_iter"]
        verdict = "faster" if ratio > 1.05 else "slower" if ratio < 0.95 else "same within 5%"
        notes = ", ".join(f"{k} {v}" for k, v in r.items() if k.startswith("bf16_"))
        lines.append(f"| {case} | {names[mode]} | {r['median_s_per_iter']} | {base} | "
                     f"{ratio:.2f}x ({verdict}) | {notes} |")
    return lines
