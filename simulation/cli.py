r"""``python -m simulation``: requests → run → evaluate → export, with progress bars.

    python -m simulation requests data/requests.jsonl -n 200 --base-url http://127.0.0.1:8080/v1
    python -m simulation run data/requests.jsonl --out runs/teacher.jsonl --planner teacher \
        --base-url http://127.0.0.1:8080/v1 --concurrency 8
    python -m simulation evaluate runs/teacher.jsonl runs/zero-shot.jsonl \
        --report runs/report.md --chart runs/chart.png
    python -m simulation export runs/teacher.jsonl --out data/planner-sft

Every command appends to its output file and resumes where a killed run stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from langchain_gba.exceptions import GBAError
from simulation.models import Backend, ModelSpec, chat_model, model_label
from simulation.records import RecordFile, RecordFileError, read_jsonl

__all__ = ["app"]

app = typer.Typer(
    name="simulation",
    help="Record planner trajectories in a simulated environment, rate them, export them.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)

# -- shared options -------------------------------------------------------------------------

BaseUrl = Annotated[
    str | None,
    typer.Option(help="An OpenAI-compatible server, http://HOST:PORT/v1 (llama.cpp, vLLM...)."),
]
BackendOpt = Annotated[
    str, typer.Option(help="auto (ask the server), llama (llama.cpp server) or openai.")
]
Retries = Annotated[int, typer.Option(help="Retries with backoff of a failed server request.")]
Timeout = Annotated[float, typer.Option(help="Seconds per server request.")]
ConnectAttempts = Annotated[int, typer.Option(help="Tries to reach the server at start.")]
Concurrency = Annotated[int, typer.Option(min=1, help="Requests in flight.")]
Tools = Annotated[
    str,
    typer.Option(
        help="Comma-separated tools: calculator, wikipedia, internet, and an app's own as "
        "module:attribute or path/to/file.py:attribute (e.g. examples/assistant.py:"
        "simulation_tools)."
    ),
]


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM (``kill``, a CI timeout) stops the run like Ctrl-C does.

    Python's default for SIGTERM ends the process at once, skipping ``finally`` blocks: a
    killed run would leave its manifest's counts stale. Only in the main thread (elsewhere a
    no-op, as signal handlers can only be set there).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
    )


def _spec(
    model: str | None,
    base_url: str | None,
    backend: str,
    *,
    max_tokens: int,
    temperature: float = 0.0,
    retries: int = 3,
    timeout: float = 120.0,
    connect_attempts: int = 5,
) -> ModelSpec:
    if backend not in ("auto", "llama", "openai"):
        raise typer.BadParameter(f"--backend must be auto, llama or openai, not {backend!r}.")
    chosen: Backend = backend  # type: ignore[assignment]
    return ModelSpec(
        model=model,
        base_url=base_url,
        backend=chosen,
        max_tokens=max_tokens,
        temperature=temperature,
        timeout=timeout,
        retries=retries,
        connect_attempts=connect_attempts,
    )


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]{escape(str(error))}[/]")
    return typer.Exit(2)


def _tool_list(names: str, llm: Any = None) -> list[Any]:
    from langchain_gba.tools.registry import load_tools

    return load_tools(names.split(","), llm=llm)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# -- requests -------------------------------------------------------------------------------


@app.command()
def requests(
    out: Annotated[Path, typer.Argument(help="JSONL file of requests (appended to).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Requests wanted in the file.")] = 50,
    model: Annotated[str | None, typer.Option(help="Embedded name, GGUF, or served name.")] = None,
    base_url: BaseUrl = None,
    backend: BackendOpt = "auto",
    topics: Annotated[
        str | None, typer.Option(help="Comma-separated topics (default: 36 categories).")
    ] = None,
    tools: Tools = "calculator,wikipedia,internet",
    mix: Annotated[
        str | None,
        typer.Option(
            help="Kinds of one batch's requests, comma-separated, in order (default: direct, "
            "single_step ×2, multi_step, calculation, ask_user)."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Batches in flight (a server's parallel slots).")
    ] = 1,
    ground_in: Annotated[
        str | None,
        typer.Option(
            help="A corpus (built-in name such as wiki-offline-en, or JSONL of title/text): "
            "single- and multi-step requests are written about random passages of it. "
            "Articles named in the --exclude files' 'source' are never drawn."
        ),
    ] = None,
    temperature: Annotated[float, typer.Option(help="Writer temperature.")] = 0.8,
    max_tokens: Annotated[int, typer.Option(help="Tokens per LLM call.")] = 2048,
    max_length: Annotated[int, typer.Option(help="Characters per request.")] = 200,
    max_request_steps: Annotated[
        int, typer.Option(min=0, help="Steps listed per request (0: the requests alone).")
    ] = 6,
    step_length: Annotated[int, typer.Option(help="Characters per listed step.")] = 80,
    seed: Annotated[int, typer.Option(help="Shuffles the topics.")] = 0,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(help="JSONL files of requests never to write (e.g. a benchmark's)."),
    ] = None,
    varied_wording: Annotated[
        bool,
        typer.Option(
            help="Write each batch in one of several users' styles (REQUEST_STYLES: short, "
            "lowercase, typos, indirect, instructions, chatty...; the record's 'style'), and "
            "roughen 40% of the requests as people type (lowercase, a typo, no question mark)."
        ),
    ] = False,
    retries: Retries = 3,
    timeout: Timeout = 300.0,
    connect_attempts: ConnectAttempts = 5,
) -> None:
    """Generate diverse requests over a topic list (deduplicated), with the steps they need."""
    from langchain_gba.planner import tool_descriptions
    from langchain_gba.prompts import REQUEST_STYLES
    from langchain_gba.tools.ask_user import AskUserTool
    from simulation.generate import (
        DEFAULT_MIX,
        DEFAULT_TOPICS,
        KINDS,
        generate_requests,
        normalize,
    )

    topic_list = [t.strip() for t in topics.split(",") if t.strip()] if topics else DEFAULT_TOPICS
    kinds = [k.strip() for k in mix.split(",") if k.strip()] if mix else list(DEFAULT_MIX)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        msg = f"unknown kinds {unknown or kinds}; choose from: {', '.join(KINDS)}."
        raise typer.BadParameter(msg, param_hint="--mix")
    spec = _spec(
        model, base_url, backend, max_tokens=max_tokens, temperature=temperature,
        retries=retries, timeout=timeout, connect_attempts=connect_attempts,
    )  # fmt: skip
    try:
        with RecordFile(out) as file:
            wanted = n - len(file.records)
            if wanted <= 0:
                console.print(f"{out} already has {len(file.records)} requests.")
                return
            llm = chat_model(spec)
            described = tool_descriptions([*_tool_list(tools), AskUserTool()])
            with _progress() as progress:
                bar = progress.add_task("requests", total=wanted, note="")

                def on_record(record: dict[str, Any]) -> None:
                    file.append(record)
                    progress.update(bar, advance=1, note=record["topic"])

                def on_error(topic: str, error: Exception) -> None:
                    progress.console.print(f"[yellow]batch on {topic!r} skipped:[/] {error}")

                held_out = [r for path in exclude or [] for r in read_jsonl(path)]
                seen = {normalize(r["request"]) for r in [*file.records, *held_out]}
                documents: list[tuple[str, str]] = []
                if ground_in:
                    from langchain_gba.tools.search.wikipedia.corpus import load_corpus

                    banned = {str(t) for r in held_out for t in _as_list(r.get("source")) if t}
                    documents = [
                        (d.title, d.text) for d in load_corpus(ground_in) if d.title not in banned
                    ]
                made = generate_requests(
                    llm, wanted, tools=described, topics=topic_list, mix=kinds,
                    concurrency=concurrency,
                    documents=documents,
                    seed=seed + len(file.records), seen=seen,
                    max_length=max_length, max_steps=max_request_steps, step_length=step_length,
                    styles=REQUEST_STYLES if varied_wording else (),
                    rough_share=0.4 if varied_wording else 0.0,
                    on_record=on_record, on_error=on_error,
                )  # fmt: skip
    except (GBAError, RecordFileError) as e:
        raise _fail(e) from e
    console.print(f"{len(made)} new requests → {out} ({len(file.records)} in all)")
    if len(made) < wanted:
        console.print(f"[yellow]only {len(made)} of {wanted}: rerun to add more.[/]")


# -- run ------------------------------------------------------------------------------------


@app.command()
def run(
    ctx: typer.Context,
    requests_file: Annotated[Path, typer.Argument(help="JSONL requests (id, request).")],
    out: Annotated[Path, typer.Option(help="JSONL run file (appended to; resumable).")],
    planner: Annotated[str, typer.Option(help="zero-shot, teacher or fine-tuned.")] = "zero-shot",
    planner_model: Annotated[
        str | None, typer.Option(help="Embedded name, GGUF path, or the served model's name.")
    ] = None,
    tool_model: Annotated[
        str | None, typer.Option(help="The twins' and function calling's model (default: same).")
    ] = None,
    base_url: BaseUrl = None,
    tool_base_url: Annotated[
        str | None, typer.Option(help="A separate server for the tools (default: --base-url).")
    ] = None,
    backend: BackendOpt = "auto",
    tools: Tools = "calculator,wikipedia,internet",
    concurrency: Concurrency = 4,
    max_steps: Annotated[int, typer.Option(min=1, help="Tool steps per request.")] = 10,
    planner_max_tokens: Annotated[int, typer.Option(help="Tokens per planner step.")] = 512,
    tool_max_tokens: Annotated[int, typer.Option(help="Tokens per tool/answer call.")] = 256,
    max_length: Annotated[int, typer.Option(help="Characters per planner field.")] = 200,
    observation_length: Annotated[int, typer.Option(help="Characters per observation.")] = 240,
    limit: Annotated[int | None, typer.Option(help="Only the first N requests.")] = None,
    seed: Annotated[int, typer.Option(help="Seeds the simulated searches' outcomes.")] = 0,
    persona: Annotated[str | None, typer.Option(help="The simulated user's persona.")] = None,
    examples: Annotated[
        list[str] | None,
        typer.Option(
            help="More planner examples for an app's tools, as module:attribute or "
            "path/to/file.py:attribute (repeatable; e.g. examples/assistant.py:PLAN_EXAMPLES): "
            "shown by a zero-shot or teacher planner after its own."
        ),
    ] = None,
    kind_hints: Annotated[
        bool,
        typer.Option(
            help="Teacher only: on the first step, a hint from each generated request's kind "
            "follows the request (privileged information; the student never sees it)."
        ),
    ] = False,
    planning: Annotated[
        str,
        typer.Option(
            help="step: single steps (the step student's format); ahead: the agent as it "
            "answers by default, its plans kept in each record (the plan-ahead student's)."
        ),
    ] = "step",
    keep_real: Annotated[
        str,
        typer.Option(
            help="Comma-separated tools run as they are instead of their twins (e.g. "
            "calculate_number,search_wikipedia: the bundled index, offline)."
        ),
    ] = "calculate_number",
    retries: Retries = 3,
    timeout: Timeout = 120.0,
    connect_attempts: ConnectAttempts = 5,
    verbose: Annotated[bool, typer.Option(help="Log warnings of the library.")] = False,
) -> None:
    """Run the agent with a planner in the simulated environment; one JSON line per trajectory.

    ``<out>.manifest.json`` beside the run file records each command that appended to it, the
    models with their SHA-256 and the records by status.
    """
    from simulation.manifest import update_manifest
    from simulation.runner import (
        RunLabels,
        build_agent,
        import_examples,
        make_planner,
        recording,
        run_requests,
    )

    logging.basicConfig(level=logging.WARNING if verbose else logging.ERROR)
    common: dict[str, Any] = {
        "retries": retries,
        "timeout": timeout,
        "connect_attempts": connect_attempts,
    }
    try:
        requests_list = read_jsonl(requests_file)[:limit]
        for r in requests_list:
            if "request" not in r:
                raise RecordFileError(f"{requests_file}: a record has no 'request': {r}")
            if "id" not in r:
                from simulation.generate import request_id

                r["id"] = request_id(r["request"])
        planner_llm = chat_model(
            _spec(planner_model, base_url, backend, max_tokens=planner_max_tokens, **common)
        )
        tool_llm = chat_model(
            _spec(tool_model or planner_model, tool_base_url or base_url, backend,
                  max_tokens=tool_max_tokens, **common)
        )  # fmt: skip
        hints = None
        if kind_hints:
            from simulation.runner import kind_hints as hints_of

            hints = hints_of(requests_list)
        if planning not in ("step", "ahead"):
            raise typer.BadParameter("step or ahead", param_hint="--planning")
        the_planner = make_planner(
            planner, planner_llm, max_length=max_length, hints=hints,
            examples=import_examples(examples or ()),
        )  # fmt: skip
        recorder = None
        if planning == "ahead":
            if not the_planner.can_plan_ahead:
                msg = f"the {planner} planner does not plan ahead"
                raise typer.BadParameter(msg, param_hint="--planning")
            recorder = recording(the_planner)
        agent = build_agent(
            the_planner, tool_llm, _tool_list(tools, tool_llm), max_steps=max_steps, seed=seed,
            observation_length=observation_length, persona=persona,
            planning="ahead" if planning == "ahead" else "step",
            keep_real=[t.strip() for t in keep_real.split(",") if t.strip()],
        )  # fmt: skip
        labels = RunLabels(
            planner=f"{planner}+kind-hints" if hints else planner,
            planner_model=model_label(planner_llm),
            tool_model=model_label(tool_llm),
            max_steps=max_steps,
        )
        with _progress() as progress:
            bar = progress.add_task("trajectories", total=len(requests_list), note="")

            def on_start(pending: int, done: int) -> None:
                progress.update(bar, completed=done, note=f"{done} already done")

            def on_done(record: dict[str, Any]) -> None:
                note = f"{record['id']}: {record['status']}"
                progress.update(bar, advance=1, note=note)

            models = {"planner": planner_model, "tools": tool_model or planner_model}
            update_manifest(out, models=models, command=ctx.command_path, params=ctx.params)
            try:
                with terminate_as_interrupt():
                    report = asyncio.run(
                        run_requests(
                            requests_list, out, agent, labels, concurrency=concurrency,
                            on_start=on_start, on_done=on_done,
                            recorder=recorder,
                        )
                    )  # fmt: skip
            finally:
                update_manifest(out)  # the counts, also after Ctrl-C or SIGTERM
    except (GBAError, RecordFileError, ValueError) as e:
        raise _fail(e) from e
    if report.repaired_bytes:
        console.print(f"repaired a torn last line of {out} ({report.repaired_bytes} bytes)")
    console.print(
        f"{report.written} trajectories → {out} ({report.failed} failed, "
        f"{report.skipped} already done)"
    )


# -- evaluate -------------------------------------------------------------------------------


def _all_judged(runs: list[Path]) -> bool:
    """Whether every trajectory of every run file has its judgement already."""
    from simulation.judge import judged_path

    for path in runs:
        judged = judged_path(path)
        if not judged.exists() or not judged.read_bytes().endswith(b"\n"):
            return False  # none yet, or a torn last line that judging repairs and redoes
        done = {str(j["id"]) for j in read_jsonl(judged)}
        if not {str(r["id"]) for r in read_jsonl(path)} <= done:
            return False
    return True


def _judge_files(
    runs: list[Path], spec: Any, explanation_length: int, method: str, concurrency: int
) -> list[Path]:
    """Judge what is not judged yet in each run file, with progress bars."""
    from simulation.judge import Judge, judge_run

    llm = chat_model(spec)
    judge = Judge(llm, label=model_label(llm), explanation_length=explanation_length, method=method)
    with _progress() as progress:

        async def judge_all() -> list[Path]:
            # one event loop for every file: a server client is bound to its loop
            judged = []
            for path in runs:
                bar = progress.add_task(f"judging {path.name}", total=None, note="")

                def on_start(pending: int, done: int, bar: Any = bar) -> None:
                    progress.update(bar, total=pending + done, completed=done)

                def on_done(j: dict[str, Any], bar: Any = bar) -> None:
                    progress.update(bar, advance=1, note=f"{j['id']}: {j['status']}")

                judged.append(
                    await judge_run(
                        path, judge, concurrency=concurrency, on_start=on_start,
                        on_done=on_done,
                    )
                )  # fmt: skip
            return judged

        judged_files = asyncio.run(judge_all())
    return judged_files


@app.command()
def evaluate(
    runs: Annotated[list[Path], typer.Argument(help="Run files to rate and compare.")],
    judge_model: Annotated[
        str | None, typer.Option(help="Embedded name, GGUF path, or the served model's name.")
    ] = None,
    base_url: BaseUrl = None,
    backend: BackendOpt = "auto",
    method: Annotated[
        str, typer.Option(help="Structured output: auto, or prompted for any chat model.")
    ] = "auto",
    concurrency: Concurrency = 4,
    max_tokens: Annotated[int, typer.Option(help="Tokens per judgement.")] = 1024,
    explanation_length: Annotated[int, typer.Option(help="Characters per explanation.")] = 100,
    max_steps: Annotated[int, typer.Option(help="Step limit for completion_rate.")] = 10,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 2000,
    report: Annotated[Path | None, typer.Option(help="Write the Markdown table here.")] = None,
    chart: Annotated[Path | None, typer.Option(help="Write a PNG bar chart here.")] = None,
    retries: Retries = 3,
    timeout: Timeout = 300.0,
    connect_attempts: ConnectAttempts = 5,
) -> None:
    """Rate each answer and step with an LLM judge; metrics with 95% intervals; table, chart."""
    from simulation.judge import judged_path
    from simulation.metrics import bar_chart, compute_metrics, markdown_table

    spec = _spec(
        judge_model, base_url, backend, max_tokens=max_tokens, retries=retries,
        timeout=timeout, connect_attempts=connect_attempts,
    )  # fmt: skip
    results = []
    try:
        if _all_judged(runs):
            judged_files = [judged_path(p) for p in runs]  # all judged: no model needed
        else:
            judged_files = _judge_files(runs, spec, explanation_length, method, concurrency)
        for path, judged in zip(runs, judged_files, strict=True):
            results.append(
                compute_metrics(
                    read_jsonl(path), read_jsonl(judged), name=path.stem,
                    max_steps=max_steps, n_boot=n_boot,
                )
            )  # fmt: skip
    except (GBAError, RecordFileError) as e:
        raise _fail(e) from e
    table = markdown_table(results)
    typer.echo(table)
    for m in results:
        if m.judge_failed:
            console.print(f"[yellow]{m.name}: {m.judge_failed} judgements failed (see file).[/]")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(table + "\n", encoding="utf-8")
    if chart is not None:
        console.print(f"chart → {bar_chart(results, chart)}")


# -- export ---------------------------------------------------------------------------------


@app.command()
def export(
    runs: Annotated[list[Path], typer.Argument(help="Run files (judged with evaluate).")],
    out: Annotated[Path, typer.Option(help="Output folder.")],
    threshold: Annotated[int, typer.Option(help="Lowest final-answer rating kept.")] = 4,
    include_incomplete: Annotated[
        bool, typer.Option(help="Also the steps of trajectories that hit the step limit.")
    ] = False,
    test_size: Annotated[float, typer.Option(help="Share of trajectories held out.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seeds the split and the rebalancing.")] = 0,
    max_tool_share: Annotated[
        float | None,
        typer.Option(help="Drop examples of any tool selected in more than this share (0-1)."),
    ] = None,
    match_kinds: Annotated[
        bool,
        typer.Option(
            help="Only trajectories whose first tool fits their generated request's kind "
            "(final_answer for direct, a search for single/multi-step, calculate_number, "
            "ask_user)."
        ),
    ] = False,
    min_task_rating: Annotated[
        int | None,
        typer.Option(help="Only the steps whose task the judge rated this or more."),
    ] = None,
    answer_at_loops: Annotated[
        bool,
        typer.Option(
            help="Leave out repeated steps; where a teacher repeated itself until the loop guard "
            "stopped it, teach final_answer at the first repeat."
        ),
    ] = False,
    plain_final_tasks: Annotated[
        bool,
        typer.Option(
            help="Teach 'Answer the request.' as every final_answer step's task, not the "
            "teacher's own wording (often its reasoning or an answer it made up)."
        ),
    ] = False,
    drop_echoes: Annotated[
        bool,
        typer.Option(
            help="Leave out the steps whose thoughts or task copy the planner prompt's field "
            "descriptions (a teacher echoing its instructions)."
        ),
    ] = False,
    first_step_repeat: Annotated[
        int,
        typer.Option(
            min=1,
            help="Repeat the training split's first steps of the rarer first tools up to this "
            "many times, towards the commonest first tool's count (1: as recorded).",
        ),
    ] = 1,
    plans: Annotated[
        bool,
        typer.Option(
            help="Export the plans of runs recorded with --planning ahead (the plan-ahead "
            "student: the tools, request and results → the plan) instead of single steps."
        ),
    ] = False,
    drop_refused: Annotated[
        bool,
        typer.Option(
            help="With --plans: leave out a plan without steps whose answer the agent refused "
            "(a lookup answered from memory); the plan written after the refusal is kept."
        ),
    ] = False,
    hoist_refused: Annotated[
        bool,
        typer.Option(
            help="With --plans: teach the plan written after a refused answer from memory in "
            "the refused plan's place (its prompt, without the refusal): the student searches "
            "at once. Implies --drop-refused."
        ),
    ] = False,
    max_plans: Annotated[
        int | None,
        typer.Option(min=1, help="With --plans: only trajectories with at most this many plans."),
    ] = None,
    unjudged: Annotated[
        bool,
        typer.Option(
            help="With --plans: every answered trajectory passes, judged or not; where a "
            "judgement exists its rating still applies."
        ),
    ] = False,
    thoughts: Annotated[
        bool,
        typer.Option(
            help="With --plans: teach the plans' thoughts (--no-thoughts: taught empty, the "
            "student writes only the steps: fewer tokens per plan)."
        ),
    ] = True,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(
            help="Request files (JSONL with 'request') held out: a trajectory whose request is "
            "a near-duplicate of one of theirs is left out (repeatable)."
        ),
    ] = None,
) -> None:
    """Export well-rated trajectories as fine-tuned-planner examples (a datasets DatasetDict)."""
    from simulation.export import (
        cap_tool_share,
        examples_from,
        export_dataset,
        near_duplicates,
        plan_examples_from,
        tool_frequencies,
    )
    from simulation.judge import judged_path

    examples = []
    try:
        held_out = [
            str(r["request"]) for file in exclude or [] for r in read_jsonl(file) if "request" in r
        ]
        for path in runs:
            judgements = judged_path(path)
            if not judgements.exists() and not unjudged:
                raise RecordFileError(f"{path} is not judged yet: run `evaluate {path}` first.")
            judged = read_jsonl(judgements) if judgements.exists() else []
            records = read_jsonl(path)
            copies = near_duplicates(records, held_out) if held_out else set()
            if copies:
                console.print(f"{path}: {len(copies)} requests like held-out ones left out.")
                records = [r for r in records if str(r["id"]) not in copies]
            if plans:
                if unjudged:  # a trajectory not judged (yet) passes as if rated at the threshold
                    rated = {str(j["id"]) for j in judged if j.get("status") == "rated"}
                    judged = [
                        *judged,
                        *(
                            {"id": r["id"], "status": "rated", "final_rating": threshold}
                            for r in records
                            if str(r["id"]) not in rated
                        ),
                    ]
                examples += plan_examples_from(
                    records, judged, threshold=threshold,
                    match_kinds=match_kinds, drop_refused=drop_refused, max_plans=max_plans,
                    hoist_refused=hoist_refused, thoughts=thoughts,
                )  # fmt: skip
                continue
            examples += examples_from(
                records, judged, threshold=threshold,
                include_incomplete=include_incomplete, match_kinds=match_kinds,
                min_task_rating=min_task_rating, answer_at_loops=answer_at_loops,
                plain_final_tasks=plain_final_tasks, drop_echoes=drop_echoes,
            )  # fmt: skip
    except RecordFileError as e:
        raise _fail(e) from e
    if not examples:
        console.print(f"[yellow]No trajectory is rated {threshold} or more: nothing exported.[/]")
        raise typer.Exit(1)
    before = tool_frequencies(examples)
    if max_tool_share is not None:
        try:
            examples = cap_tool_share(examples, max_tool_share, seed=seed)
        except ValueError as e:
            raise _fail(e) from e
    after = tool_frequencies(examples)
    table = Table(title="Selected tools in the examples")
    for column in ("tool", "exported", "share", "before rebalancing"):
        table.add_column(column, justify="left" if column == "tool" else "right")
    for tool, count in before.most_common():
        share = after[tool] / max(1, sum(after.values()))
        table.add_row(tool, str(after[tool]), f"{share:.0%}", str(count))
    console.print(table)
    import datasets

    datasets.disable_progress_bars()  # a few hundred rows: its bars would only clutter ours
    dataset = export_dataset(
        examples, out, test_size=test_size, seed=seed, first_step_repeat=first_step_repeat
    )
    sizes = ", ".join(f"{name} {len(split)}" for name, split in dataset.items())
    firsts = tool_frequencies([e for e in dataset["train"] if e["step"] == 0])
    console.print(f"first steps in train: {dict(firsts.most_common())}")
    repeats = sum(len(split) for split in dataset.values()) - len(examples)
    repeated = f", {repeats} of them first steps repeated" if repeats else ""
    console.print(f"{len(examples)} examples ({sizes}{repeated}) → {out}")
