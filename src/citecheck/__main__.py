"""``python -m citecheck`` runs the CLI."""

from .cli import main

raise SystemExit(main())
