"""YAML configs in PaddleGAN's layout: `_base_` inheritance, `-o` overrides and
validation against the constructor signatures of the registered classes.

Validation runs before any work starts, so a typo costs a second, not an epoch.
"""
import copy
import difflib
import inspect
import os
import re

import yaml

from .errors import ConfigError
from .settings import SECTION_KEYS
from .registry import (CRITERIONS, DATASETS, DISCRIMINATORS, GENERATORS, LR_SCHEDULERS,
                       METRICS, MODELS, OPTIMIZERS, PREPROCESS, TRANSFORMS,
                       check_arguments)


class AttrDict(dict):
    """A dict whose keys also read as attributes (PaddleGAN's `cfg.model.generator`)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value

    def __deepcopy__(self, memo):
        return AttrDict({k: copy.deepcopy(v, memo) for k, v in self.items()})


def to_attr_dict(obj):
    if isinstance(obj, dict):
        return AttrDict({k: to_attr_dict(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return [to_attr_dict(v) for v in obj]
    return obj


def to_plain(obj):
    """AttrDicts back to plain dicts/lists (for YAML/JSON dumps)."""
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj


# Top-level keys and what they hold. PaddleGAN's keys are all accepted, so its YAML
# files load unchanged; keys ppgan_lite does not act on are listed in IGNORED_KEYS.
TOP_LEVEL_KEYS = {
    "epochs": int, "total_iters": int, "output_dir": str, "model": dict, "dataset": dict,
    "lr_scheduler": dict, "optimizer": dict, "log_config": dict, "snapshot_config": dict,
    "validate": dict, "seed": int, "amp": bool, "amp_level": str, "min_max": (list, tuple),
    "export_model": (list, dict), "enable_visualdl": bool, "find_unused_parameters": bool,
    "is_train": bool, "profiler_options": (str, dict), "timestamp": str, "max_eval_steps": int,
    "use_visualdl": bool,
}
IGNORED_KEYS = {"find_unused_parameters", "is_train", "profiler_options", "timestamp",
                "export_model"}

class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads ``1e-4`` as a string; learning rates are written that way, so
    numbers in exponent form without a dot are floats here."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                  |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                  |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def yaml_load(text_or_stream):
    return yaml.load(text_or_stream, Loader=_Loader)


def _read_yaml(path):
    if not os.path.isfile(path):
        raise ConfigError(f"config file '{path}' does not exist: pass an existing YAML "
                          f"file with -c/--config-file (see configs/)")
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml_load(f) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"config file '{path}' is not valid YAML{where}: "
                              f"{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of keys, "
                          f"not {type(data).__name__}")
    return data


def merge(base, override):
    """Deep-merge ``override`` into a copy of ``base``; ``_delete_: true`` in a
    mapping replaces the base mapping instead of merging."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) \
                and not value.get("_delete_", False):
            out[key] = merge(out[key], value)
        else:
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != "_delete_"}
            out[key] = copy.deepcopy(value)
    return out


def _load_with_bases(path, seen=()):
    path = os.path.abspath(path)
    if path in seen:
        raise ConfigError(f"config '_base_' loop: {' -> '.join(seen + (path,))}")
    data = _read_yaml(path)
    bases = data.pop("_base_", None)
    if bases is None:
        return data
    merged = {}
    for base in [bases] if isinstance(bases, str) else bases:
        base_path = base if os.path.isabs(base) else os.path.join(os.path.dirname(path), base)
        merged = merge(merged, _load_with_bases(base_path, seen + (path,)))
    return merge(merged, data)


