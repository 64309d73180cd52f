"""Simulation throughput: trajectories per minute at concurrency 1, 2, 4, 8 on loopback servers.

    python bench/simulation.py [--requests 8] [--concurrency 1 2 4 8] [--servers 1 2]
    python bench/simulation.py --server cpp --slots 1 2 4 8 [--model qwen2.5-coder-1.5b-instruct]

The agent (zero-shot planner, simulated search twins and user, the real calculator) runs the
labelled requests of ``bench/data/requests.jsonl`` through ``simulation.runner.run_requests``
(the code behind ``python -m simulation run``) against ``python -m llama_cpp.server`` processes
serving the embedded SmolLM2-135M. Per configuration: wall time, trajectories per minute, the
ratio to concurrency 1 with the same servers, seconds per trajectory, bytes written per
trajectory (the JSONL record) and the statuses.

llama-cpp-python's server runs one request at a time (a global lock around its one model; it
has no ``--parallel`` slots, unlike llama.cpp's C++ ``llama-server``), and by default uses
``cpu_count // 2`` threads. More requests in flight against one server only overlap the
client's work with the server's; ``--servers 2`` runs two server processes and spreads the
trajectories over them (round robin), which is how this server scales.

``--server cpp`` runs llama.cpp's C++ ``llama-server`` instead (``scripts/build_llama_server.sh``
builds it) with ``--parallel N`` slots for each ``--slots`` value: the requests in flight are
decoded together (continuous batching), which is how one server uses a CPU's cores and memory
bandwidth for several requests at once.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the simulation package

from langchain_gba.server import LlamaServer  # noqa: E402
from langchain_gba.tools.registry import load_tools  # noqa: E402
from simulation.models import ModelSpec, chat_model, model_label  # noqa: E402
from simulation.records import read_jsonl  # noqa: E402
from simulation.runner import RunLabels, build_agent, make_planner, run_requests  # noqa: E402

DATA = Path(__file__).parent / "data" / "requests.jsonl"
console = Console(width=150)


class RoundRobin:
    """One agent per server; each trajectory goes to the next one."""

    def __init__(self, agents: list[Any]) -> None:
        self._agents = itertools.cycle(agents)

    async def ainvoke(self, input: Any, config: Any = None, **kw: Any) -> Any:
        return await next(self._agents).ainvoke(input, config, **kw)


def make_agent(base_url: str, args: argparse.Namespace) -> tuple[Any, RunLabels]:
    planner_llm = chat_model(ModelSpec(base_url=base_url, max_tokens=args.planner_max_tokens))
    tool_llm = chat_model(ModelSpec(base_url=base_url, max_tokens=args.tool_max_tokens))
    agent = build_agent(
        make_planner("zero-shot", planner_llm, max_length=args.max_length),
        tool_llm,
        load_tools(["calculator", "wikipedia", "internet"], llm=tool_llm),
        max_steps=args.max_steps,
        observation_length=args.observation_length,
    )
    labels = RunLabels("zero-shot", model_label(planner_llm), model_label(tool_llm), args.max_steps)
    return agent, labels


async def measure(
    urls: list[str],
    requests: list[dict[str, Any]],
    concurrency: int,
    args: argparse.Namespace,
    slots: int = 1,
) -> dict[str, Any]:
    built = [make_agent(url, args) for url in urls]  # fresh clients for this event loop
    agent, labels = RoundRobin([a for a, _ in built]), built[0][1]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.jsonl"
        t0 = time.perf_counter()
        await run_requests(requests, out, agent, labels, concurrency=concurrency)
        wall = time.perf_counter() - t0
        records = read_jsonl(out)
        size = out.stat().st_size
    return {
        "server": args.server,
        "servers": len(urls),
        "slots": slots,
        "concurrency": concurrency,
        "trajectories": len(records),
        "wall_s": round(wall, 2),
        "per_minute": round(60 * len(records) / wall, 2),
        "s_per_trajectory": round(statistics.mean(r["seconds"] for r in records), 2),
        "bytes_per_trajectory": round(size / len(records)),
        "steps_per_trajectory": round(statistics.mean(len(r["steps"]) for r in records), 2),
        "statuses": dict(Counter(r["status"] for r in records)),
        "errors": dict(Counter(str(r["error"])[:120] for r in records if r["error"])),
    }


async def measure_all(
    urls: list[str],
    requests: list[dict[str, Any]],
    args: argparse.Namespace,
    rows: list[Any],
    slots: int = 1,
) -> None:
    for n_servers in args.servers:
        # warm up every server (its first request pays for loading and caches)
        await measure(urls[:n_servers], requests[:n_servers], n_servers, args)
        for c in args.concurrency:
            console.print(f"[dim]{n_servers} server(s), {slots} slot(s), concurrency {c} ...[/]")
            rows.append(await measure(urls[:n_servers], requests, c, args, slots))


async def measure_slots(requests: list[dict[str, Any]], args: argparse.Namespace) -> list[Any]:
    """One llama-server per slot count, restarted between them, in this one event loop."""
    rows: list[Any] = []
    for slots in args.slots:
        server = LlamaServer(
            args.model, n_ctx=4096, binary="llama-server", parallel=slots, extra_args=args.extra
        )
        with server:
            await measure_all([server.base_url], requests, args, rows, slots)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=8, help="requests per configuration")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--servers", type=int, nargs="+", default=[1], help="server processes")
    parser.add_argument("--server-threads", type=int, default=None, help="threads per server")
    parser.add_argument(
        "--server", choices=["py", "cpp"], default="py",
        help="py: python -m llama_cpp.server; cpp: llama.cpp's llama-server with --slots",
    )  # fmt: skip
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 4], help="cpp: --parallel")
    parser.add_argument("--model", default="smollm2-135m-instruct", help="the served model")
    parser.add_argument("--max-steps", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=60, help="planner field characters")
    parser.add_argument("--observation-length", type=int, default=80)
    parser.add_argument("--planner-max-tokens", type=int, default=192)
    parser.add_argument("--tool-max-tokens", type=int, default=96)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    requests = read_jsonl(DATA)[: args.requests]
    threads_flag = "--n_threads" if args.server == "py" else "--threads"
    args.extra = [threads_flag, str(args.server_threads)] if args.server_threads else []
    rows: list[dict[str, Any]] = []
    if args.server == "cpp":
        args.servers = [1]
        rows = asyncio.run(measure_slots(requests, args))
    else:
        with ExitStack() as stack:
            servers = [
                stack.enter_context(LlamaServer(args.model, n_ctx=4096, extra_args=args.extra))
                for _ in range(max(args.servers))
            ]
            # One event loop for every configuration: langchain-openai caches its async HTTP
            # clients per process, and a client used on a loop that asyncio.run closed fails
            # ("Event loop is closed") on its next request.
            asyncio.run(measure_all([s.base_url for s in servers], requests, args, rows))
    lowest = min(args.concurrency)
    key = "slots" if args.server == "cpp" else "servers"
    base = {r[key]: r["per_minute"] for r in rows if r["concurrency"] == lowest}
    one = next((r["per_minute"] for r in rows if r[key] == 1 and r["concurrency"] == 1), None)
    table = Table(title=f"Simulation throughput, {len(requests)} requests per row")
    for col in (key, "concurrency", "traj/min", "× conc. 1", f"× 1 {key[:-1]}", "s/traj",
                "bytes/traj", "steps/traj", "statuses"):  # fmt: skip
        table.add_column(col, justify="right")
    for r in rows:
        r["ratio"] = round(r["per_minute"] / base[r[key]], 2)
        r["ratio_one_server"] = round(r["per_minute"] / one, 2) if one else None
        table.add_row(
            str(r[key]), str(r["concurrency"]), f"{r['per_minute']:.2f}", f"{r['ratio']:.2f}",
            "-" if r["ratio_one_server"] is None else f"{r['ratio_one_server']:.2f}",
            f"{r['s_per_trajectory']:.1f}", str(r["bytes_per_trajectory"]),
            f"{r['steps_per_trajectory']:.1f}",
            " ".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items())),
        )  # fmt: skip
    console.print(table)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    server = "llama-cpp-python server" if args.server == "py" else "llama.cpp llama-server"
    console.print(f"[dim]{machine}; {server}, {args.model}[/]")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine, "settings": {k: str(v) for k, v in vars(args).items()},
              "rows": rows}  # fmt: skip
    name = "simulation.json" if args.server == "py" else f"simulation-cpp-{args.model}.json"
    (args.out / name).write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"[dim]raw results: {args.out / name}[/]")


if __name__ == "__main__":
    main()
