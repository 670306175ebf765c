"""Generator nets, under their PaddleGAN names
(``from ppgan_lite.models.generators import UnetGenerator``); importing a module
registers its classes in ``GENERATORS``."""
from .conditional import ConditionalDCGenerator
from .dcgan import DCGenerator
from .pggan import PGGANGenerator  # noqa: F401
from .resnet import ResnetGenerator
from .resnet_ugatit import ResnetUGATITGenerator
from .resnet_ugatit_p2c import ResnetUGATITP2CGenerator
from .stylegan2 import StyleGANv2Generator
from .unet import UnetGenerator

__all__ = ["ConditionalDCGenerator", "DCGenerator", "ResnetGenerator",
           "ResnetUGATITGenerator", "ResnetUGATITP2CGenerator", "StyleGANv2Generator",
           "UnetGenerator"]
