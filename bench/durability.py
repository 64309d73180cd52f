"""Durability: threads on one Postgres database survive a worker killed with SIGKILL mid-run.

    python bench/durability.py [--threads 20] [--workers 2] [--concurrency 3] [--kill-after 4]

1. A throwaway PostgreSQL cluster (``tests/postgres_cluster.py``), ``PostgresSaver.setup()``.
2. The agent: ``lookup_order`` (a read-only task tool that takes ``--lookup-seconds``) and
   ``send_email`` (``examples/assistant.py``'s: one ``<call id>.eml`` per call, created with an
   atomic ``link``) behind approval (``interrupt_on``). The embedded SmolLM2-135M writes both
   tools' arguments (function calling) and the answer; the planner is deterministic (lookup,
   email, answer, read off the steps so far), so every thread has the same three steps.
3. ``--workers`` processes split the threads (``--concurrency`` at a time each) and approve
   every email (``Command(resume={"type": "approve"})``). Worker 0 is killed with SIGKILL as
   soon as its ``--kill-after``-th email has taken effect, while that ``send_email`` is still
   in its tool node (it waits ``--ack-seconds`` after the file is linked, as for a mail server's
   reply), so that node's result is never checkpointed; its other threads are mid-run too.
4. A fresh process reads every thread's state from the database and finishes it: a thread
   never started gets its request, one waiting for approval is approved, one stopped between
   nodes is resumed with ``invoke(None)``.
5. Counts from the tools' append-only log (one JSON line per event, with the thread and the
   call id), the outbox and the final states: threads completed, steps lost (a tool that
   returned, an email that was sent or an approval that was given, whose call is not a step of
   the thread's final state), steps run twice (a call id executed twice; for ``send_email``
   emails per call id and per thread, and the retries its idempotency key absorbed).

Writes ``bench/results/durability.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import InjectedToolCallId

ROOT = Path(__file__).resolve().parent.parent
MODEL = "smollm2-135m-instruct"
CALL_RE = re.compile(r"\[(call_[0-9a-f]+)\]")
STATUSES = ("shipped", "packed", "delivered", "delayed by a day")


def _load(name: str, path: Path) -> Any:
    """A module from a file (the tests' Postgres helper, the assistant example)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def thread_ids(n: int) -> list[str]:
    return [f"durability-{i:02d}" for i in range(n)]


def request_of(thread: str) -> str:
    i = int(thread.rsplit("-", 1)[1])
    return f"Check the status of order {1000 + 7 * i} and email customer{i}@example.org about it."


# -- the event log ----------------------------------------------------------------------------


class EventLog:
    """Append-only JSON lines, one ``write`` each (``O_APPEND``): what survives a SIGKILL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __call__(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "pid": os.getpid(), "t": time.time(), **fields})
        os.write(self.fd, (line + "\n").encode())


def read_log(path: Path) -> list[dict[str, Any]]:
    events = []
    if path.exists():
        for line in path.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line cut by the kill
                events.append(json.loads(line))
    return events


# -- the agent --------------------------------------------------------------------------------


def build_agent(checkpointer: Any, workdir: Path, log: EventLog, args: argparse.Namespace) -> Any:
    """The agent both workers and the resuming process build (the same tools and planner)."""
    from langchain_core.language_models import FakeListChatModel
    from langchain_core.tools import StructuredTool
    from pydantic import BaseModel, Field

    from langchain_gba import ChatLlamaCpp, create_gba_agent
    from langchain_gba.planner import Planner

    assistant = _load("assistant_example", ROOT / "examples" / "assistant.py")
    emails = assistant.email_tool(workdir / "outbox")

    def thread_of(config: RunnableConfig | None) -> str:
        return str(((config or {}).get("configurable") or {}).get("thread_id", "?"))

    class LookupArgs(BaseModel):
        """An order to look up."""

        order_id: int = Field(ge=1, le=999999, description="The order number, e.g. 1234.")

    def lookup_order(
        order_id: int, tool_call_id: Annotated[str, InjectedToolCallId], config: RunnableConfig
    ) -> str:
        thread = thread_of(config)
        log("tool_start", tool="lookup_order", thread=thread, call=tool_call_id)
        time.sleep(args.lookup_seconds)  # a slow back end; a kill here re-runs the lookup
        log("tool_done", tool="lookup_order", thread=thread, call=tool_call_id)
        return f"Order {order_id} is {STATUSES[order_id % len(STATUSES)]}. [{tool_call_id}]"

    def send_email(
        recipient: str,
        subject: str,
        body: str,
        tool_call_id: Annotated[str, InjectedToolCallId],
        config: RunnableConfig,
    ) -> str:
        thread = thread_of(config)
        log("tool_start", tool="send_email", thread=thread, call=tool_call_id)
        text = emails.func(recipient, subject, body, tool_call_id=tool_call_id)
        sent = "already sent" not in text
        log("effect" if sent else "absorbed", tool="send_email", thread=thread, call=tool_call_id)
        time.sleep(args.ack_seconds)  # the mail server's reply: the kill lands here
        log("tool_done", tool="send_email", thread=thread, call=tool_call_id)
        return f"{text} [{tool_call_id}]"

    tools = [
        StructuredTool.from_function(
            lookup_order,
            name="lookup_order",
            description="Look up an order's status by its order number.",
            args_schema=assistant._with_call_id(LookupArgs),
        ),
        StructuredTool.from_function(
            send_email,
            name="send_email",
            description=emails.description,
            args_schema=emails.args_schema,
            handle_tool_error=True,
        ),
    ]

    class ScriptedPlanner(Planner):
        """Deterministic steps read off the trajectory: lookup_order, send_email, final_answer."""

        def messages(self, request: str, steps: Any, tools: Any) -> list[tuple[str, str]]:
            return []

        def plan(self, request: str, steps: Any, tools: Any, config: Any = None) -> Any:
            log("plan", thread=thread_of(config), index=len(steps))
            order, email = re.search(r"order (\d+) and email (\S+@\S+?) ", request).groups()  # type: ignore[union-attr]
            ok = {s["tool"]: s for s in steps if not s["error"]}
            tries = Counter(s["tool"] for s in steps)  # a failed step is tried once more
            if "lookup_order" not in ok and tries["lookup_order"] < 2:
                tool, task = "lookup_order", f"Look up order {order}."
            elif "send_email" not in ok and tries["send_email"] < 2:
                found = ok.get("lookup_order", {}).get("observation", "Its status is unknown.")
                status = CALL_RE.sub("", found).strip()
                tool = "send_email"
                task = f"Send an email to {email} with subject 'Order {order}' and body '{status}'"
            else:
                tool, task = "final_answer", "Tell the user the order's status and the email."
            return self.step_model(tools)(thoughts="Next.", selected_tool=tool, task=task)

        async def aplan(self, request: str, steps: Any, tools: Any, config: Any = None) -> Any:
            return self.plan(request, steps, tools, config)

    llm = ChatLlamaCpp(model=MODEL, max_tokens=args.max_tokens)
    return create_gba_agent(
        tools,
        planner=ScriptedPlanner(FakeListChatModel(responses=["unused"]), own_context=False),
        function_calling_model=llm,
        max_steps=6,
        ask_user=False,
        checkpointer=checkpointer,
        interrupt_on={"send_email": True},
    )


def finish(agent: Any, thread: str, log: EventLog, durability: str, first: Any) -> dict[str, Any]:
    """Run a thread to its end from ``first`` (its request, ``None`` or a resume), approving."""
    from langgraph.types import Command

    config = {"configurable": {"thread_id": thread}}
    state = agent.invoke(first, config, durability=durability)
    while state.get("__interrupt__"):
        value = state["__interrupt__"][0].value
        log("approved", thread=thread, call=value.get("call_id"), tool=value.get("tool"))
        state = agent.invoke(Command(resume={"type": "approve"}), config, durability=durability)
    log("thread_done", thread=thread, status=state.get("status"))
    return state


@contextlib.contextmanager
def saver(url: str) -> Iterator[Any]:
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(url) as checkpointer:
        yield checkpointer


# -- roles: worker, resumer --------------------------------------------------------------------


def run_worker(args: argparse.Namespace) -> None:
    workdir = Path(args.workdir)
    log = EventLog(workdir / "events.jsonl")
    with saver(args.db) as checkpointer:
        agent = build_agent(checkpointer, workdir, log, args)
        log("worker_ready", worker=args.worker)

        def one(thread: str) -> None:
            finish(agent, thread, log, args.durability, {"request": request_of(thread)})

        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(one, args.thread_ids.split(",")))


def run_resumer(args: argparse.Namespace) -> None:
    """A fresh process: inspect every thread, finish those that are not, dump the final states."""
    from langgraph.types import Command

    workdir = Path(args.workdir)
    log = EventLog(workdir / "events.jsonl")
    report: dict[str, Any] = {"before": {}, "after": {}}
    lock = threading.Lock()
    with saver(args.db) as checkpointer:
        agent = build_agent(checkpointer, workdir, log, args)

        def one(thread: str) -> None:
            config = {"configurable": {"thread_id": thread}}
            snap = agent.get_state(config)
            waiting = [i for task in snap.tasks for i in task.interrupts]
            if not snap.values:
                kind, first = "not started", {"request": request_of(thread)}
            elif not snap.next:
                kind, first = f"finished ({snap.values.get('status')})", None
            elif waiting:
                kind = "waiting for approval"
                log("approved", thread=thread, call=waiting[0].value.get("call_id"), resumer=True)
                first = Command(resume={"type": "approve"})
            else:
                kind, first = f"stopped before {'+'.join(snap.next)}", None
            with lock:
                report["before"][thread] = {
                    "situation": kind,
                    "steps": len(snap.values.get("steps", [])),
                }
            if kind.startswith("finished"):
                return
            finish(agent, thread, log, args.durability, first)

        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(one, args.thread_ids.split(",")))
        report["resume_seconds"] = time.perf_counter() - start
        for thread in args.thread_ids.split(","):
            config = {"configurable": {"thread_id": thread}}
            values = agent.get_state(config).values
            report["after"][thread] = {
                "status": values.get("status"),
                "answer": values.get("answer"),
                "checkpoints": len(list(agent.get_state_history(config))),
                "steps": [
                    {
                        "tool": s["tool"],
                        "arguments": s["arguments"],
                        "observation": s["observation"],
                        "error": s["error"],
                        "call": (CALL_RE.findall(s["observation"]) or [None])[-1],
                    }
                    for s in values.get("steps", [])
                ],
            }
    (workdir / "resume.json").write_text(json.dumps(report, indent=1))


# -- the driver --------------------------------------------------------------------------------


def child(role: str, args: argparse.Namespace, workdir: Path, db: str, **extra: Any) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--role", role]
    command += ["--workdir", str(workdir), "--db", db, "--durability", args.durability]
    command += ["--concurrency", str(args.concurrency), "--max-tokens", str(args.max_tokens)]
    command += ["--lookup-seconds", str(args.lookup_seconds)]
    command += ["--ack-seconds", str(args.ack_seconds)]
    for key, value in extra.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    return command


def drive(args: argparse.Namespace) -> dict[str, Any]:
    cluster = _load("postgres_cluster", ROOT / "tests" / "postgres_cluster.py")
    threads = thread_ids(args.threads)
    shares = [threads[w :: args.workers] for w in range(args.workers)]
    timings: dict[str, float] = {}
    kill: dict[str, Any] = {"killed": False}
    with cluster.postgres_cluster() as db, tempfile.TemporaryDirectory(prefix="gba-dur-") as tmp:
        workdir = Path(tmp)
        with saver(db) as checkpointer:
            checkpointer.setup()
        log_path = workdir / "events.jsonl"
        start = time.perf_counter()
        workers = [
            subprocess.Popen(
                child("worker", args, workdir, db, worker=w, thread_ids=",".join(share))
            )
            for w, share in enumerate(shares)
        ]
        victim = workers[0]
        pids = [w.pid for w in workers]
        print(f"workers {pids}; worker 0 is killed after its email #{args.kill_after}", flush=True)
        while any(w.poll() is None for w in workers):
            time.sleep(0.05)
            if args.kill_after <= 0 or kill["killed"] or victim.poll() is not None:
                continue
            events = [e for e in read_log(log_path) if e["pid"] == victim.pid]
            if sum(e["event"] == "effect" for e in events) >= args.kill_after:
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                started = {(e["tool"], e["call"]) for e in events if e["event"] == "tool_start"}
                done = {(e["tool"], e["call"]) for e in events if e["event"] == "tool_done"}
                kill = {
                    "killed": True,
                    "at_seconds": round(time.perf_counter() - start, 1),
                    "victim_threads_done": sum(e["event"] == "thread_done" for e in events),
                    "victim_threads": len(shares[0]),
                    "victim_tool_calls_done": len(done),
                    "tools_in_flight": sorted(tool for tool, _ in started - done),
                    "returncode": victim.returncode,
                }
                print(f"SIGKILL worker 0 at {kill['at_seconds']} s: {kill}", flush=True)
        timings["workers_seconds"] = time.perf_counter() - start
        codes = [w.returncode for w in workers]
        t0 = time.perf_counter()
        subprocess.run(child("resume", args, workdir, db, thread_ids=",".join(threads)), check=True)
        timings["resume_process_seconds"] = time.perf_counter() - t0
        resume = json.loads((workdir / "resume.json").read_text())
        events = read_log(log_path)
        outbox = sorted(p.name for p in (workdir / "outbox").glob("*.eml"))
        recipients = {
            p.name: re.search(r"^To: (.*)$", p.read_text(), re.M).group(1)  # type: ignore[union-attr]
            for p in (workdir / "outbox").glob("*.eml")
        }
    result = analyse(threads, events, resume, outbox, recipients)
    result.update(kill=kill, worker_returncodes=codes, timings=timings)
    return result


def analyse(
    threads: list[str],
    events: list[dict[str, Any]],
    resume: dict[str, Any],
    outbox: list[str],
    recipients: dict[str, str],
) -> dict[str, Any]:
    after = resume["after"]
    in_state = {t: {s["call"] for s in after[t]["steps"] if s["call"]} for t in threads}
    by_kind: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)
    for e in events:
        if "call" in e and e.get("call"):
            by_kind[e["event"]][(e.get("tool", "send_email"), e["thread"], e["call"])] += 1
    lost = {
        "tool_returned_not_in_state": sorted(
            f"{thread}/{tool}/{call}"
            for tool, thread, call in by_kind["tool_done"]
            if call not in in_state[thread]
        ),
        "email_sent_not_in_state": sorted(
            f"{thread}/{call}"
            for _, thread, call in by_kind["effect"]
            if call not in in_state[thread]
        ),
        "approved_never_ran": sorted(
            f"{thread}/{call}"
            for _, thread, call in by_kind["approved"]
            if not any(c == call for _, _, c in by_kind["effect"])
        ),
    }
    done, entered = by_kind["tool_done"], by_kind["tool_start"]
    emails_per_thread = Counter(
        thread for _, thread, _ in by_kind["effect"]
    )  # one call id per thread expected
    plans = Counter((e["thread"], e["index"]) for e in events if e["event"] == "plan")
    completed = [t for t in threads if after[t]["status"] == "answered"]
    worked = {t: {s["tool"] for s in after[t]["steps"] if not s["error"]} for t in threads}
    shaped = [t for t in completed if {"lookup_order", "send_email"} <= worked[t]]
    errors = [
        f"{t}: {s['tool']}: {s['observation'][:120]}"
        for t in threads
        for s in after[t]["steps"]
        if s["error"]
    ]
    return {
        "threads": len(threads),
        "threads_completed": len(completed),
        "threads_with_lookup_email_answer": len(shaped),
        "steps_in_final_states": sum(len(after[t]["steps"]) for t in threads),
        "step_errors": errors,
        "before_resume": Counter(v["situation"] for v in resume["before"].values()),
        "before_resume_by_thread": resume["before"],
        "steps_lost": sum(len(v) for v in lost.values()),
        "lost": lost,
        "lookup_calls_completed_twice": sum(
            n > 1 for (tool, _, _), n in done.items() if tool == "lookup_order"
        ),
        "send_email_effects": sum(by_kind["effect"].values()),
        "send_email_call_ids_with_2_effects": sum(n > 1 for n in by_kind["effect"].values()),
        "threads_with_2_emails": sum(n > 1 for n in emails_per_thread.values()),
        "send_email_entered_twice_absorbed": sum(
            n > 1 for (tool, _, _), n in entered.items() if tool == "send_email"
        ),
        "absorbed_retries": sum(by_kind["absorbed"].values()),
        "outbox_files": len(outbox),
        "outbox_matches_effects": sorted(f[:-4] for f in outbox)
        == sorted(c for _, _, c in by_kind["effect"]),
        "outbox_recipients_distinct": len(set(recipients.values())),
        "steps_planned_twice": sum(n > 1 for n in plans.values()),
        "resume_seconds": resume.get("resume_seconds"),
        "checkpoints_per_thread": Counter(after[t]["checkpoints"] for t in threads),
        "final_states": after,
    }


def table(result: dict[str, Any], command: str) -> str:
    k = result["kill"]
    rows = [
        ("threads completed (answered)", f"{result['threads_completed']}/{result['threads']}"),
        (
            "... with a lookup and an email that succeeded",
            f"{result['threads_with_lookup_email_answer']}",
        ),
        ("steps in the final states", result["steps_in_final_states"]),
        (
            "steps that failed (arguments the 135M model could not write; tried again)",
            len(result["step_errors"]),
        ),
        ("steps lost", result["steps_lost"]),
        (
            "send_email: emails sent / call ids sent twice / threads with 2 emails",
            f"{result['send_email_effects']} / {result['send_email_call_ids_with_2_effects']}"
            f" / {result['threads_with_2_emails']}",
        ),
        (
            "send_email entered twice for one call id (absorbed by the key)",
            result["send_email_entered_twice_absorbed"],
        ),
        (
            "lookup_order (read-only) completed twice for one call id",
            result["lookup_calls_completed_twice"],
        ),
        ("planner steps run twice (node re-run on resume)", result["steps_planned_twice"]),
        (
            "worker 0 killed (SIGKILL)",
            f"at {k.get('at_seconds')} s, {k.get('victim_threads_done')}/"
            f"{k.get('victim_threads')} of its threads done, tools in flight: "
            f"{', '.join(k.get('tools_in_flight', [])) or 'none'}"
            if k["killed"]
            else "not killed",
        ),
        (
            "threads before resuming",
            "; ".join(f"{n} {s}" for s, n in sorted(result["before_resume"].items())),
        ),
        (
            "wall time: workers / resume process",
            f"{result['timings']['workers_seconds']:.0f} s / "
            f"{result['timings']['resume_process_seconds']:.0f} s",
        ),
    ]
    setup = result["settings"]
    lines = [
        f"`{command}` ({result['total_seconds']:.0f} s in all, {setup['machine']}): "
        f"{result['threads']} threads, {setup['workers']} worker processes "
        f"({setup['concurrency']} threads at a time each), one Postgres database; "
        f"{setup['model']} writes the arguments and answers, the planner is "
        f"{setup['planner']}; LangGraph durability {setup['durability']!r}.",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


DEFINITIONS = """
- **Lost**: a tool that returned, an email that was sent (its `.eml` linked) or an approval
  that was given, whose call id is not a step of the thread's final state.
- **Run twice**: one call id executed twice (the tools log every start, effect and return,
  with the thread and the call id, to an append-only file). `send_email` is entered again
  for a call id when its node was killed after the email went out and before the node's
  checkpoint: the retry finds `<call id>.eml` and does not send it again.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=3, help="threads at a time per worker")
    parser.add_argument(
        "--kill-after", type=int, default=4, help="kill worker 0 after its Nth email (0: never)"
    )
    parser.add_argument("--lookup-seconds", type=float, default=1.0)
    parser.add_argument("--ack-seconds", type=float, default=0.5)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--durability", default="async", choices=["sync", "async", "exit"])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--role", default="driver", choices=["driver", "worker", "resume"])
    parser.add_argument("--workdir")
    parser.add_argument("--db")
    parser.add_argument("--worker", type=int)
    parser.add_argument("--thread-ids")
    args = parser.parse_args()
    if args.role == "worker":
        return run_worker(args)
    if args.role == "resume":
        return run_resumer(args)
    command = "python bench/durability.py " + " ".join(sys.argv[1:])
    start = time.perf_counter()
    result = drive(args)
    result["total_seconds"] = round(time.perf_counter() - start, 1)
    internal = {"role", "workdir", "db", "worker", "thread_ids", "out"}
    result["settings"] = {k: v for k, v in vars(args).items() if k not in internal}
    result["settings"].update(
        model=MODEL,
        planner="deterministic (lookup_order, send_email, final_answer)",
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs",
    )
    result["command"] = command.strip()
    text = table(result, result["command"])
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "durability.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (out / "durability.md").write_text(
        "# Durability: a worker killed with SIGKILL, every thread resumed\n\n"
        + text
        + "\n"
        + DEFINITIONS
    )


if __name__ == "__main__":
    main()
