"""Exported generators built once per session: exporting the Photo2Cartoon net is most
of this suite's time (Paddle's dy2static translates every layer class)."""
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)

from export_testutils import export_kind, have_onnx, load_export_tool


@pytest.fixture(scope="session")
def export_tool():
    return load_export_tool()


@pytest.fixture(scope="session")
def dcgan_export(tmp_path_factory):
    """DCGAN exported without --onnx (the auto backend's cache tests convert it)."""
    return export_kind(tmp_path_factory.mktemp("export"), "dcgan", onnx=False)


@pytest.fixture(scope="session")
def p2c_export(tmp_path_factory):
    return export_kind(tmp_path_factory.mktemp("export"), "p2c", onnx=have_onnx())


@pytest.fixture(scope="session")
def ugatit_export(tmp_path_factory):
    return export_kind(tmp_path_factory.mktemp("export"), "ugatit", onnx=have_onnx())
