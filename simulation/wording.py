"""Wording as people type it: lowercase, no final mark, a typo, a few words before the question.

The 1.5B writer writes tidy requests even when told a style; a student trained on them alone
meets real users' typing for the first time at run time. ``vary`` roughens a share of the
generated requests the way real requests are rough (each change on its own draw), before the
teacher plans them, so the teacher's plan is for the text the student will see.
"""

from __future__ import annotations

import random
import re

__all__ = ["LEAD_INS", "vary"]

LEAD_INS = (
    "hey, ", "quick question: ", "I was wondering, ", "can you help? ", "ok so ", "please, ",
)  # fmt: skip
"""Words some people type before the request itself."""

_WORD = re.compile(r"\b[a-z]{5,}\b")


def _typo(text: str, rng: random.Random) -> str:
    """Two neighbouring letters of one lowercase word of five letters or more swapped."""
    words = list(_WORD.finditer(text))
    if not words:
        return text
    word = rng.choice(words)
    i = rng.randrange(word.start() + 1, word.end() - 2)  # the first letter stays
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def vary(text: str, rng: random.Random, share: float = 0.5) -> str:
    """``text``, roughened with probability ``share``.

    A roughened text gets each of lowercase, no final punctuation, one typo and a lead-in on
    its own draw, at least one of them.
    """
    if rng.random() >= share:
        return text
    changes = [rng.random() < 0.5 for _ in range(4)]
    if not any(changes):
        changes[rng.randrange(4)] = True
    lower, bare, typo, lead = changes
    if typo:
        text = _typo(text, rng)
    if bare:
        text = text.rstrip("?.!")
    if lead:
        text = rng.choice(LEAD_INS) + text[:1].lower() + text[1:]
    if lower:
        text = text.lower()
    return text
