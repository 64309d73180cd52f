"""The built-in corpus's index, shipped with the package so that no machine has to embed it.

Embedding the 10,033 Wikipedia extracts takes minutes on a laptop CPU (and PyTorch to export the
model); the result is deterministic and small. The package ships it under ``prebuilt/<corpus>/``:
the index's own ``meta.json``, ``binary.faiss``, ``int8.npy`` and ``calibration.npy`` (48 + 384
bytes per passage), and ``spans.json`` instead of the passages' text: each passage as
``[document, start, end]`` in the corpus, which the corpus package already holds.

:func:`install_prebuilt` assembles a full index folder from them and the installed corpus, then
loads it with every file's SHA-256 checked against the shipped metadata: a corpus package of
another version, or a tampered or truncated file, is refused (and the caller builds the index as
before). ``make prebuilt-index`` (:func:`rebuild_prebuilt`) rebuilds the shipped files.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_gba._files import atomic_write
from langchain_gba.tools.search.exceptions import SearchIndexError
from langchain_gba.tools.search.wikipedia.chunking import Passage
from langchain_gba.tools.search.wikipedia.corpus import Document, corpus_checksum
from langchain_gba.tools.search.wikipedia.index import (
    BINARY,
    CALIBRATION,
    INT8,
    META,
    PASSAGES,
    IndexMetadata,
    WikipediaIndex,
    write_passages,
)

__all__ = [
    "PREBUILT_DIR",
    "export_prebuilt",
    "install_prebuilt",
    "prebuilt_path",
    "rebuild_prebuilt",
]

logger = logging.getLogger(__name__)

PREBUILT_DIR = Path(__file__).parent / "prebuilt"
SPANS = "spans.json"
_COPIED = (BINARY, INT8, CALIBRATION)


def prebuilt_path(corpus: str) -> Path:
    """Where the package keeps the shipped index of a built-in corpus."""
    return PREBUILT_DIR / corpus


def _spans(passages: Sequence[Passage], docs: Sequence[Document]) -> list[list[int | str]]:
    """Each passage as ``[doc, start, end]`` in its document's text, or ``[doc, text]``."""
    spans: list[list[int | str]] = []
    cursor = (-1, 0)
    for p in passages:
        text = docs[p.doc_id].text
        start = text.find(p.text, cursor[1] if cursor[0] == p.doc_id else 0)
        if start < 0:
            start = text.find(p.text)
        if start < 0:
            spans.append([p.doc_id, p.text])
            continue
        spans.append([p.doc_id, start, start + len(p.text)])
        cursor = (p.doc_id, start)
    return spans


def _passages(spans: list[list[int | str]], docs: Sequence[Document]) -> list[Passage]:
    passages = []
    for span in spans:
        doc = docs[int(span[0])]
        text = str(span[1]) if len(span) == 2 else doc.text[int(span[1]) : int(span[2])]
        passages.append(Passage(int(span[0]), doc.title, doc.url, text))
    return passages


def _copier(source: Path) -> Callable[[Path], None]:
    def copy(tmp: Path) -> None:
        shutil.copyfile(source, tmp)

    return copy


def export_prebuilt(index_folder: Path, docs: Sequence[Document], target: Path) -> Path:
    """Write the shippable form of the saved index in ``index_folder`` into ``target``."""
    index = WikipediaIndex.load(index_folder, verify_checksums=True)
    if index.metadata.corpus_checksum != corpus_checksum(docs):
        msg = f"The index at {index_folder} was not built from these documents."
        raise ValueError(msg)
    target.mkdir(parents=True, exist_ok=True)
    for name in _COPIED:
        shutil.copyfile(index_folder / name, target / name)
    spans = _spans(index.passages, docs)
    if _passages(spans, docs) != index.passages:
        msg = "The passages cannot be recovered from the documents."
        raise ValueError(msg)
    (target / SPANS).write_text(json.dumps(spans, separators=(",", ":")), encoding="utf-8")
    shutil.copyfile(index_folder / META, target / META)
    return target


def install_prebuilt(corpus: str, docs: Sequence[Document], folder: Path) -> WikipediaIndex | None:
    """Assemble the shipped index of ``corpus`` into ``folder`` and load it; None when none fits.

    The shipped index fits when it was built from exactly these documents (the corpus
    checksum) and every assembled file matches the SHA-256 in its metadata.
    """
    source = prebuilt_path(corpus)
    if not (source / META).is_file():
        return None
    try:
        meta = IndexMetadata.read(source)
        if meta.corpus_checksum != corpus_checksum(docs):
            logger.info("The shipped %s index was built from another corpus version", corpus)
            return None
        spans = json.loads((source / SPANS).read_text(encoding="utf-8"))
        passages = _passages(spans, docs)
    except (SearchIndexError, OSError, ValueError, IndexError, TypeError) as e:
        logger.warning("The shipped %s index cannot be used: %s", corpus, e)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / META).unlink(missing_ok=True)  # until meta.json is back: "no index"
    for name in _COPIED:
        atomic_write(folder / name, _copier(source / name))
    atomic_write(folder / PASSAGES, lambda tmp: write_passages(tmp, passages))
    atomic_write(folder / META, _copier(source / META))
    try:
        return WikipediaIndex.load(folder, verify_checksums=True)
    except SearchIndexError as e:
        logger.warning("The shipped %s index fails its checks (%s); it will be rebuilt", corpus, e)
        (folder / META).unlink(missing_ok=True)
        return None


def rebuild_prebuilt(corpus: str = "wiki-offline-en") -> Path:
    """Embed ``corpus`` again and write the files the package ships (``make prebuilt-index``)."""
    from langchain_gba.tools.search.wikipedia.builder import default_index, default_index_path
    from langchain_gba.tools.search.wikipedia.corpus import load_corpus

    default_index(corpus, rebuild=True, use_prebuilt=False)
    return export_prebuilt(default_index_path(corpus), load_corpus(corpus), prebuilt_path(corpus))
