"""Helpers of the export tests: tiny generators with trained-looking weights, their
checkpoints and configs, and exporting them through tools/export_model.py."""
import os

import numpy as np
import yaml

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from scripts import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Tiny versions of the three exported generators (the brief's sizes for tests).
GENERATORS = {
    "dcgan": ("DCGANModel", "netG", {"name": "DCGenerator", "input_nz": 100, "input_nc": 3,
                                     "output_nc": 3, "ngf": 8, "img_size": 32}),
    "ugatit": ("UGATITModel", "genA2B", {"name": "ResnetUGATITGenerator", "input_nc": 3,
                                         "output_nc": 3, "ngf": 8, "n_blocks": 2,
                                         "img_size": 64, "light": True}),
    "p2c": ("UGATITModel", "genA2B", {"name": "ResnetUGATITP2CGenerator", "input_nc": 3,
                                      "output_nc": 3, "ngf": 8, "img_size": 64,
                                      "n_blocks": 2, "light": True}),
}


def load_export_tool():
    """tools/export_model.py as a module (tools/ is not a package)."""
    return load_script("tools/export_model.py")


def write_config(directory, kind, **generator_changes):
    model_name, _, generator = GENERATORS[kind]
    cfg = {"total_iters": 1, "model": {"name": model_name,
                                       "generator": {**generator, **generator_changes}}}
    path = os.path.join(directory, f"{kind}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return path


def trained_like_model(kind, seed=0):
    """The model as ``build(cfg.model, MODELS)`` makes it (its own init), with the
    generator's parameters nudged so no weight is exactly its initial constant: the
    export has to carry every parameter, rho and the Soft-AdaLIN blends included."""
    import paddle

    from ppgan_lite import register_all
    from ppgan_lite.utils.registry import MODELS, build

    register_all()
    model_name, net_name, generator = GENERATORS[kind]
    paddle.seed(seed)
    model = build({"name": model_name, "generator": dict(generator)}, MODELS)
    net = model.nets[net_name]
    rng = np.random.RandomState(seed)
    with paddle.no_grad():
        for name, param in net.named_parameters():
            value = param.numpy()
            if name.endswith(("rho", "w_gamma", "w_beta")):  # mixing weights live in [0, 1]
                value = rng.uniform(0.2, 0.8, value.shape)
            else:
                value = value + rng.normal(0.0, 0.01, value.shape)
            param.set_value(value.astype("float32"))
    _fit_batch_norm_stats(net, model)
    net.eval()
    return model


def _fit_batch_norm_stats(net, model):
    """Running statistics of the activations themselves, as training leaves them; with
    the initial mean 0 / variance 1 an eval-mode DCGAN draws a nearly flat image."""
    import paddle

    norms = [m for m in net.sublayers() if isinstance(m, paddle.nn.BatchNorm2D)]
    if not norms:
        return
    saved = [m._momentum for m in norms]
    for m in norms:
        m._momentum = 0.0  # running stat := this batch's stat
    net.train()
    with paddle.no_grad():
        net(paddle.to_tensor(np.random.RandomState(1).standard_normal(
            (64, model.nz, 1, 1)).astype("float32")))
    for m, momentum in zip(norms, saved):
        m._momentum = momentum


def save_checkpoint(path, model):
    from ppgan_lite.utils.checkpoint import save_state

    nets = {name: {k: v.numpy() for k, v in net.state_dict().items()}
            for name, net in model.nets.items()}
    save_state(str(path), {"nets": nets})
    return str(path)


class Exported:
    """One exported generator: the dynamic net it came from, its config, weights and
    output folder."""

    def __init__(self, kind, net, config, weights, directory, meta):
        self.kind, self.net, self.config = kind, net, config
        self.weights, self.directory, self.meta = weights, directory, meta

    def sample(self, batch, seed=0):
        from ppgan_lite.deploy import sample_batch
        from ppgan_lite.models.base_model import NetInput

        inputs = [NetInput(i["name"], i["kind"], tuple(i["shape"][1:]))
                  for i in self.meta["inputs"]]
        return sample_batch(inputs, batch, seed)[0]


def export_kind(base, kind, onnx, seed=0):
    from ppgan_lite.deploy import read_meta

    work = base / kind
    work.mkdir()
    model = trained_like_model(kind, seed)
    weights = save_checkpoint(work / "iter_00000001.ckpt.npz", model)
    config = write_config(str(work), kind)
    out = str(work / "inference_model")
    argv = ["-c", config, "--load", weights, "--output_dir", out]
    if onnx:
        argv.append("--onnx")
    assert load_export_tool().main(argv) == 0
    net = model.nets[GENERATORS[kind][1]]
    return Exported(kind, net, config, weights, out, read_meta(out))


def have_onnx():
    try:
        import onnxruntime  # noqa: F401
        import paddle2onnx  # noqa: F401
    except ImportError:
        return False
    return True
