from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_gba.tools.search import CorpusError
from langchain_gba.tools.search.wikipedia import (
    Document,
    corpus_checksum,
    load_corpus,
    load_jsonl,
    load_wiki_offline,
)


def test_builtin_english_extracts_are_the_real_corpus() -> None:
    docs = load_corpus("wiki-offline-en")
    assert len(docs) == 10_033
    by_title = {d.title: d for d in docs}
    paris = by_title["Paris"]
    assert paris.text.startswith("Paris is the capital and largest city of France")
    assert paris.url == "https://en.wikipedia.org/wiki/Paris"
    assert by_title["Nineteen Eighty-Four"].url.endswith("/wiki/Nineteen_Eighty-Four")
    assert docs == sorted(docs, key=lambda d: d.title)


def test_other_languages_and_unknown_language() -> None:
    french = load_wiki_offline("fr-fr")
    assert french and all(d.url.startswith("https://fr.wikipedia.org/wiki/") for d in french[:5])
    with pytest.raises(CorpusError, match="available: en-us, es-es, fr-fr"):
        load_wiki_offline("de-de")


def test_jsonl_round_trip_and_checksum(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    records = [
        {"title": "Alpha", "text": "First text.", "url": "https://example.org/a"},
        {"title": "Beta", "text": "Second text."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    docs = load_corpus(path)
    assert docs == [
        Document("Alpha", "First text.", "https://example.org/a"),
        Document("Beta", "Second text.", ""),
    ]
    assert corpus_checksum(docs) == corpus_checksum(list(docs))
    assert corpus_checksum(docs) != corpus_checksum(docs[:1])
    assert corpus_checksum([Document("a", "bc")]) != corpus_checksum([Document("ab", "c")])


def test_bad_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "ok", "text": "fine"}\n{"title": "no text"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: expected a JSON object"):
        load_jsonl(path)
    with pytest.raises(CorpusError, match="No corpus file"):
        load_jsonl(tmp_path / "missing.jsonl")
