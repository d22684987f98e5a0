#!/usr/bin/env python3
"""Entry point of the workflows' logic (the package gitops/ beside this file); see --help."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gitops.cli import main

if __name__ == "__main__":
    sys.exit(main())
