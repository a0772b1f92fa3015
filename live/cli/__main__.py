"""``python -m live.cli``: the same as the ``cardcheck`` command."""

import sys

from live.cli import main

sys.exit(main())
