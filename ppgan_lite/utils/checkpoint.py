"""Checkpoints that never lose work.

A checkpoint is one ``.npz`` file: every tensor (nets, optimizer moments, RNG engine
state) as a named array and one JSON document for everything else (epoch, iteration,
scheduler, Python/numpy RNG state, the resolved config). It is written to a temporary
file in the same directory, flushed to disk and renamed over the target, so a crash
mid-write leaves the previous checkpoint intact; loading uses
``numpy.load(allow_pickle=False)`` and therefore reads tensors only, never code.

PaddleGAN's ``.pdparams`` (pickled dicts of arrays) are read for ``--load`` through an
unpickler that only admits numpy arrays and plain containers.
"""
import glob
import io
import json
import os
import pickle
import random
import re

import numpy as np

from .errors import WeightsNotFoundError
from .fileio import atomic_write

META_KEY = "__meta__.json"
SEP = "/"


# ------------------------------------------------------------------ flatten
def _flatten(tree, prefix, arrays, meta):
    """Split a nested dict into arrays (tensors, ndarrays) and JSON-able meta."""
    for key, value in tree.items():
        key = str(key)
        path = f"{prefix}{SEP}{key}" if prefix else key
        if isinstance(value, dict):
            meta[key] = {}
            _flatten(value, path, arrays, meta[key])
        elif hasattr(value, "numpy") and callable(value.numpy):
            arrays[path] = np.asarray(value.numpy())
            meta[key] = {"__array__": path}
        elif isinstance(value, np.ndarray):
            arrays[path] = value
            meta[key] = {"__array__": path}
        elif isinstance(value, (np.integer, np.floating)):
            meta[key] = value.item()
        else:
            meta[key] = value


def _unflatten(meta, arrays):
    out = {}
    for key, value in meta.items():
        if isinstance(value, dict) and set(value) == {"__array__"}:
            out[key] = arrays[value["__array__"]]
        elif isinstance(value, dict):
            out[key] = _unflatten(value, arrays)
        else:
            out[key] = value
    return out


def _json_default(obj):
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in a checkpoint")


def save_state(path, state):
    """Write a nested dict of tensors/arrays/JSON values atomically."""
    arrays, meta = {}, {}
    _flatten(state, "", arrays, meta)
    meta_bytes = json.dumps(meta, default=_json_default).encode("utf-8")
    arrays[META_KEY] = np.frombuffer(meta_bytes, dtype=np.uint8)
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def load_state(path):
    """Read what ``save_state`` wrote (tensors only: no pickle)."""
    if not os.path.isfile(path):
        raise WeightsNotFoundError(f"checkpoint '{path}' does not exist: pass a file "
                                   f"written by tools/main.py (output_dir/checkpoints/)")
    kind = _file_kind(path)
    if kind != ZIP_KIND:  # an .npz is a zip archive; a cut one still starts like one
        raise _not_weights(path, kind)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as exc:
        raise WeightsNotFoundError(f"checkpoint '{path}' is not readable ({exc}); it may be "
                                   f"truncated: use an earlier checkpoint") from None
    if META_KEY not in arrays:
        raise _not_weights(path, f"a numpy .npz without the {META_KEY} a checkpoint has")
    meta = json.loads(arrays.pop(META_KEY).tobytes().decode("utf-8"))
    return _unflatten(meta, arrays)


