"""Every prompt langchain-gba sends, in one place; agent, simulation and fine-tuning share them."""

from __future__ import annotations

__all__ = ["STRUCTURED_OUTPUT_INSTRUCTION", "STRUCTURED_OUTPUT_RETRY"]

# -- structured output on backends that cannot constrain decoding --------------------------------

STRUCTURED_OUTPUT_INSTRUCTION = (
    "Reply with only one JSON object, no other text, that matches this JSON schema:\n{schema}"
)
STRUCTURED_OUTPUT_RETRY = (
    "Your reply was rejected: {reason}\nReply again with only the corrected JSON object."
)
