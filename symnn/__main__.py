"""``python -m symnn`` runs the command line."""

import sys

from symnn.cli import main

sys.exit(main())
