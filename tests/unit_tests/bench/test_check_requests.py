"""bench/data/check_requests.py's ``--no-counts``: a small side file without the count checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench_modules import load_bench

check = load_bench("data/check_requests.py")

LOOKUP = {
    "id": "wiki-peru-capital-hw",
    "kind": "lookup",
    "request": "What is the capital of Peru?",
    "first_tool": "search_wikipedia",
    "answer": "Lima",
    "source": ["Peru"],
    "fact": "Lima",
    "split": "dev",
}


def arguments(tmp_path: Path, item: dict[str, Any]) -> list[str]:
    """A one-article corpus and a one-line requests file, as command-line arguments."""
    corpus = tmp_path / "summaries_en-us.json"
    extract = "Peru is a country in western South America. Its capital is Lima."
    corpus.write_text(json.dumps({"1": {"title": "Peru", "extract": extract}}), encoding="utf-8")
    requests = tmp_path / "requests.jsonl"
    requests.write_text(json.dumps(item) + "\n", encoding="utf-8")
    return ["--requests", str(requests), "--corpus", str(corpus)]


def test_no_counts_skips_the_count_problems_but_prints_the_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = arguments(tmp_path, LOOKUP)
    assert check.main(args) == 1
    assert "lookup: 1 requests, at least 35 wanted" in capsys.readouterr().out
    assert check.main([*args, "--no-counts"]) == 0
    out = capsys.readouterr().out
    assert "OK: no problems" in out
    assert "too few" in out  # the tables are still printed


def test_no_counts_keeps_the_content_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = arguments(tmp_path, {**LOOKUP, "fact": "Cusco"})
    assert check.main([*args, "--no-counts"]) == 1
    assert "fact 'Cusco' is not in the source extract(s)" in capsys.readouterr().out
