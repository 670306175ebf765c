"""U-GAT-IT (Kim et al. 2020) and Photo2Cartoon (its hourglass + Soft-AdaLIN variant
with a Face-ID loss), trained as PaddleGAN does with two fixes:

* the discriminator step sees *detached* fakes: PaddleGAN backpropagates the D loss
  through both generators (wasted time, and wrong gradients left in G);
* the generator step reuses the fakes of ``forward`` instead of running genA2B and
  genB2A again: six generator forwards per iteration, not eight.

Losses (paper Eq. 1-6): LSGAN adversarial on the global and local discriminators and
their CAM logits, cycle L1, identity L1, CAM BCE, and, for Photo2Cartoon, the Face-ID
distance between a photo and its cartoon. Every term is logged.
"""
import paddle

from ..utils.registry import CRITERIONS, DISCRIMINATORS, GENERATORS, MODELS, build
from .base_model import BaseModel, GeneratorNet, NetInput
from .layers.init import init_weights
from .layers.lin import RhoClipper
from .ugatit_visuals import heatmap_image


def _to_target(loss_fn, logit, value):
    """``loss_fn(logit, a tensor of value)``: LSGAN/BCE against an all-real/all-fake target."""
    return loss_fn(logit, paddle.full_like(logit, value))


@MODELS.register()
class UGATITModel(BaseModel):
    optimizer_groups = {"optimG": ("genA2B", "genB2A"),
                        "optimD": ("disGA", "disGB", "disLA", "disLB")}
    generator_nets = {"genA2B": GeneratorNet(("image",), "A -> B (photo -> cartoon)"),
                      "genB2A": GeneratorNet(("image",), "B -> A")}

    def __init__(self, generator, discriminator_g=None, discriminator_l=None,
                 l1_criterion=None, mse_criterion=None, bce_criterion=None,
                 direction="a2b", adv_weight=1.0, cycle_weight=10.0, identity_weight=10.0,
                 cam_weight=1000.0, faceid_weight=0.0, faceid_criterion=None):
        super().__init__()
        self.direction = direction
        self.adv_weight, self.cycle_weight = adv_weight, cycle_weight
        self.identity_weight, self.cam_weight = identity_weight, cam_weight
        self.faceid_weight = faceid_weight
        for name in ("genA2B", "genB2A"):
            self.nets[name] = build(generator, GENERATORS, "model.generator")
            init_weights(self.nets[name])
        if discriminator_g and discriminator_l:
            for name, cfg, key in (("disGA", discriminator_g, "discriminator_g"),
                                   ("disGB", discriminator_g, "discriminator_g"),
                                   ("disLA", discriminator_l, "discriminator_l"),
                                   ("disLB", discriminator_l, "discriminator_l")):
                self.nets[name] = build(cfg, DISCRIMINATORS, f"model.{key}")
                init_weights(self.nets[name])
        self.L1_loss = build(l1_criterion or {"name": "L1Loss"}, CRITERIONS)
        self.MSE_loss = build(mse_criterion or {"name": "MSELoss"}, CRITERIONS)
        self.BCE_loss = build(bce_criterion or {"name": "BCEWithLogitsLoss"}, CRITERIONS)
        self.faceid_loss = None
        if faceid_weight > 0:
            self.faceid_loss = build(faceid_criterion or {"name": "FaceIDLoss"}, CRITERIONS,
                                     "model.faceid_criterion")
        self.rho_clipper = RhoClipper(0.0, 1.0)
        gen = self.nets["genA2B"]
        self.image_shape = (int(gen.input_nc), int(gen.img_size), int(gen.img_size))

    def batch_inputs(self):
        return (NetInput("A", "image", self.image_shape),
                NetInput("B", "image", self.image_shape))

    def setup_input(self, batch):
        a, b = ("A", "B") if self.direction == "a2b" else ("B", "A")
        if a in batch:
            self.real_A = batch[a]
        if b in batch:
            self.real_B = batch[b]
        self.image_paths = batch.get(f"{a}_path", batch.get(f"{b}_path"))

    def forward(self):
        self.fake_A2B, self.fake_A2B_cam, self.heat_A2B = self.nets["genA2B"](self.real_A)
        self.fake_B2A, self.fake_B2A_cam, self.heat_B2A = self.nets["genB2A"](self.real_B)
        self.visual_items["real_A"] = self.real_A
        self.visual_items["fake_A2B"] = self.fake_A2B
        self.visual_items["real_B"] = self.real_B
        self.visual_items["fake_B2A"] = self.fake_B2A

    # ------------------------------------------------------------ D
    def _d_terms(self, dis, real, fake, tag):
        """LSGAN terms of one discriminator on its real and (detached) fake batch."""
        real_logit, real_cam, _ = self.nets[dis](real)
        fake_logit, fake_cam, _ = self.nets[dis](fake.detach())
        ad = _to_target(self.MSE_loss, real_logit, 1.0) + _to_target(self.MSE_loss, fake_logit, 0.0)
        cam = _to_target(self.MSE_loss, real_cam, 1.0) + _to_target(self.MSE_loss, fake_cam, 0.0)
        self.losses[f"D_ad_{tag}"] = ad
        self.losses[f"D_ad_cam_{tag}"] = cam
        return ad + cam

    def backward_D(self):
        loss_A = (self._d_terms("disGA", self.real_A, self.fake_B2A, "GA")
                  + self._d_terms("disLA", self.real_A, self.fake_B2A, "LA"))
        loss_B = (self._d_terms("disGB", self.real_B, self.fake_A2B, "GB")
                  + self._d_terms("disLB", self.real_B, self.fake_A2B, "LB"))
        loss_D = self.adv_weight * (loss_A + loss_B)
        self.backward(loss_D, "optimD")
        self.losses["D_loss"] = loss_D

    # ------------------------------------------------------------ G
    def _g_adv(self, dis, fake, tag):
        logit, cam, _ = self.nets[dis](fake)
        ad, ad_cam = _to_target(self.MSE_loss, logit, 1.0), _to_target(self.MSE_loss, cam, 1.0)
        self.losses[f"G_ad_{tag}"] = ad
        self.losses[f"G_ad_cam_{tag}"] = ad_cam
        return ad + ad_cam

    def _g_side(self, side, real, translated, fake_to, gen, dis_g, dis_l, fake_to_cam):
        """Generator loss of one domain X (paper Eq. 6 for one side): ``translated`` is
        real_X moved to the other domain, ``fake_to`` the other domain moved into X,
        ``gen`` the generator into X."""
        recon, _, _ = self.nets[gen](translated)        # cycle: X -> Y -> X
        ident, ident_cam, _ = self.nets[gen](real)      # identity: X -> X
        adv = self._g_adv(dis_g, fake_to, f"G{side}") + self._g_adv(dis_l, fake_to, f"L{side}")
        cycle = self.L1_loss(recon, real)
        identity = self.L1_loss(ident, real)
        cam = (_to_target(self.BCE_loss, fake_to_cam, 1.0)
               + _to_target(self.BCE_loss, ident_cam, 0.0))
        self.losses[f"G_cycle_{side}"] = cycle
        self.losses[f"G_identity_{side}"] = identity
        self.losses[f"G_cam_{side}"] = cam
        self.visual_items[f"rec_{side}"] = recon
        return (self.adv_weight * adv + self.cycle_weight * cycle
                + self.identity_weight * identity + self.cam_weight * cam)

    def backward_G(self):
        loss_A = self._g_side("A", self.real_A, self.fake_A2B, self.fake_B2A, "genB2A",
                              "disGA", "disLA", self.fake_B2A_cam)
        loss_B = self._g_side("B", self.real_B, self.fake_B2A, self.fake_A2B, "genA2B",
                              "disGB", "disLB", self.fake_A2B_cam)
        loss_G = loss_A + loss_B
        if self.faceid_loss is not None:
            faceid_A = self.faceid_loss(self.real_A, self.fake_A2B)
            faceid_B = self.faceid_loss(self.real_B, self.fake_B2A)
            self.losses["G_faceid_A"] = faceid_A
            self.losses["G_faceid_B"] = faceid_B
            loss_G = loss_G + self.faceid_weight * (faceid_A + faceid_B)
        self.backward(loss_G, "optimG")
        self.losses["G_loss"] = loss_G

    def train_iter(self, optimizers=None):
        optimizers = optimizers or self.optimizers
        discriminators = [self.nets[n] for n in ("disGA", "disGB", "disLA", "disLB")]
        # the last test_iter's heatmaps would be drawn beside this batch in visual_train
        self.visual_items.pop("heatmap_A2B", None)
        self.visual_items.pop("heatmap_B2A", None)
        self.forward()

        self.set_requires_grad(discriminators, True)
        optimizers["optimD"].clear_grad()
        self.backward_D()
        self.step(optimizers, "optimD")

        self.set_requires_grad(discriminators, False)
        optimizers["optimG"].clear_grad()
        self.backward_G()
        self.step(optimizers, "optimG")
        self.set_requires_grad(discriminators, True)

    def after_step(self, group):
        if group == "optimG":  # rho and the Soft-AdaLIN weights stay in [0, 1]
            self.rho_clipper(self.nets["genA2B"])
            self.rho_clipper(self.nets["genB2A"])

    # ------------------------------------------------------------ test
    def test_iter(self, metrics=None):
        """Real, translation, cycle and the generator's CAM heatmap, side by side."""
        with paddle.no_grad():
            self.forward()
            self.visual_items["rec_A"], _, _ = self.nets["genB2A"](self.fake_A2B)
            self.visual_items["rec_B"], _, _ = self.nets["genA2B"](self.fake_B2A)
            self.visual_items["heatmap_A2B"] = heatmap_image(self.heat_A2B, self.real_A)
            self.visual_items["heatmap_B2A"] = heatmap_image(self.heat_B2A, self.real_B)
        if metrics:
            for metric in metrics.values():
                metric.update_visuals(self.visual_items)

    # ------------------------------------------------------------ generation
    def generator_inputs(self, net):
        return (NetInput("image", "image", self.image_shape),)

    def sample_condition(self, batch):
        key = "A" if self.direction == "a2b" else "B"
        return {"image": batch[key]} if batch and key in batch else {}

    def sample(self, num, seed=0, image=None):
        """The fixed batch's photos next to their translations (A | A2B per image);
        None without photos."""
        if image is None:
            return None
        real = image[:num]
        return paddle.concat([real, self.generate({"image": real})], axis=3)
