r"""``python -m finetune``: train → merge → export → evaluate, with progress bars.

    python -m finetune train data/planner-sft --base-model smollm2-135m-instruct \
        --output-dir runs/planner-lora
    python -m finetune merge runs/planner-lora --out runs/planner-merged
    python -m finetune export runs/planner-merged --out runs/planner-gguf --type q8_0 --type q4_k_m
    python -m finetune evaluate data/planner-sft --model smollm2-135m-instruct \
        --model runs/planner-gguf/planner-q8_0.gguf --out runs/accuracy.json

``train --resume`` continues a killed run from its last complete checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Annotated, Any

# Before torch loads: OpenMP threads that spin while they wait slow training down tenfold
# when other processes share the cores (measured: 40 s vs 5 s per step on 2 busy cores).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table  # noqa: E402

from langchain_gba.exceptions import GBAError  # noqa: E402

__all__ = ["app"]

app = typer.Typer(
    name="finetune",
    help="Fine-tune a small planner on exported trajectories, merge it, export it to GGUF.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)

Dataset = Annotated[
    Path,
    typer.Argument(help="The folder `python -m simulation export --out` wrote (or a .jsonl)."),
]


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


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]{escape(str(error))}[/]")
    return typer.Exit(2)


def _status(message: str) -> None:
    console.print(f"[dim]{escape(message)}…[/]")


def _quiet() -> None:
    """Keep library chatter (progress bars of datasets, warnings) out of ours."""
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)  # deprecations inside the libraries
    try:
        import datasets
        import transformers

        datasets.disable_progress_bars()
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
    except ImportError:
        pass


# -- train ----------------------------------------------------------------------------------


@app.command()
def train(
    dataset: Dataset,
    base_model: Annotated[
        str, typer.Option(help="HF model folder, .gguf file or embedded model name.")
    ] = "smollm2-135m-instruct",
    output_dir: Annotated[Path, typer.Option(help="Adapter, checkpoints and logs.")] = Path(
        "runs/planner-lora"
    ),
    rank: Annotated[int, typer.Option(help="LoRA rank r.")] = 16,
    alpha: Annotated[int, typer.Option(help="LoRA alpha (scale alpha/r).")] = 32,
    dropout: Annotated[float, typer.Option(help="LoRA dropout.")] = 0.05,
    target_modules: Annotated[
        str, typer.Option(help="all-linear, or comma-separated names (q_proj,v_proj).")
    ] = "all-linear",
    lr: Annotated[float, typer.Option("--lr", help="Learning rate.")] = 2e-4,
    epochs: Annotated[float, typer.Option(help="Passes over the data.")] = 3.0,
    max_steps: Annotated[int, typer.Option(help="Optimizer steps (> 0 overrides epochs).")] = -1,
    batch_size: Annotated[int, typer.Option(help="Examples per device step.")] = 1,
    grad_accum: Annotated[int, typer.Option(help="Gradient accumulation steps.")] = 2,
    warmup: Annotated[float, typer.Option(help="Warm-up share (< 1) or steps.")] = 0.03,
    max_length: Annotated[int, typer.Option(help="Tokens per example (cut beyond).")] = 1024,
    seed: Annotated[int, typer.Option(help="Seeds initialization and order.")] = 0,
    save_steps: Annotated[int, typer.Option(help="Checkpoint every N steps.")] = 50,
    save_total_limit: Annotated[int, typer.Option(help="Checkpoints kept.")] = 3,
    gradient_checkpointing: Annotated[
        bool, typer.Option(help="Recompute activations (less memory, slower).")
    ] = False,
    qlora: Annotated[bool, typer.Option(help="4-bit NF4 base (bitsandbytes; CUDA only).")] = False,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N examples.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a run in --output-dir.")] = False,
    init_adapter: Annotated[
        Path | None,
        typer.Option(help="Train on from this LoRA adapter folder (a run or its checkpoint)."),
    ] = None,
) -> None:
    """Train a LoRA adapter on the planner examples (loss on the completion only)."""
    _quiet()
    from transformers import TrainerCallback

    from finetune.train import TrainSettings, plan_training
    from finetune.train import train as run_training

    settings = TrainSettings(
        dataset=str(dataset), base_model=base_model, output_dir=str(output_dir), rank=rank,
        alpha=alpha, dropout=dropout, target_modules=target_modules, learning_rate=lr,
        epochs=epochs, max_steps=max_steps, batch_size=batch_size, grad_accum=grad_accum,
        warmup=warmup, max_length=max_length, seed=seed, save_steps=save_steps,
        save_total_limit=save_total_limit, gradient_checkpointing=gradient_checkpointing,
        qlora=qlora, threads=threads, limit=limit, resume=resume, overwrite=overwrite,
        init_adapter=str(init_adapter) if init_adapter else None,
    )  # fmt: skip
    try:
        plan = plan_training(settings, on_status=_status)
    except GBAError as e:
        raise _fail(e) from e
    tools = ", ".join(f"{k} {v}" for k, v in plan.tools.items())
    console.print(
        f"{plan.train_rows} examples ({tools}); {plan.info.architecture}, "
        f"{plan.info.parameters / 1e6:.0f}M parameters, LoRA r={plan.settings.rank} on "
        f"{plan.targets if isinstance(plan.targets, str) else ','.join(plan.targets)} "
        f"({plan.lora_parameters / 1e6:.2f}M trainable); "
        f"{'CUDA' + (' QLoRA 4-bit' if qlora else '') if plan.cuda else 'CPU'}"
    )
    if plan.resume_from:
        console.print(f"resuming from {plan.resume_from}")
    elif plan.settings.init_adapter:
        console.print(f"training on from {plan.settings.init_adapter}")

    with _progress() as progress:

        class Bar(TrainerCallback):  # type: ignore[misc]
            bar: Any = None

            def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                self.bar = progress.add_task(
                    "training", total=state.max_steps, completed=state.global_step, note=""
                )

            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                progress.update(self.bar, completed=state.global_step)

            def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any):
                if logs and "loss" in logs and self.bar is not None:
                    progress.update(self.bar, note=f"loss {float(logs['loss']):.3f}")

        try:
            result = run_training(settings, callbacks=[Bar()], on_status=_status, plan=plan)
        except GBAError as e:
            raise _fail(e) from e
    losses = result.losses
    console.print(
        f"{result.steps} steps; loss {losses[0]:.3f} → {losses[-1]:.3f}; "
        f"{result.tokens_per_second:.1f} tokens/s; adapter → {result.output_dir}"
        if losses
        else f"{result.steps} steps; adapter → {result.output_dir}"
    )


# -- merge ----------------------------------------------------------------------------------


@app.command()
def merge(
    adapter: Annotated[Path, typer.Argument(help="The train --output-dir (or a checkpoint).")],
    out: Annotated[Path, typer.Option(help="The merged model folder.")],
    base_model: Annotated[
        str | None, typer.Option(help="Default: the base the adapter was trained on.")
    ] = None,
    dtype: Annotated[str, typer.Option(help="float32, float16 or bfloat16.")] = "float32",
    overwrite: Annotated[bool, typer.Option(help="Replace --out.")] = False,
) -> None:
    """Merge the LoRA adapter into the base weights (a Hugging Face folder with the tokenizer)."""
    _quiet()
    from finetune.merge import merge as run_merge

    try:
        result = run_merge(
            adapter, out, base_model=base_model, dtype=dtype, overwrite=overwrite,
            on_status=_status,
        )  # fmt: skip
    except GBAError as e:
        raise _fail(e) from e
    console.print(f"merged {adapter} into {result.base} → {result.output_dir}")


# -- soup -----------------------------------------------------------------------------------


@app.command()
def soup(
    adapters: Annotated[
        list[Path], typer.Argument(help="Two or more adapter folders (train outputs, checkpoints).")
    ],
    out: Annotated[Path, typer.Option(help="The adapter folder to write.")],
    weight: Annotated[
        list[float] | None, typer.Option(help="One per adapter, in order (default: equal).")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace --out's adapter.")] = False,
) -> None:
    """Average LoRA adapters of one base into one (exact: the ranks stacked); export-lora it."""
    _quiet()
    from finetune.soup import soup_adapters

    try:
        folder = soup_adapters(adapters, out, weights=weight or None, overwrite=overwrite)
    except GBAError as e:
        raise _fail(e) from e
    console.print(f"{len(adapters)} adapters averaged → {folder}")


# -- export ---------------------------------------------------------------------------------


@app.command()
def export(
    model_dir: Annotated[Path, typer.Argument(help="The merged model folder.")],
    out: Annotated[Path, typer.Option(help="Folder for the GGUF files.")],
    type_: Annotated[
        list[str] | None,
        typer.Option("--type", help="f16, q8_0, q6_k, q5_k_m, q4_k_m, q4_0 (repeatable)."),
    ] = None,
    name: Annotated[str, typer.Option(help="File name prefix.")] = "planner",
    converter: Annotated[
        Path | None, typer.Option(help="A llama.cpp convert_hf_to_gguf.py to use instead.")
    ] = None,
    check: Annotated[bool, typer.Option(help="Load each file and plan a step.")] = True,
    episode: Annotated[bool, typer.Option(help="Also run one agent request.")] = True,
    request: Annotated[str, typer.Option(help="The check's request.")] = "What is 17% of 2,340?",
    tools: Annotated[
        str | None, typer.Option(help="Comma-separated tool names the step may select.")
    ] = None,
    plans_ahead: Annotated[
        bool, typer.Option(help="Trained on plans (simulation export --plans): check a plan.")
    ] = False,
) -> None:
    """Write GGUF files with llama.cpp's converter and quantizer; check them in ChatLlamaCpp."""
    _quiet()
    from finetune.export import DEFAULT_TOOLS, check_gguf, export_gguf

    types = type_ or ["f16", "q8_0"]
    try:
        result = export_gguf(model_dir, out, types=types, name=name, converter=converter,
                             on_status=_status)  # fmt: skip
    except GBAError as e:
        raise _fail(e) from e
    table = Table("type", "file", "MB", "step (selected_tool: task)", "episode")
    console.print(f"GGUF files → {out}")
    names = [t.strip() for t in tools.split(",")] if tools else list(DEFAULT_TOOLS)
    checks = []
    for kind, path in result.files.items():
        row = [kind, path.name, f"{path.stat().st_size / 1e6:.0f}"]
        if check:
            _status(f"checking {path.name} in ChatLlamaCpp")
            try:
                c = check_gguf(path, request=request, tools=names, episode=episode,
                               plans_ahead=plans_ahead)  # fmt: skip
            except GBAError as e:
                raise _fail(e) from e
            checks.append(c)
            row.append(escape(_step_text(c.step)))
            ep = c.episode
            row.append(escape(f"{ep['status']}: {' → '.join(ep['tools'])}") if ep else "")
        table.add_row(*row)
    console.print(table)
    if checks:
        report = [
            {"file": str(c.path), "size": c.size, "step": c.step, "seconds": round(c.seconds, 2),
             "episode": c.episode}
            for c in checks
        ]  # fmt: skip
        (Path(out) / "checks.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")


