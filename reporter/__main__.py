from __future__ import annotations

from reporter.cli import main

raise SystemExit(main())
