"""How likely a chat model's reply starts with each of a few choices (``Yes``/``No``).

A constrained choice is greedy: a small model that leans to "Yes" always says "Yes", even where it
is unsure. Its probability is the evidence: the function-calling decision calls a function only
when the model's probability that the function does the task clears a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage

from langchain_gba.structured.route import structured_model

__all__ = ["YES_NO", "choice_probabilities", "normalized"]

YES_NO = ("Yes", "No")
"""The choices of a yes/no question; the probability of the first is the evidence."""


def normalized(logprobs: Mapping[str, float], choices: Sequence[str]) -> dict[str, float]:
    """Probabilities of ``choices``, renormalized to sum to 1 (a missing choice counts 0)."""
    finite = [logprobs[c] for c in choices if c in logprobs and math.isfinite(logprobs[c])]
    if not finite:
        return {c: 1.0 / len(choices) for c in choices}
    top = max(finite)
    weights = {c: math.exp(logprobs[c] - top) if c in logprobs else 0.0 for c in choices}
    total = sum(weights.values())
    return {c: w / total for c, w in weights.items()}


def choice_probabilities(
    model: BaseChatModel, messages: LanguageModelInput, choices: Sequence[str]
) -> dict[str, float]:
    """The probability of each choice as the first token of ``model``'s reply to ``messages``.

    - langchain-gba's ``ChatLlamaCpp``: the logits of the next token, one forward pass;
    - models with OpenAI-style ``logprobs`` (``ChatOpenAI``, ``ChatLlamaServer``, vLLM): the
      first token's ``top_logprobs``;
    - any other chat model: its constrained (or structured) greedy choice, probability 1 or 0.
    """
    from langchain_gba.chat_models import ChatLlamaCpp

    if not choices:
        raise ValueError("choice_probabilities needs at least one choice")
    if isinstance(model, ChatLlamaCpp):
        return normalized(model.first_token_logprobs(_messages(model, messages), choices), choices)
    if "logprobs" in type(model).model_fields:
        reply = model.bind(logprobs=True, top_logprobs=20, max_tokens=1).invoke(messages)
        content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
        if content:
            top = {t["token"].strip(): t["logprob"] for t in content[0].get("top_logprobs", [])}
            return normalized(top, choices)
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string", "enum": list(choices)}},
        "required": ["answer"],
    }
    answer = structured_model(model, schema).invoke(messages)["answer"]
    return {c: float(c == answer) for c in choices}


def _messages(model: BaseChatModel, messages: LanguageModelInput) -> list[BaseMessage]:
    return model._convert_input(messages).to_messages()  # noqa: SLF001 - LangChain's own parsing
