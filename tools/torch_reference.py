#!/usr/bin/env python
"""The PyTorch twins of tools/benchmark.py's training cases, timed the same way, so
ppgan_lite's speed is read as a ratio to PyTorch on the same machine in the same run.

    /path/to/torch-venv/bin/python tools/torch_reference.py --cases dcgan64,p2c256 \\
        --photo2cartoon-repo /path/to/photo2cartoon --cyclegan-repo /path/to/CycleGAN

Runs under an interpreter that has torch (torch is not a ppgan_lite dependency) and
imports nothing from ppgan_lite. Prints one JSON line per case, with the keys
tools/benchmark.py prints (median_s_per_iter, peak_rss_mb, ...); each case runs in a
fresh process so its peak RSS is its own.

* dcgan64 / dcgan32: nets equal to ppgan_lite's DCGenerator / DCDiscriminator with
  batch norm (configs/dcgan_lfw.yaml): same layers, widths and biases, N(0, 0.02)
  init (batch-norm weights N(1, 0.02)), BCE-with-logits, D loss halved, Adam 2e-4
  (0.5, 0.999); one D step on a real and a detached fake batch, one G step.
* p2c256 / p2c128: minivision's photo2cartoon nets (``models/networks.py`` of its
  repository, loaded from ``--photo2cartoon-repo`` at run time: a checkout or a bare
  git mirror), light generator ngf 32, discriminators ndf 32 of 7 (global) and 5
  (local) layers, the loss weights of configs/ugatit_photo2cartoon.yaml, Adam 1e-4
  (0.5, 0.999) with weight decay 1e-4, and ppgan_lite's UGATITModel iteration: one
  forward of both generators, D on the detached fakes, then G's cycle, identity,
  adversarial and CAM terms reusing those fakes, with D frozen; no Face-ID loss
  (compare with ppgan_lite's ``*_nofaceid`` cases).
* pix2pix256: junyanz's pix2pix nets (``models/networks.py`` of
  junyanz/pytorch-CycleGAN-and-pix2pix, loaded from ``--cyclegan-repo`` the same way)
  as configs/pix2pix_facades.yaml sets them: unet256 (ngf 64, batch norm, no dropout),
  70x70 PatchGAN (ndf 64, 3 layers, batch norm) on the input and output side by side,
  his init_weights (normal, 0.02), vanilla GANLoss, L1 x 100, Adam 2e-4 (0.5, 0.999);
  ppgan_lite's Pix2PixModel iteration: one G forward, D on the fake pair (detached)
  and the real pair, loss halved, then G with D frozen. His PatchGAN's first conv has
  a bias under batch norm, PaddleGAN's (so ppgan_lite's) none: 64 parameters more.
* cyclegan256: junyanz's CycleGAN nets from the same file as
  configs/cyclegan_horse2zebra.yaml sets them: two ResNet generators (ngf 64, 9
  blocks, instance norm, no dropout), two PatchGANs (ndf 64, 3 layers, instance norm),
  LSGAN, cycle L1 x 10, identity L1 x 10 x 0.5, image pools of 50 (his rule), Adam 2e-4
  (0.5, 0.999); ppgan_lite's CycleGANModel iteration: the four generator passes, G's
  step with both Ds frozen (identity passes included), then one D step on the real
  images and the pooled, detached fakes of that forward, each D's loss halved.
"""
import argparse
import inspect
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import types

# case name -> (the twin here, its image size, its batch size)
CASES = {"dcgan64": ("dcgan", 64, 64), "dcgan32": ("dcgan", 32, 64),
         "p2c256": ("p2c", 256, 1), "p2c128": ("p2c", 128, 1),
         "pix2pix256": ("pix2pix", 256, 1), "cyclegan256": ("cyclegan", 256, 1)}
