"""Reference numbers for the StyleGAN2 nets and upfirdn2d, from PaddleGAN's own modules.

    python tests/reference/make_stylegan2_references.py --paddlegan /path/to/PaddleGAN

imports PaddleGAN's ``StyleGANv2Generator``, ``StyleGANv2Discriminator`` and
``ppgan.modules.upfirdn2d`` (one module at a time, without its package ``__init__``s,
which do not import on Paddle 3) and writes

* ``tests/models/data/stylegan2_reference.npz``: upfirdn2d / Upsample / Downsample /
  Blur outputs on a fixed input (``upfirdn::<case>``); for a size-16 generator
  (style_dim 16, n_mlp 2; PaddleGAN's table gives it 512 channels) its fixed inputs
  (``g::z``, ``g::z2``, ``g::mean_latent``, ``g::w``, ``g::w_plus``, ``g::noise_<i>``,
  ``g::cotangent``) and outputs (``g::<case>::image`` / ``::latent``, ``g::grad_z``), the
  same for an ``is_concat`` one (``gc::image``) and for a size-16 discriminator
  (``d::input``, ``d::logits_<batch>``, ``d::grad_input``); ``__meta__`` (JSON) says how
  each was made. The nets' weights are not stored (512 channels would be megabytes):
  ``draw_weights`` below gives every state-dict entry a value from a seed and the key's
  name, and the tests call it to rebuild the same weights;
* ``tests/models/data/stylegan2_layouts.json``: PaddleGAN's state-dict keys and shapes
  for the small nets, and the entry / value counts of the released sizes.

Not collected by pytest; contains no PaddleGAN code, only imports it.
"""
import argparse
import json
import os
import sys
import types
import zlib

import numpy as np

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

DATA_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "models", "data"))
SEP = "::"

