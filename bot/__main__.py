"""`python -m bot`: see bot/terminal/cli.py."""

import sys

from bot.terminal.cli import main

sys.exit(main())