DEFAULT_P2C_REPO = "/work/.mirror/minivision-ai+photo2cartoon/repo"
DEFAULT_CYCLEGAN_REPO = "/work/.mirror/junyanz+pytorch-CycleGAN-and-pix2pix/repo"
# what configs/pix2pix_facades.yaml and configs/cyclegan_horse2zebra.yaml (with the
# models' defaults and the benchmark's learning rate) set; the twins read these
PIX2PIX = dict(ngf=64, norm="batch", use_dropout=False, ndf=64, n_layers=3,
               gan_mode="vanilla", l1_weight=100.0, lr=2e-4, betas=(0.5, 0.999))
CYCLEGAN = dict(ngf=64, n_blocks=9, norm="instance", use_dropout=False, ndf=64, n_layers=3,
                gan_mode="lsgan", lambda_a=10.0, lambda_b=10.0, identity_weight=0.5,
                pool_size=50, lr=2e-4, betas=(0.5, 0.999))


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# ---------------------------------------------------------------- DCGAN
def dcgan_nets(nn, img_size, nz=100, ngf=64, ndf=64, nc=3):
    """ppgan_lite's DCGenerator / DCDiscriminator (norm 'batch') in torch layers."""
    stages = img_size.bit_length() - 3  # log2(img_size) - 2, 4 for 64 px

    def width(base, level):
        return base * min(2 ** level, 8)

    g = [nn.ConvTranspose2d(nz, width(ngf, stages - 1), 4, 1, 0, bias=False),
         nn.BatchNorm2d(width(ngf, stages - 1)), nn.ReLU()]
    for level in range(stages - 1, 0, -1):
        g += [nn.ConvTranspose2d(width(ngf, level), width(ngf, level - 1), 4, 2, 1,
                                 bias=False),
              nn.BatchNorm2d(width(ngf, level - 1)), nn.ReLU()]
    g += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
    d = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
    for level in range(1, stages):
        d += [nn.Conv2d(width(ndf, level - 1), width(ndf, level), 4, 2, 1, bias=True),
              nn.BatchNorm2d(width(ndf, level)), nn.LeakyReLU(0.2)]
    d += [nn.Conv2d(width(ndf, stages - 1), 1, 4, 1, 0)]
    return nn.Sequential(*g), nn.Sequential(*d)


def dcgan_init(torch, nn, net, gain=0.02):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)


def dcgan_iteration(torch, img_size, batch):
    nn, F = torch.nn, torch.nn.functional
    netG, netD = dcgan_nets(nn, img_size)
    dcgan_init(torch, nn, netG)
    dcgan_init(torch, nn, netD)
    opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 3, img_size, img_size) * 2 - 1

    def bce(logit, value):
        return F.binary_cross_entropy_with_logits(logit, torch.full_like(logit, value))

    def step():
        fake = netG(torch.randn(batch, 100, 1, 1))
        netD.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = (bce(netD(real), 1.0) + bce(netD(fake.detach()), 0.0)) * 0.5
        loss_d.backward()
        opt_d.step()
        netD.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = bce(netD(fake), 1.0)
        loss_g.backward()
        opt_g.step()
        return [loss_d, loss_g]

    return step, {"G": netG, "D": netD}


