"""Losses, under their PaddleGAN names; importing a module registers its classes in
``CRITERIONS``."""
from .face_id import FaceIDLoss
from .gan_loss import GANLoss, GradientPenalty
from .pixel_loss import BCEWithLogitsLoss, L1Loss, MSELoss

__all__ = ["BCEWithLogitsLoss", "FaceIDLoss", "GANLoss", "GradientPenalty", "L1Loss",
           "MSELoss"]
