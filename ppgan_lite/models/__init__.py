"""Models and their parts, under PaddleGAN's names (``from ppgan_lite.models import
CycleGANModel``); importing this registers every one of them. The contract a model
keeps is in ``base_model.py``; docs/adding_a_model.md walks through a new one."""
from . import criterions, discriminators, generators  # noqa: F401
from .base_model import BaseModel, GeneratorNet, GeneratorSpec, NetInput
from .cgan_model import CGANModel
from .cycle_gan_model import CycleGANModel
from .dcgan_model import DCGANModel
from .pggan_model import PGGANModel
from .pix2pix_model import Pix2PixModel
from .styleganv2_model import StyleGAN2Model
from .ugatit_model import UGATITModel

__all__ = ["BaseModel", "CGANModel", "CycleGANModel", "DCGANModel", "GeneratorNet",
           "GeneratorSpec", "NetInput", "PGGANModel", "Pix2PixModel", "StyleGAN2Model",
           "UGATITModel"]
