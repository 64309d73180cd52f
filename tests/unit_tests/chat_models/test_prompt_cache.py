"""PromptCache's bookkeeping: prefixes, files, limits (no model needed)."""

from __future__ import annotations

import os
from pathlib import Path

from langchain_gba.chat_models._prompt_cache import PromptCache, _State, common_prefix


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([1, 2], [1, 2, 3]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([5], [6]) == 0


def test_file_round_trip_checks_the_prefix(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    state = _State((1, 2, 3), b"kv-bytes")
    cache._write("k", state)
    assert cache._read("k", (1, 2, 3)) == state
    assert cache._read("k", (1, 2, 4)) is None  # a different prefix under the same name
    assert cache._read("missing", (1, 2, 3)) is None
    (tmp_path / "k.kv").write_bytes(b"not a state")
    assert cache._read("k", (1, 2, 3)) is None


def test_files_beyond_the_limit_go_oldest_first(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, disk_bytes=2500)
    for i, name in enumerate(("old", "mid", "new")):
        cache._write(name, _State((i,), bytes(1000)))
        os.utime(tmp_path / f"{name}.kv", (i, i))
    cache._prune()
    assert sorted(p.stem for p in tmp_path.glob("*.kv")) == ["mid", "new"]


def test_memory_beyond_the_limit_drops_the_least_recent() -> None:
    cache = PromptCache(None, capacity_bytes=2500)
    for name in ("a", "b", "c"):
        cache._keep(name, _State((1,), bytes(1000)))
    assert list(cache._states) == ["b", "c"]
    cache.clear()
    assert not cache._states


def test_an_unwritable_directory_costs_only_speed(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory should be")
    PromptCache(blocked / "sub")._write("k", _State((1,), b"x"))  # logs a warning, no error


def test_the_longest_kept_prefix_a_context_starts_with() -> None:
    cache = PromptCache(None)
    cache._keep("short", _State((1, 2), b""))
    cache._keep("long", _State((1, 2, 3, 4), b""))
    cache._keep("other", _State((9, 9, 9, 9, 9), b""))
    assert cache.fixed_prefix([1, 2, 3, 4, 5, 6]) == 4
    assert cache.fixed_prefix([1, 2, 3, 7]) == 2
    assert cache.fixed_prefix([5]) == 0
