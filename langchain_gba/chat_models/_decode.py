"""Greedy constrained decoding that evaluates several tokens per forward pass.

On a CPU a forward pass over a few tokens costs about what one token costs (decoding is bound by
reading the weights, ~65 ms for the 1.5B model on 2 cores whether 1 or 16 tokens go through), so
two kinds of tokens are evaluated together instead of one pass each:

- **forced tokens**: where the grammar allows only one continuation (a JSON key, the rest of an
  enum value after its first token), llguidance's fast-forward tokens;
- **copied tokens**: outputs copy their prompt (a task repeats the request, thoughts and answers
  repeat the results): the tokens that followed the latest earlier occurrence of the last few
  tokens (prompt-lookup decoding).

Both are guesses, evaluated after the chosen token in the same pass and kept as far as the
greedy choice at each position agrees with them (forced bytes too: the model may spell them with
other tokens than the grammar's, and its own spelling is what it would have written). The choice
at every position is the one llama-cpp-python's greedy sampler makes (the grammar mask, then the
repetition penalty over the tokens generated so far, then the highest logit), so the tokens are
the ones one-token-per-pass decoding writes, up to the last bits of the logits: llama.cpp's
kernels for a batch of tokens round differently from its one-token kernels (as they do when a
prompt is evaluated whole or in parts), which can flip a near tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from llguidance.numpy import allocate_token_bitmask, fill_next_token_bitmask

from langchain_gba.chat_models._prompt_cache import common_prefix

if TYPE_CHECKING:
    import llama_cpp
    import llguidance

__all__ = ["DRAFT_TOKENS", "DRAFT_TOKENS_ENV", "Decoded", "greedy_decode", "prompt_lookup"]

DRAFT_TOKENS_ENV = "GBA_DRAFT_TOKENS"
"""Overrides ``ChatLlamaCpp.draft_tokens`` everywhere (``0``: one token per pass)."""

DRAFT_TOKENS = 0
"""Guesses per pass by default: off. Measured on this project's 2-core CPU (``bench/decoding.py``),
a pass over 2, 4, 8, 16 tokens costs 1.6, 2.6, 5.4, 7 times one token's, so only near-certain
guesses pay: the grammar's forced tokens made planner steps 0.90x as long, copied guesses on top
1.10x; and rounding in the batched passes changed 4 of 12 planner steps (near ties). A GPU, whose
passes cost the same for a few tokens, is where to turn it on."""
NGRAM = (3, 2, 1)
"""Lengths of the tail looked up in the prompt and output, longest first."""
LOOKUP_TOKENS = 0
"""Copied guesses per pass (prompt lookup), after the forced ones: 0, see ``DRAFT_TOKENS``."""
LOOKUP_NGRAM = 3
"""The shortest tail looked up for copied guesses."""
PENALTY_WINDOW = 64
"""Generated tokens the repetition penalty looks back on (llama-cpp-python's default)."""


@dataclass
class Decoded:
    """A greedy generation: its tokens, why it ended, and what it cost."""

    tokens: list[int]
    finish_reason: str
    evaluated_prompt: int
    passes: int


def prompt_lookup(
    sequence: Sequence[int], n_draft: int = DRAFT_TOKENS, min_ngram: int = 1
) -> list[int]:
    """The tokens that followed the latest earlier occurrence of ``sequence``'s last tokens.

    Tries a tail of ``NGRAM`` lengths (down to ``min_ngram``), longest first; empty when none
    occurs earlier.
    """
    seq = np.asarray(sequence, dtype=np.int64)
    size = len(seq)
    for n in (n for n in NGRAM if n >= min_ngram):
        if size <= n:
            continue
        tail = seq[size - n :]
        windows = np.lib.stride_tricks.sliding_window_view(seq[: size - 1], n)
        hits = np.flatnonzero((windows == tail).all(axis=1))
        if len(hits):
            start = int(hits[-1]) + n
            return seq[start : start + n_draft].tolist()
    return []


class _Chooser:
    """The greedy choice at one position: grammar mask, repetition penalty, highest logit."""

    def __init__(self, matcher: llguidance.LLMatcher | None, n_vocab: int, penalty: float):
        self.matcher = matcher
        self.n_vocab = n_vocab
        self.penalty = penalty
        self.bitmask = allocate_token_bitmask(1, n_vocab)

    def __call__(self, logits: np.ndarray, generated: Sequence[int]) -> int:
        scores = logits.astype(np.float32, copy=True)
        if self.matcher is not None:
            fill_next_token_bitmask(self.matcher, self.bitmask)
            allowed = np.unpackbits(self.bitmask.view(np.uint8), bitorder="little")
            scores[allowed[: len(scores)] == 0] = -np.inf
        if self.penalty != 1.0 and generated:
            seen = np.unique(np.asarray(generated[-PENALTY_WINDOW:], dtype=np.int64))
            values = scores[seen]
            scores[seen] = np.where(values <= 0, values * self.penalty, values / self.penalty)
        return int(np.argmax(scores))


def _decode(llama: llama_cpp.Llama, tokens: Sequence[int], first_row: int) -> np.ndarray:
    """Evaluate ``tokens`` after the context in one pass (or ``n_batch``-sized passes).

    Returns the logits of positions ``first_row`` .. the last (relative to ``tokens``).
    """
    rows: list[np.ndarray] = []
    n_vocab = llama.n_vocab()
    for start in range(0, len(tokens), llama.n_batch):
        batch = list(tokens[start : start + llama.n_batch])
        end = start + len(batch)
        wanted = end > first_row  # this pass holds rows we return
        n_past = llama.n_tokens
        llama._batch.set_batch(batch=batch, n_past=n_past, logits_all=wanted)
        if wanted and first_row > start:  # only the rows asked for
            for i in range(first_row - start):
                llama._batch.batch.logits[i] = False
        llama._ctx.decode(llama._batch)
        llama.input_ids[n_past : n_past + len(batch)] = batch
        llama.n_tokens = n_past + len(batch)
        if wanted:
            n_rows = end - max(first_row, start)
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_rows * n_vocab,))
            rows.append(logits.reshape(n_rows, n_vocab).copy())
    return np.concatenate(rows) if len(rows) > 1 else rows[0]


