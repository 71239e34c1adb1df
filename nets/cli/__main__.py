"""`python -m nets.cli` runs the `stepgrad` command."""

import sys

from . import main

sys.exit(main())
