"""CPU settings chosen on ``import ppgan_lite``, before paddle loads, and paddle's
import kept quiet about them."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(code, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",
                                                                 "MKL_NUM_THREADS")}
    environ.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=environ)


def test_paddle_imported_after_ppgan_lite_says_nothing_of_omp_threads():
    """However paddle is imported (a script, the Python API), its warning that
    OMP_NUM_THREADS is above 1 is dropped: more threads are what ppgan_lite chose."""
    out = run_python("import sys, ppgan_lite, os; import paddle; "
                     "print('threads', os.environ['OMP_NUM_THREADS']); "
                     "print('boom', file=sys.stderr)")
    assert out.returncode == 0, out.stderr
    assert "OMP_NUM_THREADS" not in out.stderr and "WISELY" not in out.stderr
    assert "boom" in out.stderr  # other output still gets through
    assert out.stdout.strip() == f"threads {len(os.sched_getaffinity(0))}"


def test_user_settings_win_and_tuning_can_be_turned_off():
    code = ("import ppgan_lite, os; from ppgan_lite.utils import runtime; "
            "print(os.environ.get('OMP_NUM_THREADS'), "
            "runtime.describe()['settings'].get('OMP_NUM_THREADS', {}).get('why'))")
    assert run_python(code, OMP_NUM_THREADS="1").stdout.split() == ["1", "set", "by", "user"]
    off = run_python(code, PPGAN_LITE_NO_CPU_TUNING="1").stdout.split()
    assert off == ["None", "None"]


FAULTS_OF_FRESH_BUFFERS = (
    "import resource, numpy as np, ppgan_lite\n"
    "from ppgan_lite.utils import runtime\n"
    "np.add(np.ones(1 << 20), 1.0)  # warm up\n"
    "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
    "for _ in range(20):\n"
    "    np.add(np.ones(1 << 20), 1.0)  # two 8 MiB buffers made and freed\n"
    "after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
    "print(after - before, 'MALLOC_MMAP_THRESHOLD_' in runtime.describe()['settings'])\n")


def test_freed_tensor_memory_is_reused_instead_of_faulted_in_again():
    """glibc serves a large block with a fresh mmap and unmaps it on free, so every op
    output lands on pages the kernel must fault in and zero; ppgan_lite raises the
    thresholds (mallopt) so the heap keeps and reuses them."""
    if not sys.platform.startswith("linux"):
        return
    tuned = run_python(FAULTS_OF_FRESH_BUFFERS)
    plain = run_python(FAULTS_OF_FRESH_BUFFERS, PPGAN_LITE_NO_CPU_TUNING="1")
    assert tuned.returncode == 0 and plain.returncode == 0, tuned.stderr + plain.stderr
    tuned_faults, applied = tuned.stdout.split()
    plain_faults, not_applied = plain.stdout.split()
    assert applied == "True" and not_applied == "False"
    # up to 20 x 2 x 2048 pages of 4 KiB when nothing is reused (seen: ~20000)
    assert int(plain_faults) > 10000 and int(tuned_faults) < 0.1 * int(plain_faults)