def parse_override(text):
    """'a.b=1' -> (['a', 'b'], 1); the value is typed by YAML (numbers, bools, lists)."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like key.sub=value, e.g. "
                          f"-o total_iters=100")
    key, value = text.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override '{text}' has an empty key")
    try:
        parsed = yaml_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return key.strip().split("."), parsed


def apply_overrides(cfg, overrides):
    for text in overrides or ():
        keys, value = parse_override(text)
        node = cfg
        for i, key in enumerate(keys[:-1]):
            if isinstance(node, list):
                node = node[_list_index(key, keys, i)]
                continue
            if key not in node or not isinstance(node[key], (dict, list)):
                if key not in node:
                    _check_known_key(node, key, ".".join(keys[:i + 1]), top=(i == 0))
                node[key] = {}
            node = node[key]
        last = keys[-1]
        if isinstance(node, list):
            node[_list_index(last, keys, len(keys) - 1)] = value
        else:
            if last not in node:
                _check_known_key(node, last, ".".join(keys), top=(len(keys) == 1))
            _check_not_replacing_a_section(node.get(last), value, ".".join(keys), text)
            node[last] = value
    return cfg


def _check_not_replacing_a_section(old, value, dotted, text):
    """``-o model.generator=DCGenerator`` would replace the whole generator section
    with a string; the user meant one of its keys."""
    if isinstance(old, dict) and old and not isinstance(value, dict) and value is not None:
        example = "name" if "name" in old else next(iter(old))
        raise ConfigError(f"-o {text} replaces the section '{dotted}' (keys "
                          f"{', '.join(map(str, old))}) with {value!r}: set one of its "
                          f"keys instead, e.g. -o {dotted}.{example}=...")


def _list_index(key, keys, i):
    try:
        return int(key)
    except ValueError:
        raise ConfigError(f"override key '{'.'.join(keys)}': '{'.'.join(keys[:i])}' is a "
                          f"list, so '{key}' must be an index") from None


def _check_known_key(node, key, dotted, top):
    if top and key not in TOP_LEVEL_KEYS:
        _unknown(key, TOP_LEVEL_KEYS, dotted)


def _unknown(key, known, where):
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ConfigError(f"unknown config key '{where}'.{hint}")


def load_config(path, overrides=None):
    """Read ``path`` with its `_base_` chain, apply ``-o`` overrides, return AttrDict."""
    cfg = _load_with_bases(path)
    cfg = apply_overrides(cfg, overrides)
    return to_attr_dict(cfg)


# ---------------------------------------------------------------- validation
_TYPE_NAMES = {int: "an integer", float: "a number", bool: "true/false", str: "a string",
               dict: "a mapping", list: "a list"}


def _type_ok(value, expected):
    if value is None:
        return True
    expected = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):
        return bool in expected
    if float in expected and isinstance(value, int):
        return True
    if int in expected and isinstance(value, float) and value == float("inf"):
        return True  # PaddleGAN writes `max_size: inf`
    return isinstance(value, expected)


def _expect(value, expected, where):
    if not _type_ok(value, expected):
        names = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in
                            (expected if isinstance(expected, tuple) else (expected,)))
        raise ConfigError(f"config key '{where}' must be {names}, got {value!r}")


def _check_signature_types(obj, kwargs, where):
    """Types from the constructor defaults: a default of 64 means a number is wanted.

    Lenient on purpose where configs legitimately differ from the default's type (a
    per-channel list where the default is one number); strict where a value cannot be
    right (text where a number or a flag is wanted)."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return
    for key, value in kwargs.items():
        p = params.get(key)
        if p is None or value is None:
            continue
        if p.default is inspect.Parameter.empty or p.default is None:
            # no default to go by: a number annotation (learning_rate: float) still says
            if p.annotation in (int, float) and (isinstance(value, (bool, str))):
                _expect(value, (int, float), f"{where}.{key}")
            continue
        default = p.default
        if isinstance(default, bool):
            bad = not isinstance(value, (bool, int))
            wanted = bool
        elif isinstance(default, (int, float)):
            bad = isinstance(value, bool) or (
                isinstance(value, str) and value.lower() not in ("inf", ".inf"))
            wanted = (int, float)
        elif isinstance(default, str):
            bad = isinstance(value, (bool, int, float))
            wanted = str
        else:
            continue
        if bad:
            _expect(value, wanted, f"{where}.{key}")


