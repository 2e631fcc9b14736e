"""``python -m citecheck`` runs the CLI."""

from .cli.process import console_main

raise SystemExit(console_main())
