"""Applies an llguidance token mask to llama-cpp-python logits, one sampled token at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from llguidance.numpy import allocate_token_bitmask, fill_next_token_bitmask

if TYPE_CHECKING:
    import llama_cpp
    import llguidance
    from numpy.typing import NDArray

__all__ = ["GrammarLogitsProcessor"]


class GrammarLogitsProcessor:
    """A llama-cpp-python logits processor that allows only tokens the grammar accepts.

    llama-cpp-python calls it once per sampled token with the logits of the whole vocabulary;
    the tokens generated since the previous call are read from the context and fed to the
    matcher, whose bitmask then sets every disallowed logit to ``-inf``.
    """

    def __init__(self, llama: llama_cpp.Llama, matcher: llguidance.LLMatcher) -> None:
        self.llama = llama
        self.matcher = matcher
        self.n_vocab = llama.n_vocab()
        self.bitmask = allocate_token_bitmask(1, self.n_vocab)
        self._start: int | None = None
        self._consumed = 0

    @property
    def error(self) -> str | None:
        """The matcher's error, if a token outside the grammar was consumed."""
        return self.matcher.get_error() if self.matcher.is_error() else None

    def __call__(
        self, input_ids: NDArray[np.intc], scores: NDArray[np.single]
    ) -> NDArray[np.single]:
        """Mask ``scores`` in place and return them."""
        n_tokens = self.llama.n_tokens
        if self._start is None:
            self._start = n_tokens
        new = self.llama._input_ids[self._start + self._consumed : n_tokens]
        if len(new):
            self.matcher.consume_tokens(new.tolist())
            self._consumed += len(new)
        fill_next_token_bitmask(self.matcher, self.bitmask)
        allowed = np.unpackbits(self.bitmask.view(np.uint8), bitorder="little")[: len(scores)]
        np.copyto(scores, -np.inf, where=allowed == 0)
        return scores
