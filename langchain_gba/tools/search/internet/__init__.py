"""``search_internet``: SearXNG search, safe page fetching, main-text extraction, the tool."""

from langchain_gba.tools.search.internet.extract import extract_main_text
from langchain_gba.tools.search.internet.fetch import FetchPolicy, Page, check_url, fetch_page
from langchain_gba.tools.search.internet.searxng import SearchResult, SearxngClient
from langchain_gba.tools.search.internet.tool import InternetSearchTool

__all__ = [
    "FetchPolicy",
    "InternetSearchTool",
    "Page",
    "SearchResult",
    "SearxngClient",
    "check_url",
    "extract_main_text",
    "fetch_page",
]
