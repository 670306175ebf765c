#!/usr/bin/env python
"""Train or evaluate a model: python tools/main.py -c configs/dcgan_lfw.yaml"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from ppgan_lite.engine.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
