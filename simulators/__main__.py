"""``python -m simulators run all`` — the same as the ``ocms-simulators`` command."""
import sys

from .cli import main

sys.exit(main())