def _step_text(step: dict[str, Any]) -> str:
    """A checked step (selected_tool: task) or plan (tool: task → ...; final_answer if none)."""
    if "steps" in step:
        return " → ".join(f"{s['tool']}: {s['task']}" for s in step["steps"]) or "final_answer"
    return f"{step['selected_tool']}: {step['task']}"


@app.command("export-lora")
def export_lora_command(
    adapter: Annotated[Path, typer.Argument(help="The train --output-dir (or a checkpoint).")],
    out: Annotated[Path, typer.Option(help="The adapter GGUF to write (its card goes beside).")],
    outtype: Annotated[str, typer.Option(help="f16, bf16, q8_0 or f32.")] = "q8_0",
    converter: Annotated[
        Path | None, typer.Option(help="A llama.cpp convert_lora_to_gguf.py to use instead.")
    ] = None,
    check: Annotated[bool, typer.Option(help="Load it on its base and plan a step.")] = True,
    request: Annotated[str, typer.Option(help="The check's request.")] = "What is 17% of 2,340?",
) -> None:
    """Write the LoRA adapter as one small GGUF that llama.cpp applies to the base at load time.

    Ship it with FineTunedPlanner: copy the .gguf and its .json card into
    langchain_gba/planner/adapters/ (the card's name is the planner's name).
    """
    _quiet()
    from finetune.errors import ExportError
    from finetune.export import DEFAULT_TOOLS
    from finetune.lora import export_lora

    try:
        path, card = export_lora(adapter, out, outtype=outtype, converter=converter,
                                 on_status=_status)  # fmt: skip
    except GBAError as e:
        raise _fail(e) from e
    console.print(
        f"{path} ({path.stat().st_size / 1e6:.1f} MB, LoRA r={card['rank']} on "
        f"{card['base_model']}) and its card {path.with_suffix('.json').name}"
    )
    if not check:
        return
    from langchain_gba.planner import FineTunedPlanner
    from langchain_gba.planner.fine_tuned import fine_tuned_planner_model

    _status(f"checking {path.name} on {card['base_model']} in ChatLlamaCpp")
    try:
        llm = fine_tuned_planner_model(path.stem, directory=path.parent, max_tokens=1024)
        planner = FineTunedPlanner(llm, plans_ahead=card.get("format") == "ahead")
        tools = [(t, t) for t in DEFAULT_TOOLS]
        step: Any = (
            planner.plan_ahead(request, [], tools)
            if planner.can_plan_ahead
            else planner.plan(request, [], tools)
        )
    except Exception as e:
        msg = f"{path} does not work as a planner: {type(e).__name__}: {e}"
        raise _fail(ExportError(msg)) from e
    console.print(f"step for {request!r}: {escape(json.dumps(step.model_dump()))}")


