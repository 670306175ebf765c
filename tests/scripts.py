"""The repository's scripts (tools/, applications/) as modules, for tests that call
their ``main`` in-process: those folders are not packages."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_script(relative_path):
    """``load_script('tools/prepare_data.py')`` -> the module, freshly executed."""
    path = os.path.join(ROOT, relative_path)
    name = os.path.splitext(relative_path)[0].replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_error_line(capsys):
    """The one ``error: ...`` line a CLI printed for a bad input (and no traceback)."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]
