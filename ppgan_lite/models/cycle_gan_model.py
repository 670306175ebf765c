"""CycleGAN (Zhu et al. 2017): two generators, G_A: A -> B and G_B: B -> A, trained
from unpaired images with adversarial, cycle-consistency and identity losses.

Per iteration, as PaddleGAN's ``ppgan/models/cycle_gan_model.py`` (and junyanz's):

1. forward: fake_B = G_A(A), rec_A = G_B(fake_B), fake_A = G_B(B), rec_B = G_A(fake_A);
2. G step (paper Eq. 3, D_A and D_B frozen): LSGAN D_A(fake_B) and D_B(fake_A) toward
   real, cycle ``lambda_a * |rec_A - A|`` and ``lambda_b * |rec_B - B|`` (Eq. 2), and
   identity ``lambda_b * idt(G_A(B), B)`` and ``lambda_a * idt(G_B(A), A)``, where the
   identity criterion's own ``loss_weight`` is the paper's lambda_identity (0.5 in
   PaddleGAN's configs: 0.5 x 10 = 5);
3. D step: D_A on real B against fakes drawn from an ``ImagePool`` of past fake_B
   (Sec. 4), D_B likewise for A, each ``(real + fake) * 0.5``. The fakes are those of
   step 1 (detached by the pool): no generator runs twice.

Changed on purpose: the pools draw from their own seeded generators (from numpy's
global one, which the trainer seeds with the run's seed) and their contents and
generator states are in ``extra_state()``, so ``--resume`` continues exactly
(PaddleGAN's pool uses the global ``random`` and is not saved); the discriminators are
frozen *before* the G loss is backpropagated (PaddleGAN freezes them after it,
cycle_gan_model.py:238, and so fills their gradients for nothing); the test pass
builds no graph.
"""
import numpy as np
import paddle

from ..utils.errors import ConfigError, DataError
from ..utils.registry import CRITERIONS, DISCRIMINATORS, GENERATORS, MODELS, build
from .base_model import BaseModel, GeneratorNet, NetInput
from .image_pool import ImagePool
from .layers.init import init_weights
from .pix2pix_model import (as_images, batch_sides, check_discriminator_channels,
                            note_to_static, parse_direction, score_translation,
                            translation_image_shape)


