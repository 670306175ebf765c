"""Predictors: ready-made pipelines from a photo to a result (PaddleGAN's ``ppgan.apps``).

Exported lazily, so ``import ppgan_lite.apps`` loads neither paddle nor dlib.
"""
import importlib

_LAZY = {"Photo2CartoonPredictor": ".photo2cartoon_predictor",
         "StyleGANv2Predictor": ".styleganv2_predictor",
         "StyleGANv2MixingPredictor": ".styleganv2_predictor",
         "TranslationPredictor": ".translation"}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
