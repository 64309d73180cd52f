"""Files written whole or not at all (models, embedder exports, index files)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(target: Path, write: Callable[[Path], None], *, mode: int | None = None) -> Path:
    """Run ``write(tmp)`` on a temporary file beside ``target``, then move it onto ``target``.

    A killed run or a ``write`` that raises leaves no partial ``target`` behind (the temporary
    file is removed). ``mode``: permissions to set before the move (e.g. ``0o644``).
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        write(Path(tmp))
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
