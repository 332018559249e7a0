"""`python -m workbench`: the same as the `workbench` command."""

from workbench.app.cli import main

raise SystemExit(main())