# ---------------------------------------------------------------- Photo2Cartoon
def load_networks(repo, module_name="photo2cartoon_networks"):
    """A repository's ``models/networks.py`` (minivision's, junyanz's) as a module,
    from a checkout or a bare git mirror (read with ``git show``); only run, never
    copied."""
    path = os.path.join(repo, "models", "networks.py")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            source = f.read()
    else:
        source = subprocess.run(["git", "--git-dir", repo, "show", "HEAD:models/networks.py"],
                                check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(module_name)
    module.__file__ = path
    exec(compile(source, f"{repo}:models/networks.py", "exec"), module.__dict__)
    return module


def p2c_iteration(torch, img_size, batch, repo, ngf=32, ndf=32):
    nn, F = torch.nn, torch.nn.functional
    nets = load_networks(repo)
    gen_a2b = nets.ResnetGenerator(ngf=ngf, img_size=img_size, light=True)
    gen_b2a = nets.ResnetGenerator(ngf=ngf, img_size=img_size, light=True)
    dis = {name: nets.Discriminator(3, ndf=ndf, n_layers=n)
           for name, n in (("GA", 7), ("GB", 7), ("LA", 5), ("LB", 5))}
    gens = [gen_a2b, gen_b2a]
    params_g = [p for g in gens for p in g.parameters()]
    params_d = [p for d in dis.values() for p in d.parameters()]
    opt_g = torch.optim.Adam(params_g, lr=1e-4, betas=(0.5, 0.999), weight_decay=1e-4)
    opt_d = torch.optim.Adam(params_d, lr=1e-4, betas=(0.5, 0.999), weight_decay=1e-4)
    rho_clipper, w_clipper = nets.RhoClipper(0, 1), nets.WClipper(0, 1)
    real_a = torch.rand(batch, 3, img_size, img_size) * 2 - 1
    real_b = torch.rand(batch, 3, img_size, img_size) * 2 - 1
    adv_w, cycle_w, identity_w, cam_w = 1.0, 50.0, 10.0, 1000.0  # the 256-px recipe

    def mse(x, value):
        return F.mse_loss(x, torch.full_like(x, value))

    def bce(x, value):
        return F.binary_cross_entropy_with_logits(x, torch.full_like(x, value))

    def d_terms(d, real, fake):
        real_logit, real_cam, _ = d(real)
        fake_logit, fake_cam, _ = d(fake.detach())
        return (mse(real_logit, 1.0) + mse(fake_logit, 0.0)
                + mse(real_cam, 1.0) + mse(fake_cam, 0.0))

    def g_side(real, translated, fake_to, fake_to_cam, gen, dis_g, dis_l):
        recon, _, _ = gen(translated)
        ident, ident_cam, _ = gen(real)
        adv = 0
        for d in (dis_g, dis_l):
            logit, cam, _ = d(fake_to)
            adv = adv + mse(logit, 1.0) + mse(cam, 1.0)
        cam = bce(fake_to_cam, 1.0) + bce(ident_cam, 0.0)
        return (adv_w * adv + cycle_w * F.l1_loss(recon, real)
                + identity_w * F.l1_loss(ident, real) + cam_w * cam)

    def step():
        fake_a2b, fake_a2b_cam, _ = gen_a2b(real_a)
        fake_b2a, fake_b2a_cam, _ = gen_b2a(real_b)
        for d in dis.values():
            d.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = adv_w * (d_terms(dis["GA"], real_a, fake_b2a) + d_terms(dis["LA"], real_a, fake_b2a)
                          + d_terms(dis["GB"], real_b, fake_a2b)
                          + d_terms(dis["LB"], real_b, fake_a2b))
        loss_d.backward()
        opt_d.step()
        for d in dis.values():
            d.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = (g_side(real_a, fake_a2b, fake_b2a, fake_b2a_cam, gen_b2a, dis["GA"], dis["LA"])
                  + g_side(real_b, fake_b2a, fake_a2b, fake_a2b_cam, gen_a2b, dis["GB"],
                           dis["LB"]))
        loss_g.backward()
        opt_g.step()
        for g in gens:
            g.apply(rho_clipper)
            g.apply(w_clipper)
        return [loss_d, loss_g]

    return step, {"G_A2B": gen_a2b, "G_B2A": gen_b2a, **{f"D_{k}": d for k, d in dis.items()}}


# ---------------------------------------------------------------- pix2pix / CycleGAN
def junyanz_gan_loss(nets, gan_mode):
    """(his GANLoss for ``gan_mode``, whether his PatchGAN must end in a sigmoid):
    networks.py since 2019 takes ``gan_mode`` (vanilla: BCE with logits); before, it
    took ``use_lsgan`` and its vanilla loss was a BCE on a sigmoid D."""
    if "gan_mode" in inspect.signature(nets.GANLoss).parameters:
        return nets.GANLoss(gan_mode), False
    return nets.GANLoss(use_lsgan=gan_mode == "lsgan"), gan_mode == "vanilla"


def junyanz_patchgan(nets, input_nc, settings, sigmoid):
    norm = nets.get_norm_layer(settings["norm"])
    extra = {"use_sigmoid": True} if sigmoid else {}
    return nets.NLayerDiscriminator(input_nc, settings["ndf"], n_layers=settings["n_layers"],
                                    norm_layer=norm, **extra)


def junyanz_init(nets, *modules):
    for net in modules:
        nets.init_weights(net, "normal", 0.02)  # positional: his two signatures differ


class ImagePool:
    """junyanz's util/image_pool.py rule: store and return each image until the pool
    holds ``size``; then by a coin toss return a stored one (the new one takes its
    place) or the new one. Images are kept detached."""

    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, torch, images):
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif random.random() > 0.5:
                slot = random.randrange(self.size)
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


