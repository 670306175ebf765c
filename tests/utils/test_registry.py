import pytest

from ppgan_lite.utils.errors import ConfigError
from ppgan_lite.utils.registry import Registry, build


def make_registry():
    reg = Registry("widget")

    @reg.register(aliases=("OldGear",))
    class Gear:
        def __init__(self, teeth=12, radius=1.0):
            self.teeth, self.radius = teeth, radius

    @reg.register()
    class Spring:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    return reg


def test_build_passes_rest_as_kwargs_and_keeps_cfg():
    reg = make_registry()
    cfg = {"name": "Gear", "teeth": 30}
    gear = build(cfg, reg)
    assert gear.teeth == 30 and gear.radius == 1.0
    assert cfg == {"name": "Gear", "teeth": 30}


def test_alias_builds_the_same_class():
    reg = make_registry()
    assert type(build({"name": "OldGear"}, reg)).__name__ == "Gear"


def test_unknown_name_lists_known_and_suggests():
    reg = make_registry()
    with pytest.raises(ConfigError) as err:
        build({"name": "Geer"}, reg, "model.gear")
    msg = str(err.value)
    assert "Did you mean 'Gear'" in msg and "Spring" in msg and "model.gear" in msg


def test_unknown_argument_names_close_match():
    reg = make_registry()
    with pytest.raises(ConfigError) as err:
        build({"name": "Gear", "teeht": 3}, reg)
    assert "teeht" in str(err.value) and "Did you mean 'teeth'" in str(err.value)


def test_var_kwargs_accept_anything_and_missing_name_is_error():
    reg = make_registry()
    assert build({"name": "Spring", "k": 1}, reg).kwargs == {"k": 1}
    with pytest.raises(ConfigError):
        build({"teeth": 3}, reg)


def test_duplicate_registration_is_refused():
    reg = make_registry()
    with pytest.raises(KeyError):
        @reg.register("Gear")
        class Other:
            pass


def test_every_project_registry_is_populated():
    from ppgan_lite import register_all
    from ppgan_lite.utils import registry as r

    register_all()
    for reg, expected in [(r.MODELS, "DCGANModel"), (r.GENERATORS, "DCGenerator"),
                          (r.DISCRIMINATORS, "DCDiscriminator"), (r.CRITERIONS, "GANLoss"),
                          (r.OPTIMIZERS, "Adam"), (r.LR_SCHEDULERS, "LinearDecay"),
                          (r.DATASETS, "SingleDataset"), (r.TRANSFORMS, "Resize"),
                          (r.PREPROCESS, "LoadImageFromFile")]:
        assert expected in reg, (reg.name, reg.keys())


def test_import_is_fast_and_pulls_in_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, time; t = time.time(); import ppgan_lite, ppgan_lite.apps; "
            "print(time.time() - t, [m for m in ('paddle', 'cv2', 'dlib', 'skimage', "
            "'matplotlib', 'onnxruntime') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split(None, 1)
    assert float(out[0]) < 0.5 and out[1].strip() == "[]"