def validate_component(cfg, registries, where, skip=()):
    """Check a {name: ..., **kwargs} mapping against its class, recursing into nested
    components (a generator inside a model, transforms inside a pipeline)."""
    if not isinstance(cfg, dict) or "name" not in cfg:
        raise ConfigError(f"config key '{where}' needs a mapping with a 'name' key")
    registry = next((r for r in registries if cfg["name"] in r), None) \
        or _closest_registry(str(cfg["name"]), registries)
    obj = registry.get(cfg["name"], where)
    kwargs = {k: v for k, v in cfg.items() if k != "name" and k not in skip}
    check_arguments(obj, kwargs, where, also_accepted=skip)
    _check_signature_types(obj, kwargs, where)
    for key, value in kwargs.items():
        if isinstance(value, dict) and "name" in value:
            validate_component(value, (GENERATORS, DISCRIMINATORS, CRITERIONS, MODELS),
                               f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and "name" in item:
                    validate_component(item, (PREPROCESS, TRANSFORMS),
                                       f"{where}.{key}[{i}]")
    return obj


def _closest_registry(name, registries):
    """For an unknown name, the registry whose names it is closest to, so the error
    lists what was meant (a misspelt transform among transforms, not data loaders)."""
    def score(registry):
        return max((difflib.SequenceMatcher(None, name, known).ratio() for known in registry),
                   default=0.0)

    return max(registries, key=score)


LOADER_KEYS = ("batch_size", "num_workers", "shuffle", "drop_last", "use_shared_memory")
OPTIMIZER_EXTRA = ("net_names",)


def validate_config(cfg, require_train_data=True):
    """Raise ConfigError for anything wrong, before any work starts. The registries
    must be populated (import ppgan_lite.models etc.) before calling this."""
    for key, value in cfg.items():
        if key not in TOP_LEVEL_KEYS:
            _unknown(key, TOP_LEVEL_KEYS, key)
        _expect(value, TOP_LEVEL_KEYS[key], key)
    for section, keys in SECTION_KEYS.items():
        for key, value in (cfg.get(section) or {}).items():
            if key not in keys:
                _unknown(key, keys, f"{section}.{key}")
            _expect(value, keys[key][0], f"{section}.{key}")
    if "model" not in cfg:
        raise ConfigError("config needs a 'model' section (e.g. model: {name: DCGANModel, ...})")
    model_cls = validate_component(cfg.model, (MODELS,), "model")
    if require_train_data:
        check_optimizer_groups(cfg, model_cls)
    if cfg.get("total_iters") is None and cfg.get("epochs") is None and require_train_data:
        raise ConfigError("config needs 'epochs' or 'total_iters' to know how long to train")
    for key in ("total_iters", "epochs"):
        if cfg.get(key) is not None and cfg[key] < 1:
            raise ConfigError(f"config key '{key}' is {cfg[key]}: use a number of "
                              f"{'iterations' if key == 'total_iters' else 'epochs'} >= 1")
    dataset = cfg.get("dataset") or {}
    for key in dataset:
        if key not in ("train", "test"):
            _unknown(key, ("train", "test"), f"dataset.{key}")
    if require_train_data and "train" not in dataset:
        raise ConfigError("config needs 'dataset.train' (see configs/ for examples)")
    for split, dcfg in dataset.items():
        if dcfg is not None:
            validate_component(dcfg, (DATASETS,), f"dataset.{split}", skip=LOADER_KEYS)
    if cfg.get("lr_scheduler"):
        validate_component(cfg.lr_scheduler, (LR_SCHEDULERS,), "lr_scheduler",
                           skip=("iters_per_epoch",))
    for group, ocfg in (cfg.get("optimizer") or {}).items():
        validate_component(ocfg, (OPTIMIZERS,), f"optimizer.{group}",
                           skip=OPTIMIZER_EXTRA + ("learning_rate", "lr_scheduler", "parameters"))
        _expect(ocfg.get("learning_rate"), float, f"optimizer.{group}.learning_rate")
        if ocfg.get("lr_scheduler") is not None:
            validate_component(ocfg["lr_scheduler"], (LR_SCHEDULERS,),
                               f"optimizer.{group}.lr_scheduler", skip=("iters_per_epoch",))
    for name, mcfg in ((cfg.get("validate") or {}).get("metrics") or {}).items():
        mcfg = dict(mcfg or {})
        mcfg.setdefault("name", name)
        validate_component(mcfg, (METRICS,), f"validate.metrics.{name}")
    return cfg


def check_optimizer_groups(cfg, model_cls):
    """The config's optimizer groups must be the ones the model steps: a model looks
    its optimizers up by group name, so another name would fail at the first step."""
    expected = dict(model_cls.optimizer_groups)
    if not expected:
        return
    given = cfg.get("optimizer") or {}
    if not isinstance(given, dict) or set(given) != set(expected):
        wanted = ", ".join(f"optimizer.{g} (nets {', '.join(n)})" for g, n in expected.items())
        named = ", ".join(given) if isinstance(given, dict) and given else "none"
        raise ConfigError(f"{model_cls.__name__} steps the optimizer groups {wanted}; the "
                          f"config's optimizer section names {named}: use those group names")


def dump_config(cfg, path):
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(to_plain(cfg), f, sort_keys=False)
