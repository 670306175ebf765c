"""The pictures a run leaves for a person to look at: a fixed-input sample grid over
training, the model's current visuals, the loss curve, the metrics curve and the
progress GIF. Written by rank 0 only; nothing here touches the training RNG."""
import os

import numpy as np

from ..utils.image_io import read_image
from ..utils.logger import read_jsonl
from ..utils.visual import plot_curves, save_gif, save_grid, side_by_side


def flatten_metrics(results):
    """{'kid': {'mean': m, 'std': s}, 'psnr': p} -> {'kid/mean': m, 'kid/std': s,
    'psnr': p}: the numbers a plot or VisualDL can draw."""
    flat = {}
    for name, value in results.items():
        if isinstance(value, dict):
            flat.update({f"{name}/{k}": v for k, v in value.items()
                         if isinstance(v, (int, float)) and not isinstance(v, bool)})
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = value
    return flat


class RunPictures:
    MAX_GIF_FRAMES = 40

    def __init__(self, run_dir, model, grid_size, seed):
        self.run_dir, self.model = run_dir, model
        self.grid_size, self.seed = grid_size, seed
        self.log_path = os.path.join(run_dir, "log.jsonl")

    def path(self, *parts):
        return os.path.join(self.run_dir, *parts)

    def write(self, iteration, fixed_batch, final=False):
        """Sample grid (same noise or images every time), current visuals, loss curve;
        at the end also the progress GIF."""
        condition = self.model.sample_condition(fixed_batch) if fixed_batch else {}
        images = self.model.sample(self.grid_size, seed=self.seed, **condition)
        if images is not None:
            name = "final.png" if final else f"iter_{iteration:08d}.png"
            save_grid(images, self.path("samples", name),
                      nrow=self.model.sample_nrow(self.grid_size))
        visuals = self.model.get_current_visuals()
        if visuals and iteration > 0:
            side_by_side(visuals, self.path("visual_train", f"iter_{iteration:08d}.png"))
        records = read_jsonl(self.log_path)
        loss_keys = sorted(self.model.get_current_losses())
        if records and loss_keys:
            plot_curves(records, self.path("loss_curve.png"), loss_keys)
        if final:
            self.progress_gif()

    def progress_gif(self):
        folder = self.path("samples")
        if not os.path.isdir(folder):
            return
        names = sorted(n for n in os.listdir(folder) if n.startswith("iter_"))
        if len(names) > self.MAX_GIF_FRAMES:  # evenly spaced frames keep the GIF small
            picks = np.linspace(0, len(names) - 1, self.MAX_GIF_FRAMES).astype(int)
            names = [names[i] for i in picks]
        frames = [read_image(os.path.join(folder, n)) for n in names]
        if os.path.isfile(os.path.join(folder, "final.png")):
            frames += [read_image(os.path.join(folder, "final.png"))] * 3  # linger on it
        save_gif(frames, self.path("progress.gif"))

    def validation(self, iteration, index, visuals):
        side_by_side(visuals, self.path("visual_test", f"iter_{iteration:08d}_{index}.png"))

    def metrics_curve(self):
        records = [dict(iter=r["iter"], **flatten_metrics(r["metrics"]))
                   for r in read_jsonl(self.log_path) if r.get("event") == "validate"]
        keys = sorted({k for r in records for k in r if k != "iter"})
        plot_curves(records, self.path("metrics.png"), keys=keys, title="validation metrics")
