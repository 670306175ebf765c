"""docs/adding_a_model.md stays true: its model class and its config train, resume,
generate and export as the page says."""
import os
import re

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite import register_all
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils.config import load_config, validate_config
from ppgan_lite.utils.registry import MODELS
from scripts import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = os.path.join(ROOT, "docs", "adding_a_model.md")

register_all()


def blocks(language):
    text = open(PAGE, encoding="utf-8").read()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.fixture
def template_model():
    """The page's model, registered for this test only."""
    code = next(b for b in blocks("python") if "@MODELS.register()" in b)
    exec(compile(code, PAGE, "exec"), {"__name__": "adding_a_model_doc"})
    yield MODELS.get("TemplateLSGANModel")
    MODELS._entries.pop("TemplateLSGANModel", None)


def test_the_page_s_model_trains_generates_and_exports(tmp_path, template_model):
    model_cls = template_model
    config = tmp_path / "my_recipe.yaml"
    config.write_text(next(b for b in blocks("yaml") if "TemplateLSGANModel" in b))
    cfg = validate_config(load_config(str(config), [f"output_dir={tmp_path}"]))
    trainer = Trainer(cfg, str(tmp_path / "run"))
    assert isinstance(trainer.model, model_cls)
    # the group's own learning rate on the shared schedule, as the comment says
    assert trainer.optimizers["optimD"].get_lr() == 2 * trainer.optimizers["optimG"].get_lr()
    weights = trainer.train()
    assert (tmp_path / "run" / "samples" / "final.png").is_file()

    out = tmp_path / "generated"
    assert load_script("applications/generate.py").main(
        ["--weights", weights, "--num", "4", "--output_dir", str(out),
         "--interp_points", "0"]) == 0
    assert (out / "grid.png").is_file()

    folder = tmp_path / "inference_model"
    assert load_script("tools/export_model.py").main(
        ["-c", str(config), "--load", weights, "--output_dir", str(folder)]) == 0
    from ppgan_lite.deploy import load_generator
    images = load_generator(str(folder), backend="paddle")(
        np.random.RandomState(0).standard_normal((2, 16, 1, 1)).astype("float32"))
    assert images.shape == (2, 3, 32, 32) and np.abs(images).max() <= 1.0
