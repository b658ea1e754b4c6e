"""`regflow`'s argument parser imports no heavy library: every rule starts the command line,
so PyTorch, scipy or matplotlib at parse time would cost seconds per job."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "scipy", "matplotlib", "sklearn", "lightning", "tangermeme", "modiscolite")


def test_building_the_parser_imports_no_heavy_library():
    code = (
        "import json, sys\n"
        "from regflow.cli import build_parser\n"
        "build_parser()\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
