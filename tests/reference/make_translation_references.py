"""Reference numbers for the pix2pix / CycleGAN nets, from PaddleGAN's own modules.

    python tests/reference/make_translation_references.py --paddlegan /path/to/PaddleGAN

imports PaddleGAN's ``UnetGenerator``, ``ResnetGenerator`` and ``NLayerDiscriminator``
(one module at a time, without its package ``__init__``s, which do not import on
Paddle 3), gives tiny ones deterministic weights, runs them on fixed inputs and writes

* ``tests/models/data/translation_<case>.npz``, one per case: ``params::<key>``
  (PaddleGAN's state dict), ``input``, ``train`` / ``eval`` (outputs in each mode, the
  weights reset before each), ``grad_input`` and ``grad::<key>`` (train mode, gradients
  of sum(out * ``cotangent``)), ``after_train::<key>`` (batch-norm running statistics
  after the train forward) and ``__case__`` (JSON: family, constructor arguments,
  modes). Weights, inputs and cotangents are drawn in float32, rounded to float16
  values and stored as float16 (exact, half the bytes); outputs are float32;
* ``tests/models/data/translation_layouts.json``: PaddleGAN's state-dict keys and shapes
  and its Dropout layers' names for the small configs, and the value counts of the
  shipped sizes.

Not collected by pytest; contains no PaddleGAN code, only imports it.
"""
import argparse
import json
import os
import sys
import types

import numpy as np

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn as nn

DATA_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "models", "data"))
SEP = "::"

# (case, constructor kwargs, image size, batch, modes)
UNET_CASES = [
    ("unet_batch", dict(input_nc=3, output_nc=3, num_downs=5, ngf=2, norm_type="batch"),
     32, 2, ("train", "eval", "grad")),
    ("unet_instance", dict(input_nc=3, output_nc=2, num_downs=5, ngf=2,
                           norm_type="instance"), 32, 2, ("train", "eval", "grad")),
    ("unet_batch_dropout", dict(input_nc=1, output_nc=1, num_downs=6, ngf=1,
                                norm_type="batch", use_dropout=True), 64, 2, ("eval",)),
    ("unet_instance_dropout", dict(input_nc=2, output_nc=1, num_downs=6, ngf=1,
                                   norm_type="instance", use_dropout=True), 64, 1, ("eval",)),
]
RESNET_CASES = [
    ("resnet_instance_reflect", dict(input_nc=3, output_nc=3, ngf=4, n_blocks=2,
                                     norm_type="instance", padding_type="reflect"),
     32, 2, ("train", "eval", "grad")),
    ("resnet_batch_replicate", dict(input_nc=3, output_nc=3, ngf=4, n_blocks=2,
                                    norm_type="batch", padding_type="replicate"),
     32, 2, ("train", "eval", "grad")),
    ("resnet_instance_zero_dropout", dict(input_nc=3, output_nc=3, ngf=4, n_blocks=2,
                                          norm_type="instance", padding_type="zero",
                                          use_dropout=True), 32, 2, ("eval",)),
]
NLAYERS_CASES = [
    ("nlayers_instance", dict(input_nc=3, ndf=4, n_layers=3, norm_type="instance"),
     32, 2, ("train", "eval", "grad")),
    ("nlayers_batch", dict(input_nc=6, ndf=4, n_layers=3, norm_type="batch"),
     32, 2, ("train", "eval", "grad")),
    ("nlayers_spectral", dict(input_nc=3, ndf=4, n_layers=3, norm_type="spectral"),
     32, 2, ("train", "eval", "grad")),
    ("nlayers_none_sigmoid", dict(input_nc=3, ndf=4, n_layers=2, norm_type="none",
                                  use_sigmoid=True), 32, 2, ("eval",)),
]
# the small configs whose keys the tests list literally
LAYOUT_CONFIGS = {
    "unet_nd5_ngf4_batch": ("unet", dict(input_nc=3, output_nc=3, num_downs=5, ngf=4)),
    "unet_nd6_ngf4_instance_dropout": ("unet", dict(input_nc=3, output_nc=3, num_downs=6,
                                                    ngf=4, norm_type="instance",
                                                    use_dropout=True)),
    "unet_nd8_ngf2_batch_dropout": ("unet", dict(input_nc=3, output_nc=3, num_downs=8,
                                                 ngf=2, use_dropout=True)),
    "resnet_b2_ngf4_instance": ("resnet", dict(input_nc=3, output_nc=3, ngf=4, n_blocks=2)),
    "resnet_b1_ngf4_batch_zero": ("resnet", dict(input_nc=3, output_nc=3, ngf=4, n_blocks=1,
                                                 norm_type="batch", padding_type="zero")),
    "unet_nd5_ngf4_none": ("unet", dict(input_nc=3, output_nc=1, num_downs=5, ngf=4,
                                        norm_type="none")),
    "resnet_b1_ngf4_none_replicate_dropout": ("resnet", dict(
        input_nc=3, output_nc=3, ngf=4, n_blocks=1, norm_type="none",
        padding_type="replicate", use_dropout=True)),
    "resnet_b2_ngf4_instance_zero_dropout": ("resnet", dict(
        input_nc=3, output_nc=3, ngf=4, n_blocks=2, padding_type="zero", use_dropout=True)),
    "nlayers_n3_ndf4_instance": ("nlayers", dict(input_nc=3, ndf=4, n_layers=3)),
    "nlayers_n1_ndf4_none": ("nlayers", dict(input_nc=3, ndf=4, n_layers=1, norm_type="none")),
    "nlayers_n3_ndf4_batch": ("nlayers", dict(input_nc=6, ndf=4, n_layers=3,
                                              norm_type="batch")),
    "nlayers_n3_ndf4_spectral": ("nlayers", dict(input_nc=3, ndf=4, n_layers=3,
                                                 norm_type="spectral")),
}
# the sizes PaddleGAN's configs ship (pix2pix_*.yaml, cyclegan_*.yaml, makeup.yaml)
SHIPPED_CONFIGS = {
    "unet256_ngf64_batch": ("unet", dict(input_nc=3, output_nc=3, num_downs=8, ngf=64,
                                         norm_type="batch")),
    "resnet_9blocks_ngf64_instance": ("resnet", dict(input_nc=3, output_nc=3, ngf=64,
                                                     n_blocks=9, norm_type="instance")),
    "nlayers_ndf64_instance": ("nlayers", dict(input_nc=3, ndf=64, n_layers=3,
                                               norm_type="instance")),
    "nlayers_ndf64_batch_input6": ("nlayers", dict(input_nc=6, ndf=64, n_layers=3,
                                                   norm_type="batch")),
    "nlayers_ndf64_spectral": ("nlayers", dict(input_nc=3, ndf=64, n_layers=3,
                                               norm_type="spectral")),
}


