"""Process items concurrently into a ``RecordFile``: N in flight, each result appended at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from simulation.records import RecordFile

__all__ = ["process"]


async def process(
    items: Sequence[dict[str, Any]],
    handle: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    out: RecordFile,
    *,
    concurrency: int = 1,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Run ``handle`` on every item, ``concurrency`` at a time, appending each record it returns.

    ``handle`` records its own failures (a failed item is a record too); an exception it raises
    (the server is down) stops every worker and is re-raised: what was appended stays, the
    items in flight are redone by the next run. Returns the number of records appended.
    """
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    written = 0

    async def worker() -> None:
        nonlocal written
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            record = await handle(item)
            out.append(record)  # no await in between: lines never interleave
            written += 1
            if on_done is not None:
                on_done(record)

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(items))))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return written
