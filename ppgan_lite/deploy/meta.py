"""What an exported folder holds and says about itself.

An exported folder holds ``model.json`` + ``model.pdiparams`` (Paddle 3's program and
weights), ``meta.json`` (written last, so a folder with it is complete) and, when asked
for, ``model.onnx``. ``meta.json`` names the model and net, the generator's inputs in
order (name, kind, shape with the batch dimension None, value range), the output, the
weights file's SHA-256 and the versions that wrote it.

Format 2 lists every input under ``inputs``; format 1 folders (one input, described by
``input_name`` / ``input_kind`` / ``input_shape``) still load, and format 2 keeps those
three keys for the first input.
"""
import hashlib
import json
import os

from ..utils.errors import ConfigError, PPGanLiteError, WeightsNotFoundError
from ..utils.fileio import atomic_write

PROGRAM_PREFIX = "model"
META_FILE = "meta.json"
ONNX_FILE = "model.onnx"
META_FORMAT = "ppgan_lite-export/2"
ONNX_INSTALL_HINT = "pip install onnxruntime paddle2onnx (or pip install -e '.[onnx]')"
# value ranges by input kind: images in [-1, 1]; noise, labels and scalars unbounded
INPUT_RANGES = {"image": [-1.0, 1.0]}


class ExportError(PPGanLiteError):
    """A net cannot be exported or converted; the message names the part that fails."""


def file_sha256(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def write_file_atomically(path, data):
    """``data`` to ``path`` via a temp file and a rename (``utils.fileio``)."""
    return atomic_write(path, lambda f: f.write(data))


def read_meta(directory):
    path = os.path.join(directory, META_FILE)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"'{path}' is not valid JSON ({exc}): export the model again") \
            from None
    return meta if isinstance(meta, dict) else {}


def write_meta(directory, meta):
    data = json.dumps(meta, indent=2).encode("utf-8")
    return write_file_atomically(os.path.join(directory, META_FILE), data)


def meta_inputs(meta):
    """[{name, kind, shape}] of an exported folder's meta (either format); [] if unknown."""
    if meta.get("inputs"):
        return list(meta["inputs"])
    if meta.get("input_shape"):
        return [{"name": meta.get("input_name", "x"), "kind": meta.get("input_kind", "image"),
                 "shape": list(meta["input_shape"])}]
    return []


def make_meta(model_name, net_name, layer, inputs, out_shape, weights_path):
    """meta.json's content for ``layer`` exported with ``inputs`` (NetInputs)."""
    import paddle

    from .. import __version__

    described = [{"name": i.name, "kind": i.kind, "shape": [None] + list(i.shape),
                  "range": INPUT_RANGES.get(i.kind)} for i in inputs]
    first = described[0]
    return {
        "format": META_FORMAT,
        "model": model_name,
        "net": net_name,
        "generator": type(layer).__name__,
        "inputs": described,
        "input_name": first["name"],
        "input_kind": first["kind"],
        "input_shape": first["shape"],
        "input_range": first["range"],
        "output_shape": list(out_shape),
        "output_range": [-1.0, 1.0],
        "img_size": int(out_shape[-1]),
        "layout": "NCHW",
        "dtype": "float32",
        "files": {"program": f"{PROGRAM_PREFIX}.json", "params": f"{PROGRAM_PREFIX}.pdiparams"},
        "weights": {"file": os.path.basename(weights_path), "sha256": file_sha256(weights_path)}
        if weights_path else None,
        "versions": {"ppgan_lite": __version__, "paddle": paddle.__version__},
    }


def program_files(directory):
    """(program, params) of an exported folder: meta.json's names, else the one
    *.json (Paddle 3) or *.pdmodel (Paddle 2) program beside a *.pdiparams."""
    meta = read_meta(directory)
    files = meta.get("files") or {}
    if files.get("program"):
        # params is None for a net without parameters (paddle.jit.save writes no file)
        paths = [os.path.join(directory, files[k]) for k in ("program", "params")
                 if files.get(k)]
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise WeightsNotFoundError(f"'{missing[0]}' is missing although meta.json names "
                                       f"it: export the model again")
        return paths[0], (paths[1] if len(paths) > 1 else "")
    names = sorted(os.listdir(directory))
    params = [n for n in names if n.endswith(".pdiparams")]
    programs = [n for n in names if n.endswith((".json", ".pdmodel")) and n != META_FILE]
    for param in params:
        stem = param[:-len(".pdiparams")]
        for ext in (".json", ".pdmodel"):
            if stem + ext in programs:
                return os.path.join(directory, stem + ext), os.path.join(directory, param)
    raise WeightsNotFoundError(f"'{directory}' holds no exported Paddle model (a *.json or "
                               f"*.pdmodel program with its *.pdiparams): export one with "
                               f"tools/export_model.py")
