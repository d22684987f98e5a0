"""``python -m reconciler.emulator``: serve an emulated Azure ML workspace until Ctrl-C."""

import sys

from reconciler.emulator.cli import main

sys.exit(main())
