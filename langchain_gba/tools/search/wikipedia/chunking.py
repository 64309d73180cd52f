"""Split documents into passages that fit the embedding model's token window."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from langchain_gba.tools.search.wikipedia.corpus import Document

__all__ = ["Passage", "chunk_documents"]


@dataclass(frozen=True)
class Passage:
    """A piece of one document, the unit that is embedded and retrieved."""

    doc_id: int
    """Position of the document in its corpus."""
    title: str
    url: str
    text: str

    def embedding_text(self) -> str:
        """The text that is embedded: the title, then the passage."""
        return f"{self.title}\n{self.text}"


def chunk_documents(
    docs: Iterable[Document],
    tokenizer: Any,
    *,
    max_tokens: int = 128,
    overlap: int = 16,
) -> Iterator[Passage]:
    """Yield passages of at most ``max_tokens`` tokens (title included), in corpus order.

    A document that fits is one passage; a longer one is split at paragraph, then sentence,
    then word boundaries (LangChain's ``RecursiveCharacterTextSplitter`` measuring with the
    embedding model's own tokenizer), with ``overlap`` tokens shared between neighbours.

    Args:
        docs: the corpus.
        tokenizer: a Hugging Face tokenizer (``Embedder.tokenizer``).
        max_tokens: the embedding model's window (special tokens included).
        overlap: tokens repeated from one passage into the next.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False, verbose=False))

    splitters: dict[int, RecursiveCharacterTextSplitter] = {}
    for doc_id, doc in enumerate(docs):
        # [CLS] + title + newline + passage + [SEP]
        budget = max(32, max_tokens - 3 - count(doc.title))
        if count(doc.text) <= budget:
            yield Passage(doc_id, doc.title, doc.url, doc.text)
            continue
        if budget not in splitters:
            splitters[budget] = RecursiveCharacterTextSplitter(
                chunk_size=budget,
                chunk_overlap=min(overlap, budget // 4),
                length_function=count,
                separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
                keep_separator="end",
            )
        for piece in splitters[budget].split_text(doc.text):
            yield Passage(doc_id, doc.title, doc.url, piece.strip())
