"""Comparing texts as their words: case, punctuation and spacing ignored."""

from __future__ import annotations

import re

__all__ = ["words"]


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, punctuation and spacing dropped."""
    return re.sub(r"[^\w\s]", " ", text.lower()).split()
