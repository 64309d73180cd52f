"""A real PostgreSQL server for the thread tests: one throwaway cluster per test process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from postgres_cluster import PostgresUnavailable, postgres_cluster


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A connection string to a fresh PostgreSQL cluster on 127.0.0.1 (stopped after the session).

    Each pytest-xdist worker that needs it starts its own (a few seconds); skips with what to
    install where there is no server.
    """
    pytest.importorskip(
        "langgraph.checkpoint.postgres", reason="pip install 'langchain-gba[postgres]'"
    )
    try:
        cluster = postgres_cluster()
        url = cluster.__enter__()
    except PostgresUnavailable as e:
        pytest.skip(str(e))
    try:
        yield url
    finally:
        cluster.__exit__(None, None, None)
