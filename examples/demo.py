"""`make demo`: the agent answers a real question with the embedded model and local Wikipedia.

The first run builds the Wikipedia index of the 10,033 bundled articles (a few minutes, once);
later runs load it in about a second.
"""

from __future__ import annotations

import sys

from langchain_gba.cli import app

QUESTION = "Who wrote the novel Nineteen Eighty-Four, and in which year was it published?"

if __name__ == "__main__":
    question = " ".join(sys.argv[1:]) or QUESTION
    args = ["ask", "--tools", "wikipedia,calculator", "--max-steps", "4", "--no-ask-user"]
    # the exit code says whether the agent answered; the demo itself succeeded either way
    app([*args, question], standalone_mode=False)
