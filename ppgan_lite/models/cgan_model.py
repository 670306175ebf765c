"""Conditional GAN on DCGAN's nets. G draws an image for noise and a label; D judges an
(image, label) pair. The discriminator loss has the anime-faces tutorial's three terms
(GAN-CLS's weighting):
a real image with its own label is real, a generated image is fake, and a real image
with a *mismatched* label is fake, which teaches D to check the label, not only the
image (``mismatch_loss: false`` gives the plain two-term loss).

Labels arrive as class indices (N,) or as multi-hot tag vectors (N, num_classes).
"""
import numpy as np
import paddle
import paddle.nn.functional as F

from ..utils.errors import DataError
from ..utils.registry import MODELS
from .base_model import GeneratorNet, NetInput
from .criterions.gan_loss import gradient_penalty
from .dcgan_model import DCGANModel


@MODELS.register()
class CGANModel(DCGANModel):
    generator_nets = {"netG": GeneratorNet(("noise", "labels"),
                                           "noise + label vector -> image")}

    def __init__(self, generator, discriminator=None, gan_criterion=None, n_critic=1,
                 clip_value=None, gp_weight=10.0, init_gain=0.02, mismatch_loss=True):
        super().__init__(generator, discriminator, gan_criterion, n_critic, clip_value,
                         gp_weight, init_gain)
        self.num_classes = int(generator["num_classes"])
        self.mismatch_loss = mismatch_loss

    def label_vector(self, labels):
        """Class indices -> one-hot; multi-hot vectors pass through as float32."""
        labels = paddle.to_tensor(labels) if not isinstance(labels, paddle.Tensor) else labels
        if labels.ndim == 1:
            if int(labels.max()) >= self.num_classes or int(labels.min()) < 0:
                raise DataError(f"label {int(labels.max())} is outside the model's "
                                f"{self.num_classes} classes: set num_classes in the config")
            return F.one_hot(labels.astype("int64"), self.num_classes)
        if labels.shape[-1] != self.num_classes:
            raise DataError(f"tag vectors have {labels.shape[-1]} entries but the model has "
                            f"num_classes {self.num_classes}")
        return labels.astype("float32")

    def batch_inputs(self):
        return super().batch_inputs() + (NetInput("label", "labels", (self.num_classes,)),)

    def setup_input(self, batch):
        super().setup_input(batch)
        if "label" not in batch:
            raise DataError("CGANModel needs labelled data: use ImageFolderDataset with "
                            "labels_from_subfolders, TagsDataset or MNISTDataset")
        self.labels = batch["label"]
        self.y = self.label_vector(self.labels)

    def mismatched(self):
        """Labels that are not the sample's own: classes shifted by 1..C-1, tag vectors
        taken from another sample of the batch."""
        if self.labels.ndim == 1:
            shift = paddle.randint(1, self.num_classes, self.labels.shape, dtype="int64")
            return F.one_hot((self.labels.astype("int64") + shift) % self.num_classes,
                             self.num_classes)
        return paddle.roll(self.y, shifts=1, axis=0)

    def forward(self):
        self.fake = self.nets["netG"](self.noise(self.real.shape[0]), self.y)
        self.visual_items["real"] = self.real
        self.visual_items["fake"] = self.fake

    def backward_D(self):
        netD = self.nets["netD"]
        loss_real = self.gan_criterion(netD(self.real, self.y), True, is_disc=True)
        loss_fake = self.gan_criterion(netD(self.fake.detach(), self.y), False, is_disc=True)
        self.losses["D_real_loss"] = loss_real
        self.losses["D_fake_loss"] = loss_fake
        if self.mismatch_loss:
            # GAN-CLS (Reed et al. 2016, Alg. 1): real + (fake + mismatched) / 2
            loss_wrong = self.gan_criterion(netD(self.real, self.mismatched()), False,
                                            is_disc=True)
            self.losses["D_mismatch_loss"] = loss_wrong
            loss_D = loss_real + 0.5 * (loss_fake + loss_wrong)
        else:
            loss_D = (loss_real + loss_fake) * self.d_loss_scale()
        if self.gan_mode == "wgangp":
            gp = gradient_penalty(lambda x: netD(x, self.y), self.real, self.fake,
                                  self.gp_weight)
            loss_D = loss_D + gp
            self.losses["D_gp_loss"] = gp
        self.backward(loss_D, "optimizer_D")

    def backward_G(self):
        loss_G = self.gan_criterion(self.nets["netD"](self.fake, self.y), True, is_disc=False)
        self.backward(loss_G, "optimizer_G")
        self.losses["G_adv_loss"] = loss_G

    # -------------------------------------------------------------- generation
    def generator_inputs(self, net):
        return (NetInput("noise", "noise", (self.nz, 1, 1)),
                NetInput("labels", "labels", (self.num_classes,)))

    def sample_inputs(self, num, seed=0, labels=None):
        """Noise and label vectors. ``labels``: class indices (N,) or tag vectors
        (N, num_classes), one per sample; None: a row per class (``sample_nrow(num)``
        columns), the same noise down each column, so rows differ only by label."""
        rng = np.random.RandomState(seed)
        if labels is None:
            per_class = self.sample_nrow(num)
            z = rng.standard_normal((per_class, self.nz, 1, 1))
            z = np.tile(z, (self.num_classes, 1, 1, 1))
            labels = np.repeat(np.arange(self.num_classes), per_class)
        else:
            labels = np.asarray(labels)
            z = rng.standard_normal((len(labels), self.nz, 1, 1))
        return {"noise": z.astype("float32"),
                "labels": self.label_vector(labels).numpy().astype("float32")}

    def sample_nrow(self, num):
        return max(1, min(8, num // self.num_classes))
