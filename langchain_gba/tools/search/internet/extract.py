"""Main text of a web page, without menus, ads and footers (trafilatura)."""

from __future__ import annotations

import re

from langchain_gba.tools.search.internet.fetch import Page

__all__ = ["extract_main_text", "split_paragraphs"]


def extract_main_text(page: Page) -> str:
    """The readable main text of ``page`` (empty when none is found).

    HTML goes through ``trafilatura.extract`` (tables and comments left out); plain text is
    returned as it is.
    """
    if page.content_type == "text/plain":
        return page.text().strip()
    import trafilatura

    text = trafilatura.extract(
        page.text(), url=page.url, include_comments=False, include_tables=False
    )
    return (text or "").strip()


def split_paragraphs(text: str, *, max_chars: int = 600) -> list[str]:
    """Split text into paragraphs of at most ``max_chars`` (long ones at sentence ends)."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n|\n", text):
        block = " ".join(block.split())
        while len(block) > max_chars:
            cut = block.rfind(". ", 0, max_chars)
            cut = cut + 1 if cut > max_chars // 3 else max_chars
            out.append(block[:cut].strip())
            block = block[cut:].strip()
        if block:
            out.append(block)
    return out