@MODELS.register()
class CycleGANModel(BaseModel):
    """Args are PaddleGAN's: one ``generator`` config for ``netG_A`` and ``netG_B``, one
    ``discriminator`` config for ``netD_A`` (judges B) and ``netD_B`` (judges A),
    ``cycle_criterion`` (default L1), ``idt_criterion`` (None: no identity loss),
    ``gan_criterion`` (default LSGAN), ``pool_size``, ``direction`` (b2a swaps the
    domains), ``lambda_a``, ``lambda_b``, ``to_static`` (accepted so PaddleGAN's configs
    load; it changes nothing, see Pix2PixModel) and ``image_shape`` ([C, H, W] the
    exported generators take; default the generator's channels at 256 px)."""

    optimizer_groups = {"optimG": ("netG_A", "netG_B"), "optimD": ("netD_A", "netD_B")}
    generator_nets = {"netG_A": GeneratorNet(("image",), "A -> B"),
                      "netG_B": GeneratorNet(("image",), "B -> A")}

    def __init__(self, generator, discriminator=None, cycle_criterion=None,
                 idt_criterion=None, gan_criterion=None, pool_size=50, direction="a2b",
                 lambda_a=10.0, lambda_b=10.0, to_static=False, image_shape=None):
        super().__init__()
        owner = type(self).__name__
        self.direction = parse_direction(direction, owner)
        self.lambda_a, self.lambda_b = float(lambda_a), float(lambda_b)
        for name in ("netG_A", "netG_B"):
            self.nets[name] = build(generator, GENERATORS, "model.generator")
            init_weights(self.nets[name])
        netG = self.nets["netG_A"]
        if netG.input_nc != netG.output_nc:
            raise ConfigError(f"{owner} builds netG_A and netG_B from one generator config, "
                              f"so A and B need the same channels: input_nc "
                              f"{netG.input_nc} != output_nc {netG.output_nc}")
        self.image_shape = translation_image_shape(image_shape, netG, owner)
        if discriminator:
            check_discriminator_channels(discriminator, netG.output_nc, owner, "one image")
            for name in ("netD_A", "netD_B"):
                self.nets[name] = build(discriminator, DISCRIMINATORS, "model.discriminator")
                init_weights(self.nets[name])
        self.gan_criterion = build(gan_criterion or {"name": "GANLoss", "gan_mode": "lsgan"},
                                   CRITERIONS, "model.gan_criterion")
        self.cycle_criterion = build(cycle_criterion or {"name": "L1Loss"}, CRITERIONS,
                                     "model.cycle_criterion")
        self.idt_criterion = (build(idt_criterion, CRITERIONS, "model.idt_criterion")
                              if idt_criterion else None)
        seed = int(np.random.randint(0, 2 ** 31 - 1))
        self.fake_A_pool = ImagePool(pool_size, seed=(seed, 0))
        self.fake_B_pool = ImagePool(pool_size, seed=(seed, 1))
        note_to_static(to_static, owner)

    def batch_inputs(self):
        return (NetInput("A", "image", self.image_shape), NetInput("B", "image", self.image_shape))

    def setup_input(self, batch):
        """real_A and real_B from the batch (swapped by b2a); either may be missing at
        test time (a folder of one domain), not in training."""
        a, b = batch_sides(self.direction)
        self.real_A, self.real_B = batch.get(a), batch.get(b)
        if self.real_A is None and self.real_B is None:
            raise DataError(f"CycleGANModel needs batches with 'A' and/or 'B' images "
                            f"(UnpairedDataset), got {', '.join(sorted(batch))}")
        self.image_paths = batch.get(f"{a}_path", batch.get(f"{b}_path"))

    def forward(self):
        self.visual_items.clear()  # no identity images of the last training step at test
        if self.real_A is not None:
            self.fake_B = self.nets["netG_A"](self.real_A)
            self.rec_A = self.nets["netG_B"](self.fake_B)
            self.visual_items.update(real_A=self.real_A, fake_B=self.fake_B, rec_A=self.rec_A)
        if self.real_B is not None:
            self.fake_A = self.nets["netG_B"](self.real_B)
            self.rec_B = self.nets["netG_A"](self.fake_A)
            self.visual_items.update(real_B=self.real_B, fake_A=self.fake_A, rec_B=self.rec_B)

    # ------------------------------------------------------------ G
    def backward_G(self):
        netG_A, netG_B = self.nets["netG_A"], self.nets["netG_B"]
        terms = {}
        if self.idt_criterion is not None:
            # G_A fed a B image should change nothing, and G_B fed an A image (Sec. 5.2)
            idt_A, idt_B = netG_A(self.real_B), netG_B(self.real_A)
            self.visual_items.update(idt_A=idt_A, idt_B=idt_B)
            terms["G_idt_A_loss"] = self.idt_criterion(idt_A, self.real_B) * self.lambda_b
            terms["G_idt_B_loss"] = self.idt_criterion(idt_B, self.real_A) * self.lambda_a
        terms["G_A_adv_loss"] = self.gan_criterion(self.nets["netD_A"](self.fake_B), True)
        terms["G_B_adv_loss"] = self.gan_criterion(self.nets["netD_B"](self.fake_A), True)
        terms["G_A_cycle_loss"] = self.cycle_criterion(self.rec_A, self.real_A) * self.lambda_a
        terms["G_B_cycle_loss"] = self.cycle_criterion(self.rec_B, self.real_B) * self.lambda_b
        self.losses.update(terms)
        self.backward(sum(terms.values()), "optimG")

    # ------------------------------------------------------------ D
    def _d_loss(self, dis, real, fake):
        """(real + fake) * 0.5 of one discriminator; ``fake`` comes detached from a pool."""
        loss_real = self.gan_criterion(self.nets[dis](real), True, is_disc=True)
        loss_fake = self.gan_criterion(self.nets[dis](fake), False, is_disc=True)
        self.losses[f"{dis[3:]}_real_loss"] = loss_real
        self.losses[f"{dis[3:]}_fake_loss"] = loss_fake
        self.losses[f"{dis[3:]}_loss"] = (loss_real + loss_fake) * 0.5
        return self.losses[f"{dis[3:]}_loss"]

    def backward_D(self):
        loss_A = self._d_loss("netD_A", self.real_B, self.fake_B_pool.query(self.fake_B))
        loss_B = self._d_loss("netD_B", self.real_A, self.fake_A_pool.query(self.fake_A))
        self.backward(loss_A + loss_B, "optimD")

    def train_iter(self, optimizers=None):
        optimizers = optimizers or self.optimizers
        if self.real_A is None or self.real_B is None:
            raise DataError("CycleGANModel trains on batches with both 'A' and 'B' images "
                            "(UnpairedDataset)")
        discriminators = [self.nets["netD_A"], self.nets["netD_B"]]
        self.forward()

        self.set_requires_grad(discriminators, False)
        optimizers["optimG"].clear_grad()
        self.backward_G()
        self.step(optimizers, "optimG")

        self.set_requires_grad(discriminators, True)
        optimizers["optimD"].clear_grad()
        self.backward_D()
        self.step(optimizers, "optimD")

    # ------------------------------------------------------------ state and test
    def extra_state(self):
        return {"fake_A_pool": self.fake_A_pool.state_dict(),
                "fake_B_pool": self.fake_B_pool.state_dict()}

    def set_extra_state(self, state):
        for name in ("fake_A_pool", "fake_B_pool"):
            if name in state:
                getattr(self, name).set_state_dict(state[name])

    def update_metrics(self, metrics):
        if metrics:
            score_translation(metrics, self.visual_items, self.visual_items.get("fake_B"),
                              self.real_B)

    # ------------------------------------------------------------ generation
    def generator_inputs(self, net):
        return (NetInput("image", "image", self.image_shape),)

    def sample_condition(self, batch):
        a, b = batch_sides(self.direction)
        return {key: batch[side] for key, side in (("image", a), ("image_B", b))
                if batch and side in batch}

    def sample(self, num, seed=0, image=None, image_B=None):
        """Per image, A | G_A(A) | G_B(G_A(A)), then B | G_B(B) | G_A(G_B(B)) when B
        images are given; None without A images. ``seed`` is unused (nothing is random)."""
        if image is None:
            return None
        strip = []
        for real, there, back in ((image, "netG_A", "netG_B"), (image_B, "netG_B", "netG_A")):
            if real is None:
                continue
            real = as_images(real)[:num]
            moved = self.generate({"image": real}, net=there)
            strip += [real, moved, self.generate({"image": moved}, net=back)]
        return paddle.concat(strip, axis=3)

    def sample_nrow(self, num):
        return 1
