"""DCGAN (Radford et al. 2016) and its loss family: vanilla, LSGAN, WGAN (weight
clipping), WGAN-GP (gradient penalty) and hinge, on one pair of nets.

Per iteration: one discriminator step on a real batch and a detached fake batch; one
generator step every ``n_critic`` iterations (WGAN's critic schedule, Alg. 1).
"""
import paddle

from ..utils.registry import CRITERIONS, DISCRIMINATORS, GENERATORS, MODELS, build
from .base_model import BaseModel, GeneratorNet, NetInput
from .criterions.gan_loss import clip_weights, gradient_penalty
from .layers.init import init_weights


@MODELS.register()
class DCGANModel(BaseModel):
    optimizer_groups = {"optimizer_G": ("netG",), "optimizer_D": ("netD",)}
    generator_nets = {"netG": GeneratorNet(("noise",), "noise -> image")}
    keeps_first_channels = True

    def __init__(self, generator, discriminator=None, gan_criterion=None, n_critic=1,
                 clip_value=None, gp_weight=10.0, init_gain=0.02):
        super().__init__()
        self.nz = int(generator.get("input_nz", 100))
        self.nets["netG"] = build(generator, GENERATORS, "model.generator")
        init_weights(self.nets["netG"], init_gain=init_gain)
        if discriminator:
            self.nets["netD"] = build(discriminator, DISCRIMINATORS, "model.discriminator")
            init_weights(self.nets["netD"], init_gain=init_gain)
        self.gan_criterion = build(gan_criterion or {"name": "GANLoss", "gan_mode": "vanilla"},
                                   CRITERIONS, "model.gan_criterion")
        self.gan_mode = self.gan_criterion.gan_mode
        self.n_critic = max(1, int(n_critic))
        self.clip_value = clip_value
        self.gp_weight = gp_weight
        self.out_channels = int(generator.get("output_nc", 3))

    def batch_inputs(self):
        size = self.nets["netG"].img_size
        return (NetInput("A", "image", (self.out_channels, size, size)),)

    def setup_input(self, batch):
        real = batch["A"]
        self.real = real[:, :self.out_channels] if real.shape[1] > self.out_channels else real
        self.image_paths = batch.get("A_path")

    def noise(self, n):
        return paddle.randn([n, self.nz, 1, 1])

    def forward(self):
        self.fake = self.nets["netG"](self.noise(self.real.shape[0]))
        self.visual_items["real"] = self.real
        self.visual_items["fake"] = self.fake

    def backward_D(self):
        netD = self.nets["netD"]
        pred_real = netD(self.real)
        pred_fake = netD(self.fake.detach())
        loss_real = self.gan_criterion(pred_real, True, is_disc=True)
        loss_fake = self.gan_criterion(pred_fake, False, is_disc=True)
        loss_D = (loss_real + loss_fake) * self.d_loss_scale()
        self.losses["D_real_loss"] = loss_real
        self.losses["D_fake_loss"] = loss_fake
        if self.gan_mode == "wgangp":
            gp = gradient_penalty(netD, self.real, self.fake.detach(), self.gp_weight)
            loss_D = loss_D + gp
            self.losses["D_gp_loss"] = gp
        self.backward(loss_D, "optimizer_D")

    def d_loss_scale(self):
        """vanilla/LSGAN halve D's loss as the DCGAN code does; WGAN critics do not."""
        return 0.5 if self.gan_mode in ("vanilla", "lsgan") else 1.0

    def backward_G(self):
        pred_fake = self.nets["netD"](self.fake)
        loss_G = self.gan_criterion(pred_fake, True, is_disc=False)
        self.backward(loss_G, "optimizer_G")
        self.losses["G_adv_loss"] = loss_G

    def train_iter(self, optimizers=None):
        optimizers = optimizers or self.optimizers
        self.forward()

        self.set_requires_grad(self.nets["netD"], True)
        optimizers["optimizer_D"].clear_grad()
        self.backward_D()
        self.step(optimizers, "optimizer_D")

        if (self.current_iter + 1) % self.n_critic == 0:
            self.set_requires_grad(self.nets["netD"], False)
            optimizers["optimizer_G"].clear_grad()
            self.backward_G()
            self.step(optimizers, "optimizer_G")

    def after_step(self, group):
        if group == "optimizer_D" and self.clip_value:  # WGAN's Lipschitz clip, Alg. 1
            clip_weights(self.nets["netD"], self.clip_value)

    # -------------------------------------------------------------- generation
    def generator_inputs(self, net):
        return (NetInput("noise", "noise", (self.nz, 1, 1)),)
