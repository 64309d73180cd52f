"""Replay the search's attribution check on recorded search steps, without a model.

For each distinct recorded search step whose task asks for a number (or serves a request that
does), the bundled index retrieves the task's passages again and ``measures.misattributed``
decides whether the recorded summary gives way. Prints where it fires, before and after.

    python bench/replay_attribution.py bench/results/s*/agents*.json --out FILE
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.tools.search.measures import asks_number, misattributed
from langchain_gba.tools.search.summarize import finding
from langchain_gba.tools.search.wikipedia.tool import WikipediaSearchTool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="bench/agents.py JSON results")
    parser.add_argument("--out", type=Path, default=None, help="write every replayed step here")
    args = parser.parse_args()
    tool = WikipediaSearchTool()
    embed = tool.get_index().embedder.encode
    seen: dict[tuple[str, str], tuple[str, str | None]] = {}
    for path in args.results:
        data = json.loads(path.read_text())
        for record in data["records"]:
            for agent in data["agents"]:
                run = record.get(agent) or {}
                for step in run.get("trajectory") or []:
                    if step.get("tool") != "search_wikipedia" or step.get("error"):
                        continue
                    task = (step.get("arguments") or {}).get("task", step.get("task", ""))
                    found = finding(str(step.get("observation", "")))
                    if found.startswith((NO_INFORMATION, "Not done again")):
                        continue
                    if (task, found) in seen or not asks_number(task, record["request"]):
                        continue
                    sources = tool.retrieve(task, request=record["request"])
                    seen[task, found] = (record["id"], misattributed(task, found, sources, embed))
    fired = [(key, value) for key, value in seen.items() if value[1] is not None]
    print(f"{len(seen)} distinct search steps that ask for a number; it fires on {len(fired)}")
    for (task, found), (request_id, now) in fired:
        print(f"\n[{request_id}] {task}\n  summary: {found}\n  now: {now}")
    if args.out is not None:
        rows = [
            {"id": rid, "task": task, "summary": found, "now": now}
            for (task, found), (rid, now) in seen.items()
        ]
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
