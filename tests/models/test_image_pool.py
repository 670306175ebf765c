"""CycleGAN's ImagePool: PaddleGAN's rule, draws from its own seeded generator, and a
state that a checkpoint holds without pickles and that continues the same sequence."""
import json

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite.models.image_pool import ImagePool
from ppgan_lite.utils.checkpoint import load_state, save_state
from ppgan_lite.utils.errors import ConfigError


def batch_of_ids(first, n=2):
    """n 1x2x2 images whose every pixel is its id (first, first+1, ...)."""
    ids = np.arange(first, first + n, dtype="float32")
    return paddle.to_tensor(np.broadcast_to(ids[:, None, None, None], (n, 1, 2, 2)).copy())


def ids_of(images):
    values = images.numpy()
    assert (values == values[:, :1, :1, :1]).all()
    return [int(v) for v in values[:, 0, 0, 0]]


def run(pool, steps, start=0, n=2):
    return [ids_of(pool.query(batch_of_ids(start + n * i, n))) for i in range(steps)]


def paddlegans_rule(pool_size, seed, steps, n=2, prob=0.5):
    """ppgan/utils/image_pool.py's query, image by image, with the same draws."""
    rng, stored, out = np.random.default_rng(seed), [], []
    for step in range(steps):
        row = []
        for image in range(n * step, n * step + n):
            if len(stored) < pool_size:
                stored.append(image)
                row.append(image)
            elif rng.random() > prob:
                slot = int(rng.integers(pool_size))
                row.append(stored[slot])
                stored[slot] = image
            else:
                row.append(image)
        out.append(row)
    return out


def test_query_follows_paddlegans_rule_for_its_draws():
    assert run(ImagePool(5, seed=7), 40) == paddlegans_rule(5, seed=7, steps=40)


def test_fills_first_then_returns_history_about_half_the_time():
    pool = ImagePool(4, seed=0)
    assert run(pool, 2) == [[0, 1], [2, 3]]  # not full yet: stored and returned
    rows = run(pool, 500, start=4)
    returned = [i for row in rows for i in row]
    queried = list(range(4, 1004))
    old = [r for r, q in zip(returned, queried) if r != q]
    assert 0.45 < len(old) / len(queried) < 0.55
    assert all(r <= q for r, q in zip(returned, queried))  # the query or an earlier one
    assert len(set(old)) == len(old)  # each stored image comes back at most once
    assert len(pool) == 4


def test_same_seed_same_sequence_other_seed_another():
    assert run(ImagePool(3, seed=11), 30) == run(ImagePool(3, seed=11), 30)
    assert run(ImagePool(3, seed=11), 30) != run(ImagePool(3, seed=12), 30)


def test_pool_size_zero_passes_images_through():
    pool = ImagePool(0, seed=0)
    images = batch_of_ids(0, 3)
    assert pool.query(images) is images
    assert len(pool) == 0 and pool.state_dict()["images"] == {}


def test_returned_and_stored_images_are_detached():
    pool = ImagePool(2, seed=0)
    fake = batch_of_ids(0, 2) * paddle.ones([1], dtype="float32")
    fake.stop_gradient = False
    out = pool.query(fake * 2)
    assert out.stop_gradient
    assert all(image.stop_gradient for image in pool.images)


@pytest.mark.parametrize("through_checkpoint", [False, True])
def test_state_round_trip_continues_the_identical_sequence(through_checkpoint, tmp_path):
    pool = ImagePool(4, seed=5)
    run(pool, 7)
    state = pool.state_dict()
    if through_checkpoint:  # an .npz read back with allow_pickle=False
        path = str(tmp_path / "pool.ckpt.npz")
        save_state(path, {"image_pool": state})
        state = load_state(path)["image_pool"]
    resumed = ImagePool(4, seed=999)  # a different seed: the state must replace it
    resumed.set_state_dict(state)
    assert run(resumed, 30, start=14) == run(pool, 30, start=14)


def test_state_is_plain_values_and_arrays():
    pool = ImagePool(3, seed=1)
    run(pool, 3)
    state = pool.state_dict()
    assert sorted(state["images"]) == ["0", "1", "2"]
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32
               for a in state["images"].values())
    plain = {k: v for k, v in state.items() if k != "images"}
    assert json.loads(json.dumps(plain)) == plain
    assert plain["rng"]["bit_generator"] == "PCG64"


@pytest.mark.parametrize("kwargs,words", [
    (dict(pool_size=-1), "pool_size must be an integer >= 0"),
    (dict(pool_size=2.5), "pool_size must be an integer >= 0"),
    (dict(pool_size=50, prob=1.5), "prob must be in [0, 1]"),
])
def test_bad_arguments_are_one_line(kwargs, words):
    with pytest.raises(ConfigError) as info:
        ImagePool(**kwargs)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_state_of_another_pool_size_is_refused():
    small = ImagePool(2, seed=0)
    run(small, 1)
    with pytest.raises(ConfigError, match="pool_size 2, this one has 50"):
        ImagePool(50).set_state_dict(small.state_dict())
