"""`python -m posttrain …` runs the command line (see posttrain.cli)."""

import sys

from .cli import main

sys.exit(main())
