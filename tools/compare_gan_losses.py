#!/usr/bin/env python
"""Train the DCGAN loss family briefly on the embedded faces and put their loss curves
and final samples side by side in one picture.

    python tools/compare_gan_losses.py --iters 300 --output_dir output_dir/loss_family

Each recipe is its own config (configs/dcgan_lfw*.yaml), so what is compared is exactly
what `tools/main.py` would train. Writes ``loss_family.png`` and one run folder per loss.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

RECIPES = {"vanilla": "dcgan_lfw.yaml", "lsgan": "dcgan_lfw_lsgan.yaml",
           "hinge": "dcgan_lfw_hinge.yaml", "wgan": "dcgan_lfw_wgan.yaml",
           "wgangp": "dcgan_lfw_wgangp.yaml"}


def train_one(name, iters, output_dir, extra):
    from ppgan_lite.engine.trainer import Trainer
    from ppgan_lite.utils.config import load_config, validate_config

    overrides = [f"total_iters={iters}", f"log_config.interval={max(1, iters // 50)}",
                 f"log_config.visiual_interval={iters}", f"snapshot_config.interval={iters}"]
    cfg = validate_config(load_config(os.path.join(ROOT, "configs", RECIPES[name]),
                                      overrides + list(extra)))
    run_dir = os.path.join(output_dir, name)
    start = time.time()
    Trainer(cfg, run_dir, seed=0).train()
    return run_dir, time.time() - start


def plot(runs, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ppgan_lite.utils.image_io import read_image
    from ppgan_lite.utils.logger import read_jsonl

    fig, axes = plt.subplots(2, len(runs), figsize=(4 * len(runs), 8), dpi=100,
                             gridspec_kw={"height_ratios": [1, 1.1]})
    axes = axes.reshape(2, -1)
    for col, (name, (run_dir, seconds)) in enumerate(runs.items()):
        records = [r for r in read_jsonl(os.path.join(run_dir, "log.jsonl")) if "iter" in r
                   and "G_adv_loss" in r]
        ax = axes[0, col]
        for key in sorted({k for r in records for k in r if k.endswith("_loss")}):
            ax.plot([r["iter"] for r in records], [r[key] for r in records], label=key)
        ax.set_title(f"{name} ({seconds:.0f} s)")
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        axes[1, col].imshow(read_image(os.path.join(run_dir, "samples", "final.png")))
        axes[1, col].axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    import ppgan_lite  # noqa: F401
    from ppgan_lite import register_all
    from ppgan_lite.utils.runtime import import_paddle_quietly

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=300)
    p.add_argument("--losses", default=",".join(RECIPES), help=", ".join(RECIPES))
    p.add_argument("--output_dir", default="output_dir/loss_family")
    p.add_argument("-o", "--opt", nargs="+", action="extend", default=[], help="extra config overrides")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.losses.split(",") if n.strip()]
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        print(f"error: unknown loss {unknown}; choose from {', '.join(RECIPES)}",
              file=sys.stderr)
        return 2
    import_paddle_quietly()
    register_all()
    runs = {n: train_one(n, args.iters, args.output_dir, args.opt) for n in names}
    path = os.path.join(args.output_dir, "loss_family.png")
    plot(runs, path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
