"""``python -m landcover``."""

import sys

from landcover.cli import main

sys.exit(main())
