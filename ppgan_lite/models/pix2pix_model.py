"""pix2pix (Isola et al. 2017): a conditional GAN that learns A -> B from aligned pairs.

Per iteration (paper Eq. 4, PaddleGAN's ``ppgan/models/pix2pix_model.py``): G translates
A; D judges the pair (A, B) real and (A, G(A)) fake, its loss halved,
``(fake + real) * 0.5``; then G is trained to fool D plus ``loss_weight`` x L1 to the
target (vanilla GAN and weight 100 in PaddleGAN's configs). Changed on purpose:

* ``direction`` is honoured: PaddleGAN's ``setup_input`` compares it with ``'AtoB'``
  (pix2pix_model.py:81) while its configs say ``a2b``/``b2a``, so it always trains B -> A
  (its issue #835). Here ``a2b`` trains A -> B and ``b2a`` B -> A; facades' and
  cityscapes' ``b2a`` (label map -> photo) is what PaddleGAN trains with them.
* D's terms take ``is_disc=True``: the GAN criterion's ``loss_weight`` weighs G's
  adversarial term only (PaddleGAN weighs D's too; its configs leave it at 1).
* ``test_iter`` runs without building a graph (PaddleGAN's forward at test time keeps one).
"""
import numpy as np
import paddle

from ..utils.errors import ConfigError, DataError
from ..utils.logger import get_logger
from ..utils.registry import CRITERIONS, DISCRIMINATORS, GENERATORS, MODELS, build
from .base_model import BaseModel, GeneratorNet, NetInput
from .layers.init import init_weights

DIRECTIONS = {"a2b": "a2b", "b2a": "b2a", "AtoB": "a2b", "BtoA": "b2a"}  # + junyanz's
DEFAULT_SIZE = 256  # the crop of PaddleGAN's pix2pix and CycleGAN configs


# ------------------------------------------------------------ shared with CycleGAN
def parse_direction(direction, owner):
    """'a2b' or 'b2a' (junyanz's 'AtoB' / 'BtoA' mean the same)."""
    if direction not in DIRECTIONS:
        raise ConfigError(f"{owner} direction '{direction}' is unknown: use a2b (A -> B) "
                          f"or b2a (B -> A)")
    return DIRECTIONS[direction]


def batch_sides(direction):
    """The batch keys that become (real_A, real_B)."""
    return ("A", "B") if direction == "a2b" else ("B", "A")


def translation_image_shape(image_shape, generator, owner):
    """[C, H, W] of the images the generators take at export and in sample grids:
    ``image_shape`` (PaddleGAN's name, its @to_static input spec), else the generator's
    input channels at 256 px (a U-Net deeper than unet256 needs 2**num_downs)."""
    channels = int(generator.input_nc)
    if image_shape is None:
        side = max(DEFAULT_SIZE, 2 ** int(getattr(generator, "num_downs", 0)))
        return (channels, side, side)
    shape = tuple(image_shape) if isinstance(image_shape, (list, tuple)) else ()
    if len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape) \
            or shape[0] != channels:
        raise ConfigError(f"{owner} image_shape must be [C, H, W] with C the generator's "
                          f"input_nc ({channels}), e.g. [{channels}, 256, 256]; got "
                          f"{image_shape!r}")
    return shape


def check_discriminator_channels(discriminator, expected, owner, what):
    given = (discriminator or {}).get("input_nc")
    if given is not None and given != expected:
        raise ConfigError(f"{owner} discriminator input_nc is {given}, but it sees {what} "
                          f"({expected} channels): set model.discriminator.input_nc: "
                          f"{expected}")


def note_to_static(to_static, owner):
    if to_static:
        get_logger().info(f"{owner}: to_static is accepted for PaddleGAN's configs and "
                          f"not used: training runs in dynamic mode; tools/export_model.py "
                          f"writes the static program")


def as_images(images):
    """A batch of images (tensor or array) as a float32 tensor."""
    if isinstance(images, paddle.Tensor):
        return images
    return paddle.to_tensor(np.asarray(images, dtype="float32"))


def score_translation(metrics, visual_items, fake, real):
    """Update ``metrics`` with the visual items plus ``fake``/``real`` under those names:
    PaddleGAN's test_iter scores fake_B against real_B whatever a metric is called, so
    its configs' metrics (FID with the default keys) score the same images here."""
    items = {"fake": fake, "real": real, **visual_items}
    for metric in (metrics or {}).values():
        metric.update_visuals(items)


