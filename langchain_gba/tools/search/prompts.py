"""The search tools' prompts; they live in :mod:`langchain_gba.prompts` with all the others."""

from __future__ import annotations

from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.prompts import SEARCH_SUMMARY_SYSTEM as SUMMARY_SYSTEM
from langchain_gba.prompts import SEARCH_SUMMARY_USER as SUMMARY_USER

__all__ = ["NO_INFORMATION", "SUMMARY_SYSTEM", "SUMMARY_USER"]
