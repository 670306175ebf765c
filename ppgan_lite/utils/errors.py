"""The few exception classes ppgan_lite raises where a problem is known.

Each message is one line that names the problem and the fix; the CLIs print it
and exit with code 2 instead of showing a traceback.
"""
import numbers


class PPGanLiteError(Exception):
    """Base class: an error a user can fix, with a message that says how."""


class ConfigError(PPGanLiteError):
    """A config file, override or registry name is wrong."""


class DataError(PPGanLiteError):
    """A data set is missing, empty or unreadable."""


class ImageReadError(DataError):
    """One image file cannot be read (not an image, corrupt, truncated, too large)."""


class FaceNotFoundError(PPGanLiteError):
    """No usable face in an image (none detected, or too small)."""


class WeightsNotFoundError(PPGanLiteError):
    """A weights file is needed and is not where it was looked for."""


class TrainingDivergedError(PPGanLiteError):
    """A loss became NaN or Inf."""


def check_positive_int(value, what, minimum=1):
    """``value`` as an int, or a ConfigError '<what> must be an integer >= <minimum>'."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def run_cli(work, *args, **kwargs):
    """Run a command-line tool's ``work``: an error a user can fix is one line on
    stderr and exit code 2, never a traceback. Returns the exit code (``work``'s
    own, or 0)."""
    import sys

    try:
        code = work(*args, **kwargs)
    except PPGanLiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if code is None else code


def argument_parser(**kwargs):
    """An ``argparse.ArgumentParser`` whose bad or missing flag is one line
    (``error: ... (see PROG --help)``) and exit 2, like every other user error,
    instead of the whole usage block."""
    import argparse

    class OneLineParser(argparse.ArgumentParser):
        def error(self, message):
            self.exit(2, f"error: {message} (see {self.prog} --help)\n")

    return OneLineParser(**kwargs)


def report_failures(failures, total, folder, verb):
    """The end of a command-line run over a folder: the files that failed with their
    reasons, and the exit code (0 all done, 1 some failed, 2 none done, with one
    ``error:`` line on stderr)."""
    import sys

    if failures:
        print(f"{len(failures)} failed:")
        for name, reason in failures:
            print(f"  {name}: {reason}")
    if failures and len(failures) == total:
        print(f"error: none of the {total} files in '{folder}' could be {verb} "
              f"(reasons above)", file=sys.stderr)
        return 2
    return 1 if failures else 0