# ------------------------------------------------------------ the model
@MODELS.register()
class Pix2PixModel(BaseModel):
    """Args are PaddleGAN's: ``generator`` / ``discriminator`` configs (``netG``, and
    ``netD`` on ``concat(A, B)``, so its input_nc is the sum of both sides' channels),
    ``pixel_criterion`` (default L1 x 100), ``gan_criterion`` (default vanilla),
    ``direction`` (a2b / b2a, honoured), ``to_static`` (accepted so PaddleGAN's configs
    load; training is always dynamic and ``tools/export_model.py`` writes the static
    program, so it changes nothing), ``image_shape`` ([C, H, W] the exported generator
    takes; default the generator's channels at 256 px)."""

    optimizer_groups = {"optimG": ("netG",), "optimD": ("netD",)}
    generator_nets = {"netG": GeneratorNet(("image",), "A -> B (the config's direction)")}

    def __init__(self, generator, discriminator=None, pixel_criterion=None,
                 gan_criterion=None, direction="a2b", to_static=False, image_shape=None):
        super().__init__()
        owner = type(self).__name__
        self.direction = parse_direction(direction, owner)
        self.nets["netG"] = build(generator, GENERATORS, "model.generator")
        init_weights(self.nets["netG"])
        netG = self.nets["netG"]
        self.image_shape = translation_image_shape(image_shape, netG, owner)
        if discriminator:
            check_discriminator_channels(discriminator, netG.input_nc + netG.output_nc,
                                         owner, "the input and output images side by side")
            self.nets["netD"] = build(discriminator, DISCRIMINATORS, "model.discriminator")
            init_weights(self.nets["netD"])
        self.pixel_criterion = build(pixel_criterion or {"name": "L1Loss", "loss_weight": 100.0},
                                     CRITERIONS, "model.pixel_criterion")
        self.gan_criterion = build(gan_criterion or {"name": "GANLoss", "gan_mode": "vanilla"},
                                   CRITERIONS, "model.gan_criterion")
        note_to_static(to_static, owner)

    def batch_inputs(self):
        c, h, w = self.image_shape
        out = (int(self.nets["netG"].output_nc), h, w)
        shapes = {"A": self.image_shape, "B": out} if self.direction == "a2b" \
            else {"A": out, "B": self.image_shape}
        return tuple(NetInput(key, "image", shapes[key]) for key in ("A", "B"))

    def setup_input(self, batch):
        a, b = batch_sides(self.direction)
        if a not in batch or b not in batch:
            raise DataError(f"Pix2PixModel needs aligned pairs: batches with 'A' and 'B' "
                            f"(PairedDataset), got {', '.join(sorted(batch))}")
        self.real_A, self.real_B = batch[a], batch[b]
        self.image_paths = batch.get(f"{a}_path")

    def forward(self):
        self.fake_B = self.nets["netG"](self.real_A)
        self.visual_items["real_A"] = self.real_A
        self.visual_items["fake_B"] = self.fake_B
        self.visual_items["real_B"] = self.real_B

    # ------------------------------------------------------------ D
    def backward_D(self):
        """The conditional D sees the input beside the output (Eq. 1): fake pairs with
        G's output detached, real pairs with the target."""
        netD = self.nets["netD"]
        pred_fake = netD(paddle.concat([self.real_A, self.fake_B.detach()], axis=1))
        pred_real = netD(paddle.concat([self.real_A, self.real_B], axis=1))
        loss_fake = self.gan_criterion(pred_fake, False, is_disc=True)
        loss_real = self.gan_criterion(pred_real, True, is_disc=True)
        self.losses["D_fake_loss"] = loss_fake
        self.losses["D_real_loss"] = loss_real
        self.backward((loss_fake + loss_real) * 0.5, "optimD")

    # ------------------------------------------------------------ G
    def backward_G(self):
        """Fool D and stay near the target (Eq. 4): GAN + loss_weight x L1, both terms
        weighted by their criteria as PaddleGAN logs them."""
        pred_fake = self.nets["netD"](paddle.concat([self.real_A, self.fake_B], axis=1))
        loss_adv = self.gan_criterion(pred_fake, True)
        loss_l1 = self.pixel_criterion(self.fake_B, self.real_B)
        self.losses["G_adv_loss"] = loss_adv
        self.losses["G_L1_loss"] = loss_l1
        self.backward(loss_adv + loss_l1, "optimG")

    def train_iter(self, optimizers=None):
        optimizers = optimizers or self.optimizers
        self.forward()

        self.set_requires_grad(self.nets["netD"], True)
        optimizers["optimD"].clear_grad()
        self.backward_D()
        self.step(optimizers, "optimD")

        self.set_requires_grad(self.nets["netD"], False)
        optimizers["optimG"].clear_grad()
        self.backward_G()
        self.step(optimizers, "optimG")
        self.set_requires_grad(self.nets["netD"], True)

    # ------------------------------------------------------------ test
    def update_metrics(self, metrics):
        score_translation(metrics, self.visual_items, self.fake_B, self.real_B)

    # ------------------------------------------------------------ generation
    def generator_inputs(self, net):
        return (NetInput("image", "image", self.image_shape),)

    def sample_condition(self, batch):
        a, b = batch_sides(self.direction)
        if not batch or a not in batch:
            return {}
        return {"image": batch[a], **({"target": batch[b]} if b in batch else {})}

    def sample(self, num, seed=0, image=None, target=None):
        """input | output | target per image (input | output without targets); None
        without inputs. Nothing is random, so ``seed`` is unused."""
        if image is None:
            return None
        real = as_images(image)[:num]
        strip = [real, self.generate({"image": real})]
        if target is not None:
            strip.append(as_images(target)[:num])
        return paddle.concat(strip, axis=3)

    def sample_nrow(self, num):
        return 2