def pix2pix_iteration(torch, img_size, batch, repo, settings=PIX2PIX):
    F = torch.nn.functional
    nets = load_networks(repo, "cyclegan_networks")
    netG = nets.UnetGenerator(3, 3, img_size.bit_length() - 1, settings["ngf"],  # unet256: 8
                              norm_layer=nets.get_norm_layer(settings["norm"]),
                              use_dropout=settings["use_dropout"])
    gan, sigmoid = junyanz_gan_loss(nets, settings["gan_mode"])
    netD = junyanz_patchgan(nets, 6, settings, sigmoid)
    junyanz_init(nets, netG, netD)
    opt_g = torch.optim.Adam(netG.parameters(), lr=settings["lr"], betas=settings["betas"])
    opt_d = torch.optim.Adam(netD.parameters(), lr=settings["lr"], betas=settings["betas"])
    real_a = torch.rand(batch, 3, img_size, img_size) * 2 - 1
    real_b = torch.rand(batch, 3, img_size, img_size) * 2 - 1

    def step():
        fake_b = netG(real_a)
        netD.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = (gan(netD(torch.cat([real_a, fake_b.detach()], 1)), False)
                  + gan(netD(torch.cat([real_a, real_b], 1)), True)) * 0.5
        loss_d.backward()
        opt_d.step()
        netD.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = (gan(netD(torch.cat([real_a, fake_b], 1)), True)
                  + settings["l1_weight"] * F.l1_loss(fake_b, real_b))
        loss_g.backward()
        opt_g.step()
        return [loss_d, loss_g]

    return step, {"G": netG, "D": netD}


