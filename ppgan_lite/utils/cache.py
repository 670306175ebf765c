"""The user cache: weights users put there themselves, exported generators and ONNX
conversions. One root for all of ppgan_lite, never the installed package (it may sit
in a read-only site-packages)."""
import os

CACHE_ENV = "PPGAN_LITE_CACHE"


def cache_root():
    """``$PPGAN_LITE_CACHE`` or ``~/.cache/ppgan_lite``."""
    return os.path.expanduser(os.environ.get(CACHE_ENV)
                              or os.path.join("~", ".cache", "ppgan_lite"))
