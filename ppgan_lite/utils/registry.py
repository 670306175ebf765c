"""Registries: one idiom to name every buildable class in a config.

``@GENERATORS.register()`` on a class; ``build(cfg, GENERATORS)`` pops ``name`` and
passes the rest as keyword arguments. An unknown name lists the registered ones, an
unknown argument names its close match.
"""
import copy
import difflib
import inspect

from .errors import ConfigError


class Registry:
    def __init__(self, name):
        self.name = name
        self._entries = {}
        self._aliases = {}

    def register(self, name=None, aliases=()):
        def _register(obj):
            key = name or obj.__name__
            if key in self._entries and self._entries[key] is not obj:
                raise KeyError(f"{key} is already registered in {self.name}")
            self._entries[key] = obj
            for alias in aliases:
                self._aliases[alias] = key
            return obj

        return _register

    def __contains__(self, name):
        return name in self._entries or name in self._aliases

    def __iter__(self):
        return iter(sorted(self._entries))

    def keys(self):
        return sorted(self._entries)

    def get(self, name, where=None):
        name = self._aliases.get(name, name)
        if name not in self._entries:
            where = f" (at {where})" if where else ""
            close = difflib.get_close_matches(str(name), self._entries, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"unknown {self.name} '{name}'{where}.{hint} "
                f"Known {self.name}: {', '.join(self.keys())}")
        return self._entries[name]

    def __repr__(self):
        return f"Registry({self.name}: {', '.join(self.keys())})"


def accepted_arguments(obj):
    """(names, accepts_any) of the keyword arguments a class or function takes."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = list(inspect.signature(target).parameters.values())
    if inspect.isclass(obj):
        params = params[1:]  # self
    names = [p.name for p in params
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    accepts_any = any(p.kind == p.VAR_KEYWORD for p in params)
    return names, accepts_any


def check_arguments(obj, kwargs, where, also_accepted=()):
    """Raise ConfigError for a keyword ``obj`` does not take, naming the close match.
    also_accepted: keys the section takes besides obj's (a data set's batch_size)."""
    names, accepts_any = accepted_arguments(obj)
    if accepts_any:
        return
    names = list(names) + [k for k in also_accepted if k not in names]
    for key in kwargs:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"unknown key '{key}' for {obj.__name__} (at {where}).{hint} "
                f"Accepted keys: {', '.join(names) or 'none'}")


def build(cfg, registry, where=None, **extra):
    """Build ``registry[cfg['name']](**rest, **extra)``; cfg is not modified."""
    if cfg is None:
        return None
    if not isinstance(cfg, dict) or "name" not in cfg:
        raise ConfigError(
            f"{where or registry.name} needs a mapping with a 'name' key, got {cfg!r}")
    kwargs = copy.deepcopy(dict(cfg))
    name = kwargs.pop("name")
    where = where or registry.name
    obj = registry.get(name, where)
    kwargs.update(extra)
    check_arguments(obj, kwargs, where)
    return obj(**kwargs)


DATASETS = Registry("dataset")
TRANSFORMS = Registry("transform")
PREPROCESS = Registry("preprocess step")
MODELS = Registry("model")
GENERATORS = Registry("generator")
DISCRIMINATORS = Registry("discriminator")
CRITERIONS = Registry("criterion")
METRICS = Registry("metric")
LR_SCHEDULERS = Registry("lr scheduler")
OPTIMIZERS = Registry("optimizer")
