from . import dcdiscriminator  # noqa: F401
