"""Free disk space, checked against an estimate before anything large is written."""

from __future__ import annotations

import shutil
from pathlib import Path

from finetune.errors import DiskSpaceError

__all__ = ["MARGIN", "check_disk", "free_bytes", "human"]

MARGIN = 1.25
"""Estimates are multiplied by this (temporary files, metadata, rounding)."""


def free_bytes(path: str | Path) -> int:
    """Free bytes on the file system that holds ``path`` (or its nearest existing parent)."""
    p = Path(path).expanduser().absolute()
    while not p.exists():
        p = p.parent
    return shutil.disk_usage(p).free


def human(n: float) -> str:
    """Bytes as ``1.2 GB``."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # unreachable


def check_disk(path: str | Path, needed: int, what: str) -> None:
    """Raise unless ``path``'s file system has room for ``needed`` bytes (times ``MARGIN``).

    Raises:
        DiskSpaceError: with the estimate and what is free.
    """
    want = int(needed * MARGIN)
    free = free_bytes(path)
    if free < want:
        raise DiskSpaceError(
            f"Not enough disk space for {what} in {path}: about {human(want)} needed, "
            f"{human(free)} free. Free some space or choose another output folder."
        )
