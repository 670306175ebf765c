"""ppgan_lite: a GAN toolkit on PaddlePaddle in the PaddleGAN style.

Importing the package only chooses CPU settings (before paddle loads); models,
datasets and apps are imported from their sub-packages when needed, so
``import ppgan_lite`` stays fast.
"""
from .utils import runtime as _runtime

_runtime.configure()

__version__ = "0.1.0"


def register_all():
    """Import every package that registers buildable classes (models, nets, losses,
    data sets, transforms, metrics, schedulers, optimizers). Registration is explicit,
    so ``grep`` finds every name; this loads paddle."""
    from . import datasets, metrics, models, solver  # noqa: F401
