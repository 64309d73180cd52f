"""The assistant (``assistant.py``) as a LangGraph app: ``langgraph dev`` serves ``agent``.

The server supplies the checkpointer, so the approval interrupts pause and resume through its
API (or LangGraph Studio). ``GBA_ASSISTANT_DATA``: the folder of ``calendar.db`` and ``outbox/``
(default ``assistant-data``); ``GBA_MODEL``: another embedded model or a GGUF path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from assistant import build_assistant  # noqa: E402

from langchain_gba.models import DEFAULT_MODEL  # noqa: E402

agent = build_assistant(
    os.environ.get("GBA_ASSISTANT_DATA", "assistant-data"),
    os.environ.get("GBA_MODEL", DEFAULT_MODEL),
    checkpointer=None,
)
