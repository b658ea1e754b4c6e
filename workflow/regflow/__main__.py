"""Allow ``python -m regflow``, which is how the workflow's rules call the package."""

from regflow.cli import main

raise SystemExit(main())
