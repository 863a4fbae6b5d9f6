"""Entry point for `python -m posegpt`."""

import sys

from posegpt.cli import main

sys.exit(main())