def cyclegan_iteration(torch, img_size, batch, repo, settings=CYCLEGAN):
    l1 = torch.nn.functional.l1_loss
    nets = load_networks(repo, "cyclegan_networks")
    gen_a, gen_b = (nets.ResnetGenerator(3, 3, settings["ngf"],
                                         norm_layer=nets.get_norm_layer(settings["norm"]),
                                         use_dropout=settings["use_dropout"],
                                         n_blocks=settings["n_blocks"]) for _ in range(2))
    gan, sigmoid = junyanz_gan_loss(nets, settings["gan_mode"])
    dis_a, dis_b = (junyanz_patchgan(nets, 3, settings, sigmoid) for _ in range(2))
    junyanz_init(nets, gen_a, gen_b, dis_a, dis_b)
    params_g = list(gen_a.parameters()) + list(gen_b.parameters())
    params_d = list(dis_a.parameters()) + list(dis_b.parameters())
    opt_g = torch.optim.Adam(params_g, lr=settings["lr"], betas=settings["betas"])
    opt_d = torch.optim.Adam(params_d, lr=settings["lr"], betas=settings["betas"])
    pool_a, pool_b = ImagePool(settings["pool_size"]), ImagePool(settings["pool_size"])
    real_a = torch.rand(batch, 3, img_size, img_size) * 2 - 1
    real_b = torch.rand(batch, 3, img_size, img_size) * 2 - 1
    lambda_a, lambda_b = settings["lambda_a"], settings["lambda_b"]
    idt_w = settings["identity_weight"]

    def d_loss(dis, real, fake):
        return (gan(dis(real), True) + gan(dis(fake), False)) * 0.5

    def step():
        fake_b = gen_a(real_a)
        rec_a = gen_b(fake_b)
        fake_a = gen_b(real_b)
        rec_b = gen_a(fake_a)
        dis_a.requires_grad_(False)
        dis_b.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = (l1(gen_a(real_b), real_b) * idt_w * lambda_b
                  + l1(gen_b(real_a), real_a) * idt_w * lambda_a
                  + gan(dis_a(fake_b), True) + gan(dis_b(fake_a), True)
                  + l1(rec_a, real_a) * lambda_a + l1(rec_b, real_b) * lambda_b)
        loss_g.backward()
        opt_g.step()
        dis_a.requires_grad_(True)
        dis_b.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = (d_loss(dis_a, real_b, pool_b.query(torch, fake_b))
                  + d_loss(dis_b, real_a, pool_a.query(torch, fake_a)))
        loss_d.backward()
        opt_d.step()
        return [loss_d, loss_g]

    return step, {"G_A": gen_a, "G_B": gen_b, "D_A": dis_a, "D_B": dis_b}


# ---------------------------------------------------------------- timing
def worker(case, runs, warmup, repo=DEFAULT_P2C_REPO, cyclegan_repo=DEFAULT_CYCLEGAN_REPO):
    import torch

    # ppgan_lite's choice: threads = usable cores, unless OMP_NUM_THREADS says otherwise
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or usable_cores()))
    torch.manual_seed(0)
    random.seed(0)  # the image pools' draws
    kind, img_size, batch = CASES[case]
    if kind == "dcgan":
        step, nets = dcgan_iteration(torch, img_size, batch)
    elif kind == "p2c":
        step, nets = p2c_iteration(torch, img_size, batch, repo)
    elif kind == "pix2pix":
        step, nets = pix2pix_iteration(torch, img_size, batch, cyclegan_repo)
    else:
        step, nets = cyclegan_iteration(torch, img_size, batch, cyclegan_repo)
    # counted before a step freezes D: to hold against ppgan_lite's trainable ones
    params = {name: sum(p.numel() for p in net.parameters()) for name, net in nets.items()}
    step()  # untimed, as benchmark.py's counting iteration
    times, usage = [], []
    for i in range(warmup + runs):
        if i == warmup:
            usage.append(resource.getrusage(resource.RUSAGE_SELF))
        t = time.perf_counter()
        losses = step()
        [float(v) for v in losses]  # a host sync, as the trainer's logging
        if i >= warmup:
            times.append(time.perf_counter() - t)
    after = resource.getrusage(resource.RUSAGE_SELF)
    median = statistics.median(times)
    return {
        "case": case, "framework": f"torch {torch.__version__}", "batch": batch,
        # CPU seconds and page faults per timed iteration, as tools/benchmark.py gives
        "cpu_user_s": round((after.ru_utime - usage[0].ru_utime) / runs, 2),
        "cpu_sys_s": round((after.ru_stime - usage[0].ru_stime) / runs, 2),
        "minor_faults": int((after.ru_minflt - usage[0].ru_minflt) / runs),
        "runs": runs, "median_s_per_iter": round(median, 4), "min_s": round(min(times), 4),
        "max_s": round(max(times), 4), "img_per_s": round(batch / median, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": torch.get_num_threads(),
        "load_1min": round(os.getloadavg()[0], 2),  # ~threads when the machine is quiet
        "params": params,
    }


def run_case(case, runs, warmup, repo=DEFAULT_P2C_REPO, python=None, env=None,
             cyclegan_repo=DEFAULT_CYCLEGAN_REPO):
    """One case in a fresh interpreter (``python``, default this one), so the peak RSS
    is the case's; the result as a dict, or ``{"error": [last stderr line]}``.
    ``repo`` is photo2cartoon's, ``cyclegan_repo`` junyanz's."""
    cmd = [python or sys.executable, os.path.abspath(__file__), "--worker", case,
           "--runs", str(runs), "--warmup", str(warmup), "--photo2cartoon-repo", repo,
           "--cyclegan-repo", cyclegan_repo]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    except OSError as exc:  # no such interpreter, or not executable
        return {"case": case, "framework": "torch", "error": [str(exc)]}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"case": case, "framework": "torch",
                "error": out.stderr.strip().splitlines()[-1:] or [f"exit {out.returncode}"]}
    return json.loads(lines[-1])


