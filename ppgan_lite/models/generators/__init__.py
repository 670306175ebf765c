from . import dcgan  # noqa: F401
from . import resnet_ugatit  # noqa: F401
from . import resnet_ugatit_p2c  # noqa: F401
from . import conditional  # noqa: F401
from . import stylegan2  # noqa: F401
