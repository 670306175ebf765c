"""CPU settings chosen before paddle loads.

Paddle's CPU wheel runs on one OpenMP thread by default, and its Intel MKL takes a
slow code path on AMD processors unless ``MKL_DEBUG_CPU_TYPE=5`` is set *before*
paddle is imported (a 2048^2 matmul goes from ~35 to ~94 GFLOP/s on an AMD EPYC; a
DCGAN step ~3x faster). ``configure()`` runs on ``import ppgan_lite`` and sets what
the user has not set themselves; ``describe()`` says what was chosen and why so the
trainer and the benchmark can log it.
"""
import ctypes
import os
import sys
import warnings

_CHOICES = {}


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _cpuinfo(field):
    """The first ``field`` of /proc/cpuinfo, or None (not Linux, no such field)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_vendor():
    return _cpuinfo("vendor_id") or "unknown"


def cpu_model():
    import platform

    return _cpuinfo("model name") or platform.processor() or platform.machine()


def _set_default(key, value, reason):
    if key in os.environ:
        _CHOICES[key] = (os.environ[key], "set by user")
    else:
        os.environ[key] = str(value)
        _CHOICES[key] = (str(value), reason)


def configure():
    """Set thread and MKL defaults; never overrides a variable the user set.

    ``PPGAN_LITE_NO_CPU_TUNING=1`` turns this off (the benchmark uses it to measure
    Paddle's own defaults).
    """
    if _CHOICES or os.environ.get("PPGAN_LITE_NO_CPU_TUNING") == "1":
        return dict(_CHOICES)
    if "paddle" in sys.modules:
        _CHOICES["note"] = ("paddle already imported", "settings may not apply")
    threads = usable_cores()
    _set_default("OMP_NUM_THREADS", threads, "usable cores")
    _set_default("MKL_NUM_THREADS", threads, "usable cores")
    if cpu_vendor() == "AuthenticAMD":
        _set_default("MKL_DEBUG_CPU_TYPE", 5, "AMD CPU: use MKL's AVX2 code path")
    # Paddle logs every interpreter start at INFO level; keep the console readable.
    _set_default("GLOG_minloglevel", 2, "quiet paddle C++ logs")
    _keep_freed_memory_mapped()
    # paddle warns on import that ccache is missing; it only matters for C++ extensions.
    warnings.filterwarnings("ignore", message="No ccache found")
    if "paddle" not in sys.modules:
        sys.meta_path.insert(0, _QuietPaddleImport())
    # paddle's BatchNorm repeats this on every training forward; it is informational.
    warnings.filterwarnings("ignore", message="When training, we now always track global")
    return dict(_CHOICES)


# glibc's mallopt parameters and the environment variables that set them at start-up
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MALLOC_THRESHOLD = 1 << 30


def _keep_freed_memory_mapped():
    """Let glibc reuse freed tensor memory instead of returning it to the kernel.

    Paddle's CPU allocator hands every tensor to malloc. glibc serves blocks above its
    mmap threshold (128 KiB, growing to at most 32 MiB) with a fresh mmap and unmaps
    them on free, and trims the heap top; so nearly every op output (8 MiB for a
    32x256x256 map, 74 MiB for a conv's im2col buffer) lands on new pages that the
    kernel must fault in and zero: an 8 MiB ``x + y`` took 11.9 ms instead of 1.3 ms.
    Thresholds of 1 GiB keep such blocks in the heap, reused from one op to the next.
    mallopt applies to this process at once; the MALLOC_*_ variables, read only at
    start-up, are the user's way to choose otherwise.
    """
    if not sys.platform.startswith("linux"):
        return
    for env, param in (("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD),
                       ("MALLOC_TRIM_THRESHOLD_", _M_TRIM_THRESHOLD)):
        if env in os.environ:
            _CHOICES[env] = (os.environ[env], "set by user")
            continue
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):  # not glibc (musl has no mallopt)
            return
        if mallopt(param, MALLOC_THRESHOLD) == 1:
            _CHOICES[env] = (str(MALLOC_THRESHOLD), "reuse freed tensor memory (mallopt)")


def describe():
    """One dict for logs: the CPU, the cores, and each setting with its reason."""
    return {
        "cpu_vendor": cpu_vendor(),
        "usable_cores": usable_cores(),
        "settings": {k: {"value": v, "why": w} for k, (v, w) in _CHOICES.items()},
    }


class _DropLines:
    """A stderr stand-in that drops lines containing any of ``needles``."""

    def __init__(self, stream, needles):
        self.stream, self.needles = stream, needles
        self._dropped = False

    def write(self, text):
        if any(n in text for n in self.needles):
            self._dropped = True  # print() sends the line's "\n" as a second write
        elif not (self._dropped and text == "\n"):
            self.stream.write(text)
            self._dropped = False
        else:
            self._dropped = False

    def flush(self):
        self.stream.flush()


_OMP_WARNING = ("OMP_NUM_THREADS set to", "USE OMP_NUM_THREADS WISELY")


class _QuietPaddleImport:
    """A meta-path finder that runs paddle's first import with its OMP_NUM_THREADS
    warning dropped, however paddle gets imported (a script, the Python API, a test):
    with one process per machine more threads are what is wanted, and the trainer
    logs the setting it chose. It steps aside once paddle is loaded."""

    def find_spec(self, name, path=None, target=None):
        if name != "paddle":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec("paddle")
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def quiet_exec(module):
            saved = sys.stderr
            sys.stderr = _DropLines(saved, _OMP_WARNING)
            try:
                exec_module(module)
            finally:
                sys.stderr = saved

        spec.loader.exec_module = quiet_exec
        return spec


def import_paddle_quietly(cpu=False):
    """Import paddle without its warning that OMP_NUM_THREADS is above 1: with one
    process per machine (as here) more threads are exactly what is wanted, and the
    trainer logs the setting it chose. ``cpu``: run on the CPU even where a GPU is
    (the applications' ``--cpu``)."""
    if "paddle" in sys.modules:
        paddle = sys.modules["paddle"]
    else:
        saved = sys.stderr
        sys.stderr = _DropLines(saved, _OMP_WARNING)
        try:
            import paddle
        finally:
            sys.stderr = saved
    if cpu:
        paddle.set_device("cpu")
    return paddle
