from __future__ import annotations

import pytest
from langchain_core.tools import BaseTool, ToolException

from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.tools.base import TaskWithRequestInput, reads_request, takes_task
from langchain_gba.tools.search import InternetSearchTool
from langchain_gba.tools.search.exceptions import SearxngError


@pytest.fixture
def tool(site, llm, embedder) -> InternetSearchTool:  # type: ignore[no-untyped-def]
    return InternetSearchTool(
        searxng_url=site.base,
        allowed_networks=["127.0.0.0/8"],
        llm=llm,
        embedder=embedder,
        fetch_timeout=2.0,
        max_bytes=100_000,
    )


def page(site, path: str, title: str, content: str = "") -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"url": f"{site.base}{path}", "title": title, "content": content, "engine": "test"}


def test_is_a_task_taking_tool(tool: InternetSearchTool) -> None:
    assert isinstance(tool, BaseTool) and tool.name == "search_internet"
    assert tool.args_schema is TaskWithRequestInput and takes_task(tool) and reads_request(tool)


async def test_gathers_main_text_and_names_what_failed(tool, site, results) -> None:  # type: ignore[no-untyped-def]
    results.extend(
        [
            page(site, "/page/lisbon", "Lisbon - City guide"),
            {"url": "file:///etc/passwd", "title": "local file"},
            {"url": "http://169.254.169.254/latest/meta-data/", "title": "metadata"},
            page(site, "/redirect/private", "redirects inside"),
            page(site, "/page/big-streamed", "huge"),
            page(site, "/page/porto", "Porto"),
        ]
    )
    findings = await tool.gather("What is the population of Lisbon?")
    assert [s.title for s in findings.sources] == ["Lisbon - City guide", "Porto"]
    lisbon = findings.sources[0].text
    assert "567,131" in lisbon and "Cookie" not in lisbon
    assert len(lisbon) <= tool.max_chars_per_source
    skipped = "\n".join(findings.skipped)
    assert "file:///etc/passwd: Refused" in skipped
    assert "169.254.169.254" in skipped and "10.0.0.1" in skipped
    assert "larger than the 100,000 bytes allowed" in skipped
    assert site.queries[0]["q"] == ["What is the population of Lisbon?"]


def test_paragraphs_most_similar_to_the_task_are_kept(tool, site, results) -> None:  # type: ignore[no-untyped-def]
    tool.max_chars_per_source = 300
    text = _lisbon_text(tool, site)
    best = tool._best_paragraphs("Which tram climbs the old quarters?", text)
    assert "tram 28" in best and "earthquake" not in best


def _lisbon_text(tool, site) -> str:  # type: ignore[no-untyped-def]
    import asyncio

    from langchain_gba.tools.search.internet import extract_main_text, fetch_page

    page = asyncio.run(fetch_page(f"{site.base}/page/lisbon", policy=tool.policy))
    return extract_main_text(page)


def test_end_to_end_sync_with_the_embedded_model(tool, site, results) -> None:  # type: ignore[no-untyped-def]
    results.extend([page(site, "/page/lisbon", "Lisbon"), page(site, "/page/missing", "Gone")])
    observation = tool.invoke({"task": "Find the population of Lisbon."})
    assert "Skipped:" in observation and "HTTP 404" in observation
    if not observation.startswith(NO_INFORMATION):
        assert f"[1] Lisbon <{site.base}/page/lisbon>" in observation


async def test_end_to_end_async_with_snippet_fallback(tool, site, results) -> None:  # type: ignore[no-untyped-def]
    results.extend(
        [
            page(site, "/page/binary", "Porto facts", "Porto is famous for port wine."),
            page(site, "/page/missing", "Porto wine", "Port wine is aged in Vila Nova de Gaia."),
        ]
    )
    findings = await tool.gather("What is Porto famous for?")
    assert [s.text for s in findings.sources] == [
        "Porto is famous for port wine.",
        "Port wine is aged in Vila Nova de Gaia.",
    ]
    observation = await tool.ainvoke({"task": "What is Porto famous for?"})
    assert "not a web page" in observation and "HTTP 404" in observation


async def test_a_search_engine_that_fails_is_a_tool_error(tool, site, results) -> None:  # type: ignore[no-untyped-def]
    down = tool.model_copy(update={"searxng_url": "http://127.0.0.1:9"})
    observation = await down.ainvoke({"task": "anything"})  # handled: the message is the result
    assert observation.startswith("SearXNG at http://127.0.0.1:9 failed: ConnectError")
    raising = down.model_copy(update={"handle_tool_error": False})
    with pytest.raises(SearxngError, match="^SearXNG at http://127.0.0.1:9 failed: ConnectError"):
        await raising.ainvoke({"task": "anything"})
    with pytest.raises(ToolException, match="^SearXNG at"):
        raising.invoke({"task": "anything"})
    # no results at all
    assert tool.invoke({"task": "nothing matches"}) == NO_INFORMATION
