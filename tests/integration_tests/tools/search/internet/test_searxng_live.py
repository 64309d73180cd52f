"""Against a real SearXNG instance: runs only when GBA_SEARXNG_URL is set."""

from __future__ import annotations

import os

import pytest

from langchain_gba.tools.search import InternetSearchTool
from langchain_gba.tools.search.internet import SearxngClient

URL = os.environ.get("GBA_SEARXNG_URL")
pytestmark = pytest.mark.skipif(not URL, reason="set GBA_SEARXNG_URL to a SearXNG instance")


async def test_real_instance_returns_results() -> None:
    results = await SearxngClient(URL or "", language="en").asearch("Lisbon Portugal capital")
    assert results and all(r.url.startswith(("http://", "https://")) for r in results)


async def test_real_search_end_to_end(llm) -> None:  # type: ignore[no-untyped-def]
    tool = InternetSearchTool(searxng_url=URL or "", llm=llm, language="en")
    findings = await tool.gather("What is the capital of Portugal?")
    assert findings.sources
    observation = await tool.ainvoke({"task": "What is the capital of Portugal?"})
    assert "Sources:" in observation or observation.startswith("No information found")