def greedy_decode(
    llama: llama_cpp.Llama,
    prompt: Sequence[int],
    *,
    matcher: llguidance.LLMatcher | None,
    max_tokens: int,
    end_tokens: Sequence[int],
    repeat_penalty: float = 1.0,
    n_draft: int = DRAFT_TOKENS,
) -> Decoded:
    """Greedily generate after ``prompt``, constrained by ``matcher`` (consumed as it goes).

    The context keeps what it shares with ``prompt`` (the rest is evaluated); on return it holds
    the prompt and the kept tokens. ``n_draft=0``: one token per pass.
    """
    prompt = list(prompt)
    held = min(common_prefix(llama.input_ids[: llama.n_tokens], prompt), len(prompt) - 1)
    llama._ctx.kv_cache_seq_rm(-1, held, -1)
    llama.n_tokens = held
    evaluated = len(prompt) - held
    logits = _decode(llama, prompt[held:], evaluated - 1)[-1]
    passes = 1
    choose = _Chooser(matcher, llama.n_vocab(), repeat_penalty)
    ends = set(end_tokens)
    out: list[int] = []

    def done() -> bool:
        return matcher is not None and matcher.is_stopped()

    while True:
        if len(out) >= max_tokens:
            return Decoded(out, "length", evaluated, passes)
        token = choose(logits, out)
        if token in ends:
            return Decoded(out, "stop", evaluated, passes)
        if matcher is not None:
            matcher.consume_token(token)
        out.append(token)
        if done() or len(out) >= max_tokens:
            return Decoded(out, "stop" if done() else "length", evaluated, passes)
        room = min(n_draft, max_tokens - len(out))
        draft = matcher.compute_ff_tokens()[:room] if matcher is not None else []
        if len(draft) < room and LOOKUP_TOKENS:
            lookup = min(room - len(draft), LOOKUP_TOKENS)
            draft += prompt_lookup(prompt + out + draft, lookup, LOOKUP_NGRAM)
        if draft and matcher is not None:
            draft = draft[: matcher.validate_tokens(draft)]
        base = llama.n_tokens
        rows = _decode(llama, [token, *draft], 0)
        passes += 1
        kept = 0
        while kept < len(draft) and not done():
            if choose(rows[kept], out) != draft[kept] or draft[kept] in ends:
                break
            if matcher is not None:
                matcher.consume_token(draft[kept])
            out.append(draft[kept])
            kept += 1
        keep = base + 1 + kept
        if keep < llama.n_tokens:  # the guesses the model did not make
            llama._ctx.kv_cache_seq_rm(-1, keep, -1)
            llama.n_tokens = keep
        if done():
            return Decoded(out, "stop", evaluated, passes)
        logits = rows[kept]
