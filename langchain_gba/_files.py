"""Files written whole or not at all (models, embedder exports, index files)."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "sha256_file", "sha256_file_once"]


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


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file_once(path: Path) -> str:
    """``sha256_file`` once per file version (path, size and mtime) in a process."""
    stat = path.stat()
    return _sha256_version(path, stat.st_size, stat.st_mtime)


@functools.cache
def _sha256_version(path: Path, size: int, mtime: float) -> str:
    return sha256_file(path)
