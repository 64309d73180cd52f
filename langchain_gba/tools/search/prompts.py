"""The prompts of the search tools: one place, as data."""

from __future__ import annotations

__all__ = ["NO_INFORMATION", "SUMMARY_SYSTEM", "SUMMARY_USER"]

NO_INFORMATION = "No information found."
"""What a search tool answers when its sources say nothing about the task."""

SUMMARY_SYSTEM = (
    "You answer a task using only the numbered sources you are given. "
    "Write one or two short sentences that answer the task, with the facts and numbers it needs. "
    f"If the sources do not contain the answer, write exactly: {NO_INFORMATION}"
)

SUMMARY_USER = "Sources:\n\n{sources}\n\nTask: {task}\nAnswer:"
"""Formatted with ``sources`` (numbered, ``[1] Title\\ntext``) and ``task``."""
