"""JSON schema → llguidance grammar, compiled once per (schema, tokenizer), matched many times.

The staging follows llguidance/xgrammar: a tokenizer is prepared once per model (about a second),
a schema is compiled into a prototype matcher once and cached, and every generation gets a cheap
``deep_copy`` of that prototype that consumes tokens and fills a token bitmask. Applying the mask
to logits is the backend's job (see ``chat_models/_constraint.py``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import llguidance

from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.structured.schema import bound_numbers, schema_key

__all__ = ["COMPILE_OPTIONS", "GrammarCompiler", "grammar_from_json_schema"]

COMPILE_OPTIONS: dict[str, Any] = {
    # Compact, deterministic layout: no free whitespace for a small model to loop on. The
    # separators match ``json.dumps`` defaults, the format fine-tuning targets are written in.
    "whitespace_flexible": False,
    "item_separator": ", ",
    "key_separator": ": ",
}


def grammar_from_json_schema(json_schema: Mapping[str, Any]) -> str:
    """Return the llguidance grammar for a JSON schema (not yet checked against a tokenizer).

    Numbers without bounds get 16-digit ones (``bound_numbers``): llguidance, unlike llama.cpp's
    converter, lets a number's digits run on until ``max_tokens``.
    """
    try:
        return llguidance.LLMatcher.grammar_from_json_schema(
            json.dumps(bound_numbers(json_schema)),
            defaults=COMPILE_OPTIONS,  # type: ignore[arg-type]
        )
    except ValueError as e:
        raise UnsupportedSchemaError(f"Invalid JSON schema: {e}") from e


class GrammarCompiler:
    """Compiles JSON schemas for one tokenizer and caches the compiled matchers (LRU)."""

    def __init__(self, tokenizer: llguidance.LLTokenizer, *, max_cached: int = 256) -> None:
        self.tokenizer = tokenizer
        self._cache: OrderedDict[str, llguidance.LLMatcher] = OrderedDict()
        self._max_cached = max_cached
        self._lock = threading.Lock()

    def compile(self, json_schema: Mapping[str, Any]) -> llguidance.LLMatcher:
        """Return a compiled prototype matcher for ``json_schema`` (cached).

        Raises:
            UnsupportedSchemaError: naming the construct llguidance cannot compile.
        """
        key = schema_key(json_schema)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        grammar = grammar_from_json_schema(json_schema)
        is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(
            grammar, self.tokenizer
        )
        if is_error:
            raise UnsupportedSchemaError(_compile_error(messages[0]))
        matcher = llguidance.LLMatcher(self.tokenizer, grammar, log_level=0)
        if matcher.is_error():
            raise UnsupportedSchemaError(_compile_error(matcher.get_error()))
        with self._lock:
            self._cache[key] = matcher
            while len(self._cache) > self._max_cached:
                self._cache.popitem(last=False)
        return matcher

    def matcher(self, json_schema: Mapping[str, Any]) -> llguidance.LLMatcher:
        """Return a fresh matcher for one generation."""
        return self.compile(json_schema).deep_copy()

    def cache_clear(self) -> None:
        """Forget every compiled schema."""
        with self._lock:
            self._cache.clear()


def _compile_error(detail: str, limit: int = 300) -> str:
    """A short message: llguidance errors can quote a whole generated regex."""
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    reason = next((line for line in reversed(lines) if line.startswith("error:")), None)
    head = lines[0] if lines else detail
    text = head if reason is None else f"{head[:limit]} ... {reason}"
    if len(text) > 2 * limit:
        text = text[: 2 * limit] + " ..."
    return f"The JSON schema cannot be compiled to a grammar: {text}"
