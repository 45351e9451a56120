"""`python -m tinygrad_opt ...` runs the `tinygrad-opt` command."""
import sys

from .cli import main

sys.exit(main())
