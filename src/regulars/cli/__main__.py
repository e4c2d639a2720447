"""``python -m regulars.cli``."""

from regulars.cli import main

main()
