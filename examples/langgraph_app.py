"""The agent as a LangGraph app: ``langgraph dev`` serves ``agent`` (see ../langgraph.json).

The LangGraph server supplies the checkpointer, so ``ask_user`` interrupts work in LangGraph
Studio. Set ``GBA_MODEL`` to another embedded model or a GGUF path, ``GBA_TOOLS`` to a comma list
of calculator, wikipedia, internet (``GBA_SEARXNG_URL`` for internet).
"""

from __future__ import annotations

import os

from langchain_gba import ChatLlamaCpp, ZeroShotPlanner, create_gba_agent
from langchain_gba.models import DEFAULT_MODEL
from langchain_gba.tools.registry import load_tools

model = os.environ.get("GBA_MODEL", DEFAULT_MODEL)
llm = ChatLlamaCpp(model=model, max_tokens=256)
agent = create_gba_agent(
    load_tools(os.environ.get("GBA_TOOLS", "wikipedia,calculator").split(","), llm=llm),
    planner=ZeroShotPlanner(llm),
    function_calling_model=llm,
    max_steps=int(os.environ.get("GBA_MAX_STEPS", "10")),
)
