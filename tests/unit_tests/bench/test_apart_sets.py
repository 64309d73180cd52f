"""The requests written apart (``bench/data/apart``): valid, the dev sets apart from the test set.

A student is chosen on the dev sets and judged on the test set; a dev request that nearly copies
a held-out one, or asks about the same article, would let the choice see the test set (dev3's
writer first wrote "What colour do you get when you mix blue and yellow paint?", a held-out
request word for word; dev2 had a held-out greeting and a held-out question's article).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_modules import load_bench

from simulation.generate import word_overlap
from simulation.records import read_jsonl

check = load_bench("data/check_requests.py")
APART = Path(__file__).parents[3] / "bench" / "data" / "apart"
DEV = ("dev.jsonl", "dev2.jsonl", "dev3.jsonl")


def read(name: str) -> list[dict]:
    return read_jsonl(APART / name)


@pytest.mark.parametrize("name", [*DEV, "test.jsonl"])
def test_every_set_passes_the_checks(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main(["--requests", str(APART / name), "--no-counts"]) == 0, capsys.readouterr()


@pytest.mark.parametrize("name", DEV)
def test_no_dev_request_nearly_copies_a_held_out_one_or_shares_its_article(name: str) -> None:
    test = read("test.jsonl")
    held_out_sources = {title for r in test for title in r.get("source") or []}
    for r in read(name):
        assert r["split"] == "dev"
        close = [t["request"] for t in test if word_overlap(r["request"], t["request"]) >= 0.5]
        assert not close, (r["request"], close)
        assert not set(r.get("source") or []) & held_out_sources, r["id"]


def test_ids_are_unique_across_the_sets() -> None:
    ids = [r["id"] for name in [*DEV, "test.jsonl"] for r in read(name)]
    assert len(ids) == len(set(ids))
