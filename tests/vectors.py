"""Where the public test vectors are: read in place, never copied into the project.

They live in the steering folder beside this repository (``../shared/vectors``). A clone elsewhere (a CI
workspace) names them with ``TRACELEDGER_VECTORS``, or finds them where this machine keeps them.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = [REPO.parent / "shared" / "vectors", Path("/work/shared/vectors")]


def _locate() -> Path:
    configured = os.environ.get("TRACELEDGER_VECTORS")
    if configured:
        return Path(configured)
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    return _CANDIDATES[0]  # tests then fail on a missing file, naming this path


SHARED_VECTORS = _locate()
