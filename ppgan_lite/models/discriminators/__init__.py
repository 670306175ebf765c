from . import dcdiscriminator  # noqa: F401
from . import ugatit_discriminator  # noqa: F401
from . import conditional  # noqa: F401
from . import stylegan2  # noqa: F401
