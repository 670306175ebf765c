"""Discriminator nets, under their PaddleGAN names
(``from ppgan_lite.models.discriminators import NLayerDiscriminator``); importing a
module registers its classes in ``DISCRIMINATORS``."""
from .conditional import ConditionalDCDiscriminator
from .dcdiscriminator import DCDiscriminator
from .nlayers import NLayerDiscriminator
from .pggan import PGGANDiscriminator  # noqa: F401
from .stylegan2 import StyleGANv2Discriminator
from .ugatit_discriminator import UGATITDiscriminator

__all__ = ["ConditionalDCDiscriminator", "DCDiscriminator", "NLayerDiscriminator",
           "StyleGANv2Discriminator", "UGATITDiscriminator"]
