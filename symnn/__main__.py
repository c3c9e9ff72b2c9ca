"""``python -m symnn`` runs the command line."""

import sys

from symnn.cli.main import main

sys.exit(main())
