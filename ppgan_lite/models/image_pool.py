"""CycleGAN's history of generated images (Zhu et al., 2017, Sec. 4, after Shrivastava
et al., 2017): the discriminators see a mix of the latest fakes and up to ``pool_size``
earlier ones.

The rule is PaddleGAN's ``ppgan/utils/image_pool.py`` (junyanz's): image by image, until
the pool is full store the image and return it; afterwards, with probability ``1 - prob``
(a uniform draw ``> prob``) return a stored image picked uniformly and store the new one
in its place, else return the new image. Changed on purpose:

* every draw comes from a ``numpy.random.Generator`` the pool owns (PaddleGAN uses the
  global ``random``), so a seed fixes the sequence and ``state_dict`` / ``set_state_dict``
  carry it through a checkpoint: a resumed run draws what the uninterrupted one would;
* images are stored and returned detached (junyanz's ``.data``); PaddleGAN stores the
  generator's output itself, which keeps up to ``pool_size`` autograd graphs alive.
"""
import numpy as np
import paddle

from ..utils.errors import ConfigError


class ImagePool:
    """query(images [N, C, H, W]) -> [N, C, H, W]: each row the query's or an earlier one."""

    def __init__(self, pool_size=50, prob=0.5, seed=0):
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 0:
            raise ConfigError(f"ImagePool pool_size must be an integer >= 0 (CycleGAN uses "
                              f"50; 0 turns the pool off), got {pool_size!r}")
        if not 0.0 <= float(prob) <= 1.0:
            raise ConfigError(f"ImagePool prob must be in [0, 1] (0.5 is CycleGAN's), "
                              f"got {prob!r}")
        self.pool_size = pool_size
        self.prob = float(prob)
        self.rng = np.random.default_rng(seed)
        self.images = []  # detached [1, C, H, W] tensors

    def __len__(self):
        return len(self.images)

    def query(self, images):
        if self.pool_size == 0:
            return images
        returned = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.pool_size:
                self.images.append(image)
                returned.append(image)
            elif self.rng.random() > self.prob:
                slot = int(self.rng.integers(self.pool_size))
                returned.append(self.images[slot])
                self.images[slot] = image
            else:
                returned.append(image)
        return paddle.concat(returned, axis=0)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self):
        """Plain values and numpy arrays only (no pickled objects): the stored images
        under ``images`` ('0', '1', ... in pool order) and the generator's state, its
        128-bit integers as decimal strings so any JSON reader keeps them exact."""
        bit_generator = self.rng.bit_generator.state
        if bit_generator["bit_generator"] != "PCG64":
            raise ConfigError(f"ImagePool can only save a PCG64 generator, not "
                              f"{bit_generator['bit_generator']}: use numpy.random.default_rng")
        return {
            "pool_size": self.pool_size,
            "prob": self.prob,
            "images": {str(i): image.numpy() for i, image in enumerate(self.images)},
            "rng": {"bit_generator": "PCG64",
                    "state": str(bit_generator["state"]["state"]),
                    "inc": str(bit_generator["state"]["inc"]),
                    "has_uint32": int(bit_generator["has_uint32"]),
                    "uinteger": int(bit_generator["uinteger"])},
        }

    def set_state_dict(self, state):
        images = state.get("images", {})
        if int(state.get("pool_size", self.pool_size)) != self.pool_size \
                or len(images) > self.pool_size:
            raise ConfigError(f"the saved image pool was built with pool_size "
                              f"{state.get('pool_size')}, this one has {self.pool_size}: "
                              f"resume with the pool_size the run was started with")
        rng = state["rng"]
        self.rng.bit_generator.state = {
            "bit_generator": rng["bit_generator"],
            "state": {"state": int(rng["state"]), "inc": int(rng["inc"])},
            "has_uint32": int(rng["has_uint32"]), "uinteger": int(rng["uinteger"])}
        self.images = [paddle.to_tensor(np.asarray(images[str(i)]))
                       for i in range(len(images))]