def pair_rounds(ours, twins):
    """Rounds of (ppgan_lite result, PyTorch twin result), run alternately, as (ours,
    summary): ours with the median s/iter over the rounds and the largest peak RSS; the
    summary gives both figures and the ratios ours / PyTorch (> 1: PyTorch is faster or
    leaner), the s/iter ratio as the median of the rounds' own, each pair having run
    under the same load."""
    failed = next((r for r in ours + twins if "error" in r), None)
    if failed:
        return failed if failed in ours else ours[-1], {
            "case": ours[-1]["case"], "mode": "vs_torch", "error": failed["error"]}

    def merged(results):
        out = dict(results[-1])
        out["median_s_per_iter"] = round(statistics.median(
            r["median_s_per_iter"] for r in results), 4)
        out["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
        return out

    mine, theirs = merged(ours), merged(twins)
    per_round = [round(a["median_s_per_iter"] / b["median_s_per_iter"], 2)
                 for a, b in zip(ours, twins)]
    summary = {
        "case": mine["case"], "mode": "vs_torch", "twin": theirs.get("twin"),
        "rounds": len(per_round), "s_per_iter": mine["median_s_per_iter"],
        "torch_s_per_iter": theirs["median_s_per_iter"],
        "x_torch": round(statistics.median(per_round), 2), "x_torch_rounds": per_round,
        "peak_rss_mb": mine["peak_rss_mb"], "torch_peak_rss_mb": theirs["peak_rss_mb"],
        "rss_x_torch": round(mine["peak_rss_mb"] / theirs["peak_rss_mb"], 2),
        "load_1min": [r.get("load_1min") for r in ours + twins],
    }
    return mine, summary


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.error = lambda message: p.exit(2, f"error: {message} (see {p.prog} --help)\n")
    p.add_argument("--cases", default=",".join(CASES),
                   help=f"comma-separated, from: {', '.join(CASES)}")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--photo2cartoon-repo", default=DEFAULT_P2C_REPO,
                   help="minivision-ai/photo2cartoon: a checkout or a bare git mirror "
                        "(its models/networks.py is loaded from there)")
    p.add_argument("--cyclegan-repo", default=DEFAULT_CYCLEGAN_REPO,
                   help="junyanz/pytorch-CycleGAN-and-pix2pix: a checkout or a bare git "
                        "mirror (its models/networks.py is loaded from there)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.runs, args.warmup, args.photo2cartoon_repo,
                                args.cyclegan_repo)))
        return 0
    unknown = [c for c in args.cases.split(",") if c not in CASES]
    if unknown:
        print(f"error: unknown case(s) {unknown}; choose from {', '.join(CASES)}",
              file=sys.stderr)
        return 2
    for case in args.cases.split(","):
        print(json.dumps(run_case(case, args.runs, args.warmup, args.photo2cartoon_repo,
                                  cyclegan_repo=args.cyclegan_repo)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