G_KWARGS = dict(size=16, style_dim=16, n_mlp=2, channel_multiplier=2)
D_KWARGS = dict(size=16, channel_multiplier=2)
G_SEED, GC_SEED, D_SEED, INPUT_SEED = 11, 12, 13, 14
LR_MLP = 0.01
INJECT_INDEX = 2
TRUNCATION = 0.7
D_BATCHES = (8, 3)  # minibatch-stddev groups: two of 4, one of 3
# (name, kernel, up, down, pad) run through upfirdn2d directly
UPFIRDN_CASES = [
    ("up2_k4", [1, 3, 3, 1], 2, 1, (2, 1)),
    ("down2_k4", [1, 3, 3, 1], 1, 2, (1, 1)),
    ("blur_k4", [1, 3, 3, 1], 1, 1, (2, 1)),
    ("up2_k3", [1, 2, 1], 2, 1, (1, 1)),
    ("up2_down2_k2", [1, 1], 2, 2, (0, 1)),
    ("down2_k2d", [[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1, 2, (1, 0)),
    ("up2_crop", [1, 3, 3, 1], 2, 1, (-1, 2)),
    ("up3_k4", [1, 3, 3, 1], 3, 1, (1, 1)),
]
# released configurations (ppgan/apps/styleganv2_predictor.py, configs/stylegan_v2_256_ffhq)
SHIPPED_G = {
    "ffhq-config-f": dict(size=1024, style_dim=512, n_mlp=8, channel_multiplier=2),
    "animeface-512": dict(size=512, style_dim=512, n_mlp=8, channel_multiplier=2),
    "ffhq-256": dict(size=256, style_dim=512, n_mlp=8),
}
SHIPPED_D = {"d1024": dict(size=1024), "d512": dict(size=512), "d256": dict(size=256)}


def draw_weights(layout, seed, lr_mlp=LR_MLP):
    """{key: float32 array} for a state-dict layout [(key, shape), ...].

    Each entry is drawn from RandomState(crc32(key) ^ seed), so the values do not depend
    on the order of the keys. The FIR ``kernel`` buffers are left out (they are fixed
    by the constructor). Equalized-lr weights are N(0, 1) (their run-time scale makes
    them O(1)); the mapping net's are N(0, 1) / lr_mlp as PaddleGAN initialises them;
    modulation biases are near 1 (their init), other biases and the noise strengths
    small, so every term of the output matters."""
    out = {}
    for key, shape in layout:
        if key.endswith("kernel"):
            continue
        rng = np.random.RandomState((zlib.crc32(key.encode("utf-8")) ^ seed) & 0x7FFFFFFF)
        value = rng.standard_normal(tuple(shape))
        if key.startswith("style."):
            value = value / lr_mlp * (0.1 if key.endswith("bias") else 1.0)
        elif key.endswith("modulation.bias"):
            value = 1.0 + 0.2 * value
        elif key.endswith("bias") or key.endswith("noise.weight"):
            value = 0.2 * value
        out[key] = value.astype("float32")
    return out


def layout_of(net):
    return [(k, [int(s) for s in v.shape]) for k, v in net.state_dict().items()]


def half_exact(array):
    """float32 values that float16 holds exactly (stored as float16)."""
    return np.asarray(array, dtype="float16").astype("float32")


def import_paddlegan(root):
    base = os.path.join(root, "ppgan")
    if not os.path.isdir(base):
        sys.exit(f"--paddlegan {root}: no ppgan/ folder there (give PaddleGAN's checkout)")
    for dirpath, _, _ in os.walk(base):
        name = os.path.relpath(dirpath, root).replace(os.sep, ".")
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [dirpath]
            sys.modules[name] = module
    from ppgan.models.discriminators.discriminator_styleganv2 import StyleGANv2Discriminator
    from ppgan.models.generators.generator_styleganv2 import StyleGANv2Generator
    from ppgan.modules import upfirdn2d
    return StyleGANv2Generator, StyleGANv2Discriminator, upfirdn2d


def upfirdn_records(up):
    x = half_exact(np.random.RandomState(INPUT_SEED).uniform(-1, 1, (1, 3, 8, 7)))
    t = paddle.to_tensor(x)
    rec = {"upfirdn::input": x}
    for name, kernel, u, d, pad in UPFIRDN_CASES:
        rec[f"upfirdn::{name}"] = up.upfirdn2d(t, up.make_kernel(kernel), u, d, pad).numpy()
    rec["upfirdn::Upsample"] = up.Upfirdn2dUpsample([1, 3, 3, 1])(t).numpy()
    rec["upfirdn::Downsample"] = up.Upfirdn2dDownsample([1, 3, 3, 1])(t).numpy()
    rec["upfirdn::Blur"] = up.Upfirdn2dBlur([1, 3, 3, 1], (2, 1), upsample_factor=2)(t).numpy()
    return rec


def generator_records(G):
    paddle.seed(G_SEED)
    g = G(**G_KWARGS)
    g.set_state_dict(draw_weights(layout_of(g), G_SEED))
    g.eval()
    rng = np.random.RandomState(INPUT_SEED + 1)
    sd = G_KWARGS["style_dim"]
    z, z2 = (half_exact(rng.standard_normal((2, sd))) for _ in range(2))
    mean = half_exact(0.3 * rng.standard_normal((1, sd)))
    w = half_exact(rng.standard_normal((2, sd)))
    w_plus = half_exact(rng.standard_normal((2, g.n_latent, sd)))
    noise = [half_exact(rng.standard_normal(tuple(getattr(g.noises, f"noise_{i}").shape)
                                            ).repeat(2, axis=0)) for i in range(g.num_layers)]
    T = paddle.to_tensor
    rec = {"g::z": z, "g::z2": z2, "g::mean_latent": mean, "g::w": w, "g::w_plus": w_plus}
    rec.update({f"g::noise_{i}": n for i, n in enumerate(noise)})
    noise_t = [T(n) for n in noise]
    cases = {
        "noise": dict(styles=[T(z)], noise=noise_t),
        "buffers": dict(styles=[T(z)], randomize_noise=False),
        "truncation": dict(styles=[T(z)], truncation=TRUNCATION, truncation_latent=T(mean),
                           randomize_noise=False),
        "mixing": dict(styles=[T(z), T(z2)], inject_index=INJECT_INDEX,
                       randomize_noise=False),
        "mixing_truncation": dict(styles=[T(z), T(z2)], inject_index=INJECT_INDEX,
                                  truncation=TRUNCATION, truncation_latent=T(mean),
                                  randomize_noise=False),
        "w": dict(styles=[T(w)], input_is_latent=True, randomize_noise=False),
        "w_plus": dict(styles=[T(w_plus)], input_is_latent=True, randomize_noise=False),
    }
    with paddle.no_grad():
        for name, kwargs in cases.items():
            image, latent = g(return_latents=True, **kwargs)
            rec[f"g::{name}::image"] = image.numpy()
            rec[f"g::{name}::latent"] = latent.numpy()
    zt = paddle.to_tensor(z, stop_gradient=False)
    image, _ = g([zt], noise=noise_t)
    cotangent = half_exact(rng.standard_normal(image.shape))
    (image * T(cotangent)).sum().backward()
    rec["g::cotangent"], rec["g::grad_z"] = cotangent, zt.grad.numpy()
    return rec, layout_of(g)


def concat_generator_records(G):
    """is_concat (GPEN's noise concatenation): PaddleGAN needs noise of the image's
    channel count, one map per resolution; drawn from GC_SEED, not stored."""
    paddle.seed(GC_SEED)
    g = G(is_concat=True, **G_KWARGS)
    g.set_state_dict(draw_weights(layout_of(g), GC_SEED))
    g.eval()
    rng = np.random.RandomState(INPUT_SEED + 3)
    z = half_exact(rng.standard_normal((2, G_KWARGS["style_dim"])))
    noise = concat_noise(g.channels, G_KWARGS["size"], GC_SEED)
    with paddle.no_grad():
        image, _ = g([paddle.to_tensor(z)], noise=[paddle.to_tensor(n) for n in noise])
    return {"gc::z": z, "gc::image": image.numpy()}


def concat_noise(channels, size, seed):
    rng = np.random.RandomState(seed)
    sizes = [2 ** i for i in range(2, int(np.log2(size)) + 1)]
    return [rng.standard_normal((2, channels[r], r, r)).astype("float32") for r in sizes]


def discriminator_records(D):
    paddle.seed(D_SEED)
    d = D(**D_KWARGS)
    d.set_state_dict(draw_weights(layout_of(d), D_SEED))
    size = D_KWARGS["size"]
    x = half_exact(np.random.RandomState(INPUT_SEED + 2).uniform(-1, 1, (8, 3, size, size)))
    rec = {"d::input": x}
    with paddle.no_grad():
        for batch in D_BATCHES:
            rec[f"d::logits_{batch}"] = d(paddle.to_tensor(x[:batch])).numpy()
    xt = paddle.to_tensor(x, stop_gradient=False)
    logits = d(xt)
    cotangent = half_exact(np.random.RandomState(INPUT_SEED + 4).standard_normal(logits.shape))
    (logits * paddle.to_tensor(cotangent)).sum().backward()
    rec["d::cotangent"], rec["d::grad_input"] = cotangent, xt.grad.numpy()
    return rec, layout_of(d)


def counts(net):
    sd = net.state_dict()
    return {"entries": len(sd), "values": int(sum(int(np.prod(v.shape)) for v in sd.values())),
            "parameters": int(sum(int(np.prod(p.shape)) for p in net.parameters())),
            "spot": {k: [int(s) for s in v.shape] for k, v in sd.items()
                     if k in SPOT_KEYS}}


SPOT_KEYS = ("style.8.weight", "input.input", "conv1.conv.weight", "convs.0.conv.weight",
             "convs.13.conv.weight", "convs.15.conv.weight", "to_rgbs.7.conv.weight",
             "to_rgbs.6.upsample.kernel", "noises.noise_16", "noises.noise_14",
             "convs.0.0.weight", "convs.1.conv1.0.weight", "convs.1.skip.1.weight",
             "final_conv.0.weight", "final_linear.0.weight", "final_linear.1.weight")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paddlegan", required=True, help="PaddleGAN checkout (has ppgan/)")
    parser.add_argument("--out", default=DATA_DIR, help="where the .npz/.json files go")
    args = parser.parse_args()
    G, D, up = import_paddlegan(os.path.abspath(args.paddlegan))
    os.makedirs(args.out, exist_ok=True)
    rec = upfirdn_records(up)
    g_rec, g_layout = generator_records(G)
    d_rec, d_layout = discriminator_records(D)
    rec.update(g_rec)
    rec.update(d_rec)
    rec.update(concat_generator_records(G))
    meta = {"g_kwargs": G_KWARGS, "d_kwargs": D_KWARGS, "g_seed": G_SEED, "gc_seed": GC_SEED,
            "d_seed": D_SEED, "inject_index": INJECT_INDEX, "truncation": TRUNCATION,
            "d_batches": list(D_BATCHES),
            "upfirdn_cases": [[n, k, u, d, list(p)] for n, k, u, d, p in UPFIRDN_CASES]}
    arrays = {k: np.asarray(v, dtype="float16" if k in HALF_KEYS or
                            k.startswith(("g::noise_", "upfirdn::input")) else "float32")
              for k, v in rec.items()}
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    path = os.path.join(args.out, "stylegan2_reference.npz")
    np.savez_compressed(path, **arrays)
    print(f"{path}: {os.path.getsize(path) // 1024} KB")
    # built for real: PaddleGAN's EqualLinear sets values in __init__, which LazyGuard refuses
    shipped = {name: counts(G(**kw)) for name, kw in SHIPPED_G.items()}
    shipped.update({name: counts(D(**kw)) for name, kw in SHIPPED_D.items()})
    layouts = {"g_small": g_layout, "d_small": d_layout, "shipped": shipped}
    path = os.path.join(args.out, "stylegan2_layouts.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(layouts, f, indent=1)
        f.write("\n")
    print(path)
    for name, c in shipped.items():
        print(name, c)


HALF_KEYS = ("g::z", "g::z2", "g::mean_latent", "g::w", "g::w_plus", "g::cotangent",
             "gc::z", "d::input", "d::cotangent")

if __name__ == "__main__":
    main()