# -- evaluate -------------------------------------------------------------------------------


@app.command()
def evaluate(
    dataset: Dataset,
    model: Annotated[
        list[str], typer.Option(help="GGUF path or embedded name (repeatable: before, after).")
    ],
    split: Annotated[str, typer.Option(help="The held-out split.")] = "test",
    agent_tools: Annotated[
        str,
        typer.Option(
            "--tools", help="The agent's tool names the step may select (plus the data's)."
        ),
    ] = "ask_user,calculate_number,final_answer,search_internet,search_wikipedia",
    limit: Annotated[int | None, typer.Option(help="Only the first N examples.")] = None,
    max_length: Annotated[int, typer.Option(help="Characters per step field.")] = 200,
    out: Annotated[Path | None, typer.Option(help="Write the results as JSON here.")] = None,
) -> None:
    """Tool-selection accuracy on held-out steps: the planner's tool vs the teacher's."""
    _quiet()
    from finetune.accuracy import evaluate_planner, majority_baseline, tool_names

    try:
        names = tool_names(dataset, [t.strip() for t in agent_tools.split(",") if t.strip()])
        majority, floor = majority_baseline(dataset, split, limit=limit)
        reports = []
        with _progress() as progress:
            for m in model:
                bar = progress.add_task(Path(m).name, total=None, note="")
                n_ok = 0

                def seen(p: dict[str, str], bar: Any = bar) -> None:
                    nonlocal n_ok
                    n_ok += p["expected"] == p["predicted"]
                    progress.update(bar, advance=1, note=f"{n_ok} correct")

                reports.append(
                    evaluate_planner(m, dataset, tools=names, split=split, limit=limit,
                                     max_length=max_length, on_example=seen)
                )  # fmt: skip
    except GBAError as e:
        raise _fail(e) from e
    table = Table("planner", "examples", "correct", "accuracy", "s/step")
    for r in reports:
        per = r.seconds / r.examples if r.examples else 0.0
        table.add_row(escape(r.model), str(r.examples), str(r.correct), f"{r.accuracy:.3f}",
                      f"{per:.1f}")  # fmt: skip
    table.add_row(f"(always {majority}, the training majority)", "", "", f"{floor:.3f}", "")
    Console().print(table)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "dataset": str(dataset),
            "split": split,
            "tools": names,
            "majority_tool": majority,
            "majority_accuracy": round(floor, 4),
            "planners": [r.as_dict() for r in reports],
        }
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        console.print(f"results → {out}")
