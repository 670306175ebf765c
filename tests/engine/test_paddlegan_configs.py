"""PaddleGAN's own YAML files load and train after changing nothing but data paths."""
import os

import cv2
import numpy as np

from ppgan_lite.engine.cli import main
from ppgan_lite.utils.logger import read_jsonl
from paddlegan_configs import DCGAN_MNIST, with_data




def write_digits(folder, count):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        img = np.zeros((28, 28), np.uint8)
        cv2.putText(img, str(i % 10), (int(rng.integers(2, 8)), 23),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
        cv2.imwrite(os.path.join(folder, f"{i:04d}.png"), img)


def test_paddlegan_dcgan_mnist_yaml_trains_with_only_data_paths_changed(tmp_path):
    write_digits(str(tmp_path / "mnist" / "train"), 128)
    write_digits(str(tmp_path / "mnist" / "test"), 4)
    text = with_data(DCGAN_MNIST, tmp_path / "mnist")
    assert text.count(str(tmp_path)) == 2  # the data paths are the only change
    cfg = tmp_path / "dcgan_mnist.yaml"
    cfg.write_text(text)
    run = tmp_path / "run"
    # one epoch (one batch of 128): the file itself asks for 200
    code = main(["-c", str(cfg), "--output-dir", str(run), "-o", "epochs=1",
                 "log_config.interval=1"])
    assert code == 0
    records = [r for r in read_jsonl(str(run / "log.jsonl")) if "G_adv_loss" in r]
    assert len(records) == 1 and np.isfinite(records[0]["D_real_loss"])
    assert (run / "checkpoints" / "iter_00000001.ckpt.npz").is_file()
    assert (run / "samples" / "final.png").is_file()