def import_paddlegan(root):
    """PaddleGAN's three net classes, its packages replaced by empty namespaces."""
    base = os.path.join(root, "ppgan")
    if not os.path.isdir(base):
        sys.exit(f"--paddlegan {root}: no ppgan/ folder there (give PaddleGAN's checkout)")
    for dirpath, _, _ in os.walk(base):
        name = os.path.relpath(dirpath, root).replace(os.sep, ".")
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [dirpath]
            sys.modules[name] = module
    from ppgan.models.discriminators.nlayers import NLayerDiscriminator
    from ppgan.models.generators.resnet import ResnetGenerator
    from ppgan.models.generators.unet import UnetGenerator
    return {"unet": UnetGenerator, "resnet": ResnetGenerator, "nlayers": NLayerDiscriminator}


def transposed_prefixes(net):
    return {name for name, layer in net.named_sublayers()
            if isinstance(layer, nn.Conv2DTranspose)}


def draw_weights(net, seed):
    """Deterministic values for every state-dict entry, scaled so activations stay O(1)."""
    rng = np.random.RandomState(seed)
    transposed = transposed_prefixes(net)
    out = {}
    for key, value in net.state_dict().items():
        shape = tuple(value.shape)
        leaf = key.rsplit(".", 1)[-1]
        if leaf == "_variance":
            out[key] = 0.5 + rng.uniform(size=shape)
        elif leaf in ("weight_u", "weight_v"):  # Paddle's SpectralNorm draws N(0, 1)
            out[key] = rng.normal(size=shape)
        elif len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
            if key.rsplit(".", 1)[0] in transposed:  # [in, out, k, k], stride 2
                fan_in = shape[0] * shape[2] * shape[3] / 4
            out[key] = rng.normal(size=shape) / np.sqrt(fan_in)
        elif leaf in ("weight", "scale"):  # norm affines
            out[key] = 1.0 + 0.1 * rng.normal(size=shape)
        else:  # biases, running means
            out[key] = 0.1 * rng.normal(size=shape)
    return {k: as_half_exact(v) for k, v in out.items()}


