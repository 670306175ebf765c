"""Models and their parts; importing this registers every one of them."""
from . import criterions, discriminators, generators  # noqa: F401
from . import dcgan_model  # noqa: F401
from . import ugatit_model  # noqa: F401
from . import cgan_model  # noqa: F401
