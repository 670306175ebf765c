import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ppgan_lite  # noqa: E402,F401  (CPU settings before paddle loads)
from ppgan_lite.utils.runtime import import_paddle_quietly  # noqa: E402

import_paddle_quietly()
