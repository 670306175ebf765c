"""Generators a predictor builds from a weights file, exported once into the user cache
so that paddle.inference or onnxruntime can run them."""
import hashlib
import json
import logging
import os

from ..utils.cache import cache_root
from .backends import load_generator
from .export import export_layer
from .meta import ExportError, file_sha256, read_meta

logger = logging.getLogger("ppgan_lite.deploy")


def inference_generator(net, inputs, backend, weights_path, config, app, net_name):
    """``load_generator`` for ``net`` (taking ``inputs``, NetInputs) built from a
    weights file.

    'dynamic' runs the Layer eagerly. The others need an exported program, so the net
    is exported once per (weights file, config) into ``cache_root()/app/exported/``
    (PaddleGAN's Photo2Cartoon generator: ~15 s once, then ~0.35 s a photo with
    onnxruntime against ~3 s eagerly); 'auto' falls back to eager running if the
    export fails.
    """
    if backend == "dynamic":
        return load_generator(net, backend="dynamic", inputs=inputs)
    try:
        folder = exported_copy(net, inputs, weights_path, config, app, net_name)
    except ExportError as exc:
        if backend != "auto":
            raise
        logger.warning("%s: cannot export the generator for fast inference (%s); running "
                       "it eagerly", app, exc)
        return load_generator(net, backend="dynamic", inputs=inputs)
    return load_generator(folder, backend=backend)


def exported_copy(net, inputs, weights_path, config, app, net_name):
    """Folder of ``net`` exported by ``export_layer``, made once and kept in the cache,
    keyed by the weights file's SHA-256 and the generator config."""
    digest = file_sha256(weights_path)
    settings = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()
                              ).hexdigest()
    folder = os.path.join(cache_root(), app, "exported", f"{digest[:20]}-{settings[:8]}")
    meta = read_meta(folder) if os.path.isdir(folder) else {}
    if (meta.get("weights") or {}).get("sha256") == digest:
        return folder
    logger.info("%s: exporting the generator once for fast inference into %s (a few "
                "seconds to a few tens of seconds)", app, folder)
    export_layer(net, inputs, folder, model_name=app, net_name=net_name,
                 weights_path=weights_path)
    return folder