# What a file passed as weights is by its first bytes, so the message can say it.
ZIP_KIND = "a zip archive"
PICKLE_KIND = "a pickle"
_SIGNATURES = ((b"PK\x03\x04", ZIP_KIND), (b"\xff\xd8\xff", "a JPEG image"),
               (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"), (b"\x80", PICKLE_KIND))


def _file_kind(path):
    """``_SIGNATURES``' name of the file, 'an empty file', 'a text file' or None."""
    with open(path, "rb") as f:
        head = f.read(512)
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if not head:
        return "an empty file"
    if b"\x00" not in head and all(byte >= 9 for byte in head):
        return "a text file"
    return None


def _not_weights(path, kind):
    seen = f" (it is {kind})" if kind else ""
    return WeightsNotFoundError(
        f"'{path}' is not a ppgan_lite checkpoint (.ckpt.npz) or a PaddleGAN .pdparams"
        f"{seen}: pass a checkpoint training wrote (output_dir/<run>/checkpoints/) or a "
        f".pdparams of the model's weights")


# ------------------------------------------------------------------ RNG states
def capture_rng_state():
    import paddle

    py_version, py_state, py_gauss = random.getstate()
    np_state = np.random.get_state()
    paddle_states = []
    for st in paddle.get_rng_state():
        device, seed, offset, engine = st.__getstate__()
        paddle_states.append({"device": device, "seed": seed, "offset": offset,
                              "engine": np.asarray(engine, dtype=np.uint8)})
    return {
        "python": {"version": py_version, "state": np.asarray(py_state, dtype=np.int64),
                   "gauss": py_gauss},
        "numpy": {"kind": np_state[0], "keys": np_state[1], "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "paddle": {str(i): s for i, s in enumerate(paddle_states)},
    }


def restore_rng_state(state):
    import paddle

    py = state["python"]
    random.setstate((py["version"], tuple(int(x) for x in py["state"]), py["gauss"]))
    n = state["numpy"]
    np.random.set_state((n["kind"], np.asarray(n["keys"], dtype=np.uint32), n["pos"],
                         n["has_gauss"], n["cached"]))
    current = paddle.get_rng_state()
    restored = []
    for i, st in enumerate(current):
        saved = state["paddle"].get(str(i))
        if saved is None:
            restored.append(st)
            continue
        new = type(st).__new__(type(st))
        new.__setstate__((int(saved["device"]), int(saved["seed"]), int(saved["offset"]),
                          [int(x) for x in saved["engine"]]))
        restored.append(new)
    paddle.set_rng_state(restored)


# ------------------------------------------------------------------ files
CKPT_RE = re.compile(r"iter_(\d+)\.ckpt\.npz$")


def checkpoint_path(directory, iteration):
    return os.path.join(directory, f"iter_{iteration:08d}.ckpt.npz")


def list_checkpoints(directory):
    """Checkpoints in ``directory``, oldest first."""
    found = []
    for path in glob.glob(os.path.join(directory, "iter_*.ckpt.npz")):
        m = CKPT_RE.search(path)
        if m:
            found.append((int(m.group(1)), path))
    return [p for _, p in sorted(found)]


def prune_checkpoints(directory, keep_last):
    """Remove all but the newest ``keep_last`` checkpoints (keep all if <= 0)."""
    if keep_last is None or keep_last <= 0:
        return []
    old = list_checkpoints(directory)[:-keep_last]
    for path in old:
        os.remove(path)
    return old


# ------------------------------------------------------------------ weights
class RefusedPickleError(pickle.UnpicklingError):
    """A weights file holds something other than arrays (code, objects)."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """PaddleGAN's .pdparams are pickled dicts of numpy arrays: admit nothing else."""

    ALLOWED = {
        ("collections", "OrderedDict"), ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("builtins", "tuple"), ("builtins", "list"), ("builtins", "dict"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise RefusedPickleError(f"refusing to load '{module}.{name}' from a weights "
                                     f"file (only arrays are allowed)")


def load_weights(path):
    """Nets' state dicts from a ppgan_lite checkpoint, or a PaddleGAN .pdparams.

    Returns ``{net_name: {param: ndarray}}``; a .pdparams holding one net's params
    directly is returned as ``{"": params}`` for the caller to place.
    """
    if not os.path.isfile(path):
        raise WeightsNotFoundError(f"weights file '{path}' does not exist: pass a "
                                   f"checkpoint (.ckpt.npz) or a .pdparams file")
    if path.endswith(".npz"):
        state = load_state(path)
        if "nets" not in state:
            raise WeightsNotFoundError(f"'{path}' holds no nets: is it a ppgan_lite "
                                       f"checkpoint?")
        return state["nets"]
    kind = _file_kind(path)
    if kind not in (PICKLE_KIND, "a text file", None):  # pickle protocol 0 is text
        raise _not_weights(path, kind)
    try:
        with open(path, "rb") as f:
            data = _ArraysOnlyUnpickler(io.BytesIO(f.read())).load()
    except Exception as exc:
        if kind != PICKLE_KIND and not isinstance(exc, RefusedPickleError):
            raise _not_weights(path, kind) from None
        raise WeightsNotFoundError(f"weights file '{path}' could not be read as a .pdparams "
                                   f"of arrays: {exc}") from None
    if not isinstance(data, dict):
        raise WeightsNotFoundError(f"weights file '{path}' holds {type(data).__name__}, "
                                   f"not a dict of parameters")
    data = _clean_params(data)
    if data and all(isinstance(v, dict) for v in data.values()):
        return data
    return {"": data}


def _clean_params(tree):
    """Drop paddle.save's name map and unwrap its (name, array) tuples."""
    out = {}
    for key, value in tree.items():
        if key == "StructuredToParameterName@@":
            continue
        if isinstance(value, dict):
            out[key] = _clean_params(value)
        elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            out[key] = np.asarray(value[1])
        else:
            out[key] = np.asarray(value)
    return out


def place_weights(net, params, source, net_name):
    """Load ``params`` (name -> array) into ``net``; a missing key or a wrong shape is
    one line naming both (a half-loaded generator makes noise without complaint)."""
    own = net.state_dict()
    missing = [k for k in own if k not in params]
    reshaped = [k for k in own if k in params
                and tuple(np.shape(params[k])) != tuple(own[k].shape)]
    if missing or reshaped:
        detail = (f"{len(missing)} missing, e.g. '{missing[0]}'" if missing else
                  f"'{reshaped[0]}' is {list(np.shape(params[reshaped[0]]))}, the net "
                  f"expects {list(own[reshaped[0]].shape)}")
        raise WeightsNotFoundError(f"weights in '{source}' do not fit net '{net_name}' "
                                   f"({detail}): pass the config they were trained with")
    net.set_state_dict({k: np.asarray(params[k], dtype=np.asarray(own[k]).dtype)
                        for k in own})
