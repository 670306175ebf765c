from . import lr_scheduler, optimizer  # noqa: F401  (registers the classes)
from .lr_scheduler import build_lr_scheduler, build_lr_schedulers  # noqa: F401