def as_half_exact(array):
    """float32 values that float16 holds exactly, so the files can store them as float16."""
    return np.asarray(array, dtype="float16").astype("float32")


def first_weight_key(params):
    return next(k for k in params if k.endswith(("weight", "weight_orig")) and
                params[k].ndim == 4)


def run_case(cls, name, kwargs, size, batch, modes, seed):
    paddle.seed(seed)
    net = cls(**kwargs)
    params = draw_weights(net, seed)
    rng = np.random.RandomState(seed + 1)
    x = as_half_exact(rng.uniform(-1, 1, (batch, kwargs["input_nc"], size, size)))
    record = {"params": params, "input": x}
    if "eval" in modes:
        net.set_state_dict(params)
        net.eval()
        with paddle.no_grad():
            record["eval"] = net(paddle.to_tensor(x)).numpy()
    if "train" in modes:
        net.set_state_dict(params)
        net.train()
        xt = paddle.to_tensor(x, stop_gradient=False)
        out = net(xt)
        record["train"] = out.numpy()
        record["after_train"] = {k: v.numpy() for k, v in net.state_dict().items()
                                 if k.endswith(("_mean", "_variance"))}
        if "grad" in modes:
            cotangent = as_half_exact(rng.normal(size=out.shape))
            (out * paddle.to_tensor(cotangent)).sum().backward()
            key = first_weight_key(params)
            weight = dict(net.named_parameters())[key]
            record["cotangent"] = cotangent
            record["grad_input"] = xt.grad.numpy()
            record["grad"] = {key: weight.grad.numpy()}
    return record


HALF_FIELDS = ("params", "input", "cotangent")


def write_case(path, family, kwargs, size, batch, modes, record):
    arrays = {}
    for field, value in record.items():
        dtype = "float16" if field in HALF_FIELDS else "float32"
        if isinstance(value, dict):
            for key, array in value.items():
                arrays[SEP.join([field, key])] = np.asarray(array, dtype=dtype)
        else:
            arrays[field] = np.asarray(value, dtype=dtype)
    case = {"family": family, "kwargs": kwargs, "size": size, "batch": batch,
            "modes": list(modes)}
    arrays["__case__"] = np.frombuffer(json.dumps(case).encode("utf-8"), dtype=np.uint8)
    np.savez(path, **arrays)
    print(f"{path}: {os.path.getsize(path) // 1024} KB")


def write_family(classes, family, cases, out_dir, first_seed):
    for seed, (name, kwargs, size, batch, modes) in enumerate(cases, first_seed):
        record = run_case(classes[family], name, kwargs, size, batch, modes, seed)
        write_case(os.path.join(out_dir, f"translation_{name}.npz"), family, kwargs, size,
                   batch, modes, record)


def layouts(classes):
    small = {}
    for name, (family, kwargs) in LAYOUT_CONFIGS.items():
        net = classes[family](**kwargs)
        small[name] = {
            "state_dict": [[k, list(v.shape)] for k, v in net.state_dict().items()],
            # where the Dropout layers sit (they have no parameters to show it)
            "dropout": [n for n, layer in net.named_sublayers()
                        if isinstance(layer, nn.Dropout)],
        }
    shipped = {}
    for name, (family, kwargs) in SHIPPED_CONFIGS.items():
        net = classes[family](**kwargs)
        shipped[name] = {
            "state_dict_values": int(sum(np.prod(v.shape) for v in net.state_dict().values())),
            "trainable_values": int(sum(np.prod(p.shape) for p in net.parameters()
                                        if not p.stop_gradient and p.trainable)),
        }
        print(name, shipped[name])
    return {"small": small, "shipped": shipped}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paddlegan", required=True, help="PaddleGAN checkout (has ppgan/)")
    parser.add_argument("--out", default=DATA_DIR, help="where the .npz/.json files go")
    args = parser.parse_args()
    classes = import_paddlegan(os.path.abspath(args.paddlegan))
    os.makedirs(args.out, exist_ok=True)
    write_family(classes, "unet", UNET_CASES, args.out, 100)
    write_family(classes, "resnet", RESNET_CASES, args.out, 200)
    write_family(classes, "nlayers", NLAYERS_CASES, args.out, 300)
    path = os.path.join(args.out, "translation_layouts.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(layouts(classes), f, indent=1)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
