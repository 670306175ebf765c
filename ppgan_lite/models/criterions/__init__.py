from . import gan_loss  # noqa: F401
from . import pixel_loss  # noqa: F401
from . import face_id  # noqa: F401
