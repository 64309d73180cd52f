"""Append-only JSONL files that survive ``kill -9``: repaired on open, one fsync'd line per record.

A record is written as one line with a single ``write`` followed by ``flush`` and ``fsync``; a
crash can only leave a torn last line (no newline), which ``repair`` truncates. Readers then see
complete records only, and a resumed run skips the ids already there: nothing is lost but the
records in flight, nothing is written twice.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["RecordFile", "RecordFileError", "read_jsonl", "repair"]


class RecordFileError(RuntimeError):
    """A JSONL file is corrupt (not at its end), or another process is writing it."""


def repair(path: Path) -> int:
    """Truncate a torn last line (one without a newline); returns the bytes removed."""
    path = Path(path)
    if not path.exists():
        return 0
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return 0
        # find the last newline, reading backwards in blocks
        end = size
        while end > 0:
            start = max(0, end - 65536)
            f.seek(start)
            block = f.read(end - start)
            i = block.rfind(b"\n")
            if i >= 0:
                keep = start + i + 1
                break
            end = start
        else:
            keep = 0
        f.truncate(keep)
        f.flush()
        os.fsync(f.fileno())
        return size - keep


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (blank lines skipped).

    Raises:
        RecordFileError: a line is not a JSON object (its number and the start of it in the
            message).
    """
    return list(_iter_jsonl(Path(path)))


def _iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                msg = f"{path}:{number} is not valid JSON ({e.msg}): {line[:80]!r}"
                raise RecordFileError(msg) from e
            if not isinstance(record, dict):
                msg = f"{path}:{number} is not a JSON object: {line[:80]!r}"
                raise RecordFileError(msg)
            yield record


class RecordFile:
    """An append-only JSONL file of records with an ``id``, held by one writer at a time.

    Example:
        .. code-block:: python

            with RecordFile("runs/teacher.jsonl") as out:
                for request in requests:
                    if request["id"] not in out.ids:
                        out.append({"id": request["id"], ...})
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.repaired = 0
        """Bytes of a torn last line removed when the file was opened."""
        self.records: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self._file: IO[str] | None = None

    def open(self) -> RecordFile:
        """Lock the file for writing, repair a torn last line, load the records written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            self._file.close()
            self._file = None
            msg = f"Another process is writing {self.path}; wait for it or stop it first."
            raise RecordFileError(msg) from e
        self.repaired = repair(self.path)
        self.records = read_jsonl(self.path)
        self.ids = {str(r["id"]) for r in self.records if "id" in r}
        return self

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as one line, durably (flush + fsync)."""
        if self._file is None:
            msg = "RecordFile is not open (use it as a context manager)."
            raise RecordFileError(msg)
        line = json.dumps(record, ensure_ascii=False, default=str)
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.records.append(record)
        if "id" in record:
            self.ids.add(str(record["id"]))

    def close(self) -> None:
        """Release the lock and close the file."""
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None

    def __enter__(self) -> RecordFile:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
