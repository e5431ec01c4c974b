"""`python -m doo` → the command line."""
import sys

from doo.cli import main

sys.exit(main())
