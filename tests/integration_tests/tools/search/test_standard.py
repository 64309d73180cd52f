"""LangChain's standard tool suites, written by others, judge both search tools."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_gba.tools.search import InternetSearchTool, WikipediaSearchTool

TASK = {"task": "Find out who painted the Mona Lisa."}


class TestWikipediaSearchToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[WikipediaSearchTool]:
        return WikipediaSearchTool

    @property
    def tool_invoke_params_example(self) -> dict:
        return TASK


class TestWikipediaSearchToolIntegration(ToolsIntegrationTests):
    params: dict[str, Any] = {}

    @pytest.fixture(autouse=True)
    def _real_index_and_model(self, small_index, llm) -> None:  # type: ignore[no-untyped-def]
        type(self).params = {"index": small_index, "llm": llm}

    @property
    def tool_constructor(self) -> type[WikipediaSearchTool]:
        return WikipediaSearchTool

    @property
    def tool_constructor_params(self) -> dict:
        return self.params

    @property
    def tool_invoke_params_example(self) -> dict:
        return TASK


class TestInternetSearchToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[InternetSearchTool]:
        return InternetSearchTool

    @property
    def tool_constructor_params(self) -> dict:
        return {"searxng_url": "http://127.0.0.1:9"}

    @property
    def tool_invoke_params_example(self) -> dict:
        return TASK


class TestInternetSearchToolIntegration(ToolsIntegrationTests):
    """No SearXNG listens on port 9: the tool must still answer with an observation."""

    @property
    def tool_constructor(self) -> type[InternetSearchTool]:
        return InternetSearchTool

    @property
    def tool_constructor_params(self) -> dict:
        return {"searxng_url": "http://127.0.0.1:9"}

    @property
    def tool_invoke_params_example(self) -> dict:
        return TASK
