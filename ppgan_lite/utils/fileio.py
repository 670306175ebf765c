"""Files that appear complete or not at all, and output folders made with a clear
error."""
import os
import tempfile


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write_fn):
    """Call ``write_fn(fileobj)`` on a temp file beside ``path``, fsync it and rename it
    over ``path``: a crash or a concurrent reader never sees half a file. The result has
    the permissions a plainly created file would (mkstemp's are private, 0600)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def make_dirs(path, what="output folder"):
    """``os.makedirs(path, exist_ok=True)``, where a file in the way (at ``path`` or
    one of its parents) or a folder without write permission is a one-line ConfigError
    naming ``what`` and the path, not an OSError traceback. Returns ``path``."""
    from .errors import ConfigError

    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{what} '{path}' is a file, not a folder: choose another "
                          f"path or move the file") from None
    except NotADirectoryError:
        raise ConfigError(f"{what} '{path}' lies under a file, not a folder: choose "
                          f"another path") from None
    except OSError as exc:  # permission denied, read-only file system, ...
        raise ConfigError(f"{what} '{path}' cannot be created ({exc.strerror}): choose "
                          f"a folder you can write to") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"{what} '{path}' is not writable: choose a folder you can "
                          f"write to")
    return path
