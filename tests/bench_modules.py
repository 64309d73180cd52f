"""Load a bench/ script as a module for its unit tests (bench/ is no package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench(filename: str) -> ModuleType:
    """``bench/<filename>`` under its own name, without leaving bench/ on ``sys.path``.

    Its own name: examples/assistant.py is imported as ``assistant`` elsewhere; bench/ on the
    path would hide the ``simulation`` package behind bench/simulation.py.
    """
    name = f"bench_{Path(filename).stem}_under_test"
    spec = importlib.util.spec_from_file_location(name, BENCH / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    path = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = path
    return module
