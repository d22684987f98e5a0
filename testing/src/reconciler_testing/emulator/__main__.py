"""``python -m reconciler_testing.emulator``: serve an emulated Azure ML workspace until Ctrl-C."""

import sys

from reconciler_testing.emulator.cli import main

sys.exit(main())
