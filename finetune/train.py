"""``train``: supervised fine-tuning of the planner with trl's ``SFTTrainer`` and a peft LoRA.

The dataset's rows become one user turn (the fine-tuned planner's prompt) and one assistant turn
(the step as JSON). trl applies the tokenizer's chat template, the same template ``ChatLlamaCpp``
applies at inference, and computes the loss on the completion's tokens only
(``completion_only_loss``): the model learns to write the step, not to repeat the prompt.

Everything is checked before the weights are loaded: the dataset, the base model, the target
modules, CUDA for QLoRA, the output folder and the free disk space. The output folder holds the
final adapter (with the tokenizer and its chat template), ``checkpoint-N`` folders every
``save_steps``, ``loss.jsonl`` (one line per logged step, written as training goes),
``log_history.json``, ``train_settings.json`` and ``train_summary.json``.

A killed run resumes from its last complete checkpoint (``resume=True``); a checkpoint the
crash left half-written (no ``trainer_state.json``, which the trainer writes last) is set aside.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback

from finetune.base import (
    ALL_LINEAR,
    BaseInfo,
    BaseSource,
    inspect_base,
    load_model,
    load_tokenizer,
    lora_parameter_count,
    resolve_base,
    target_module_list,
)
from finetune.data import conversational, data_format, load_split, tool_counts
from finetune.disk import check_disk
from finetune.errors import DatasetError, FinetuneError

__all__ = [
    "TrainPlan",
    "TrainResult",
    "TrainSettings",
    "complete_checkpoints",
    "plan_training",
    "train",
]

SETTINGS_FILE = "train_settings.json"
SUMMARY_FILE = "train_summary.json"
LOSS_FILE = "loss.jsonl"
HISTORY_FILE = "log_history.json"
_CHECKPOINT = "checkpoint-"


@dataclass
class TrainSettings:
    """Hyperparameters and paths of a training run (the defaults follow the seed's recipe)."""

    dataset: str
    """The export folder of ``python -m simulation export`` (or a .jsonl / .parquet file)."""
    base_model: str = "smollm2-135m-instruct"
    """A Hugging Face model folder, a .gguf file or an embedded model name."""
    output_dir: str = "runs/planner-lora"
    rank: int = 16
    """LoRA rank r."""
    alpha: int = 32
    """LoRA alpha (the update is scaled by alpha / r)."""
    dropout: float = 0.05
    target_modules: str = ALL_LINEAR
    """``all-linear`` or comma-separated layer names (``q_proj,k_proj,v_proj,o_proj``)."""
    learning_rate: float = 2e-4
    epochs: float = 3.0
    max_steps: int = -1
    """Optimizer steps; when > 0 it overrides ``epochs``."""
    batch_size: int = 1
    grad_accum: int = 2
    warmup: float = 0.03
    """Warm-up: a share of the steps (< 1) or a number of steps."""
    max_length: int = 1024
    """Tokens per example (prompt + completion); longer ones are cut at the end."""
    seed: int = 0
    save_steps: int = 50
    save_total_limit: int = 3
    logging_steps: int = 1
    gradient_checkpointing: bool = False
    qlora: bool = False
    """4-bit NF4 base (bitsandbytes, CUDA only), double quantization, LoRA on top."""
    threads: int | None = None
    """CPU threads for torch (default: torch's choice)."""
    limit: int | None = None
    """Only the first N training examples (smoke runs)."""
    resume: bool = False
    overwrite: bool = False
    init_adapter: str | None = None
    """A LoRA adapter folder (a run's output folder or one of its ``checkpoint-N`` folders) to
    train on from (its rank, alpha and layers are kept): a student taught more on new data."""


@dataclass
class TrainPlan:
    """A checked run: everything needed to start training."""

    settings: TrainSettings
    output_dir: Path
    source: BaseSource
    info: BaseInfo
    targets: list[str] | str
    train_rows: int
    tools: dict[str, int]
    lora_parameters: int
    resume_from: Path | None
    set_aside: list[Path] = field(default_factory=list)
    cuda: bool = False
    format: str = "step"
    """``step`` (one step per example) or ``ahead`` (whole plans: ``simulation export
    --plans``); the adapter's card says which, so ``FineTunedPlanner`` plans the same way."""


@dataclass
class TrainResult:
    """What a run did."""

    output_dir: Path
    steps: int
    losses: list[float]
    """Training loss per logged step, in order (this run and, when resumed, the earlier one)."""
    seconds: float
    tokens: int
    """Input tokens (prompt + completion, no padding) processed by this run."""
    resumed_from: Path | None

    @property
    def tokens_per_second(self) -> float:
        """Training throughput of this run."""
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def complete_checkpoints(output_dir: Path) -> list[Path]:
    """``checkpoint-N`` folders whose save finished (``trainer_state.json`` written), by N."""
    found = []
    for p in output_dir.glob(f"{_CHECKPOINT}*"):
        suffix = p.name[len(_CHECKPOINT) :]
        if p.is_dir() and suffix.isdigit() and (p / "trainer_state.json").is_file():
            found.append((int(suffix), p))
    return [p for _, p in sorted(found)]


def _incomplete_checkpoints(output_dir: Path) -> list[Path]:
    done = set(complete_checkpoints(output_dir))
    return sorted(
        p
        for p in output_dir.glob(f"{_CHECKPOINT}*")
        if p.is_dir() and p.name[len(_CHECKPOINT) :].isdigit() and p not in done
    )


def _has_run(output_dir: Path) -> bool:
    return any(output_dir.glob(f"{_CHECKPOINT}*")) or (output_dir / "adapter_config.json").exists()


def plan_training(
    settings: TrainSettings, on_status: Callable[[str], None] | None = None
) -> TrainPlan:
    """Check a run before any weights are loaded.

    Raises:
        DatasetError: see ``load_split``; or no example keeps a completion token within
            ``max_length``.
        BaseModelError: the base model cannot be found or read.
        TargetModulesError: a target module the model does not have.
        DiskSpaceError: not enough room for the checkpoints and the adapter.
        FinetuneError: QLoRA without CUDA or bitsandbytes; an output folder that already holds
            a run (without ``resume`` or ``overwrite``); nothing to resume; bad numbers.
    """
    import torch

    s = settings
    if s.init_adapter:
        s = replace(s, **_adapter_settings(Path(s.init_adapter).expanduser()))
    for name in ("rank", "alpha", "batch_size", "grad_accum", "max_length", "save_steps"):
        if getattr(s, name) < 1:
            raise FinetuneError(f"{name.replace('_', '-')} must be at least 1.")
    if not 0 <= s.dropout < 1:
        raise FinetuneError("dropout must be in [0, 1).")
    if s.max_steps <= 0 and s.epochs <= 0:
        raise FinetuneError("Give a positive number of epochs or max-steps.")
    if s.resume and s.overwrite:
        raise FinetuneError("resume and overwrite exclude each other.")
    cuda = torch.cuda.is_available()
    if s.qlora:
        if not cuda:
            raise FinetuneError(
                "--qlora loads the base in 4 bits with bitsandbytes, which needs a CUDA GPU; none "
                "is visible. On CPU, train a plain LoRA (leave out --qlora)."
            )
        try:
            import bitsandbytes  # noqa: F401
        except ImportError as e:
            raise FinetuneError("--qlora needs bitsandbytes: pip install bitsandbytes") from e

    data = load_split(s.dataset, "train", limit=s.limit)
    out = Path(s.output_dir).expanduser()
    resume_from, set_aside = None, []
    if s.resume:
        checkpoints = complete_checkpoints(out) if out.is_dir() else []
        if not checkpoints:
            raise FinetuneError(
                f"Nothing to resume in {out}: no complete checkpoint-N folder. Start a new run "
                "(leave out --resume)."
            )
        resume_from = checkpoints[-1]
        set_aside = _incomplete_checkpoints(out)
        _check_same_run(out, s)
    elif out.is_dir() and _has_run(out) and not s.overwrite:
        raise FinetuneError(
            f"{out} already holds a training run. Pass --resume to continue it, --overwrite to "
            "start over, or choose another --output-dir."
        )

    source = resolve_base(s.base_model, on_status=on_status)
    info = inspect_base(source)
    targets = target_module_list(info, s.target_modules)
    lora = lora_parameter_count(info, targets, s.rank)
    # adapter (fp32) + AdamW's two moments per checkpoint, plus the final adapter
    per_checkpoint = lora * 4 * 3 + 1_000_000
    needed = per_checkpoint * (max(1, s.save_total_limit) + 1) + lora * 4
    check_disk(out, needed, "the checkpoints and the adapter")
    _check_lengths(data, source, s.max_length)
    return TrainPlan(
        settings=s,
        output_dir=out,
        source=source,
        info=info,
        targets=targets,
        train_rows=len(data),
        tools=dict(tool_counts(data).most_common()),
        lora_parameters=lora,
        resume_from=resume_from,
        set_aside=set_aside,
        cuda=cuda,
        format=data_format(data),
    )


def _adapter_settings(folder: Path) -> dict[str, Any]:
    """The LoRA settings of the adapter in ``folder``, to train on from.

    Raises:
        FinetuneError: no LoRA adapter there.
    """
    path = folder / "adapter_config.json"
    if not path.is_file():
        raise FinetuneError(
            f"--init-adapter {folder}: no adapter_config.json there. Give a folder that "
            "`finetune train` wrote (its --output-dir or a checkpoint-N folder in it)."
        )
    config = json.loads(path.read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA":
        raise FinetuneError(
            f"--init-adapter {folder} holds a {config.get('peft_type')} adapter; only LoRA "
            "adapters can be trained on."
        )
    targets = config.get("target_modules") or ALL_LINEAR
    if not isinstance(targets, str):
        targets = ",".join(sorted(targets))
    return {
        "rank": int(config["r"]),
        "alpha": int(config["lora_alpha"]),
        "dropout": float(config.get("lora_dropout", 0.0)),
        "target_modules": targets,
    }


def _check_same_run(out: Path, s: TrainSettings) -> None:
    path = out / SETTINGS_FILE
    if not path.is_file():
        return
    before = json.loads(path.read_text(encoding="utf-8"))
    for key in ("base_model", "dataset", "rank", "alpha", "target_modules", "max_length"):
        if before.get(key) != getattr(s, key):
            raise FinetuneError(
                f"--resume continues the run in {out}, which was started with {key} = "
                f"{before.get(key)!r}, not {getattr(s, key)!r}. Use the same settings, or "
                "another --output-dir."
            )


def _check_lengths(data: Any, source: BaseSource, max_length: int) -> None:
    """Fail if ``max_length`` leaves no example a completion token to learn from."""
    tokenizer = load_tokenizer(source)
    fits = 0
    for prompt in data["prompt"]:
        ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=True
        )
        ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
        fits += len(ids) < max_length
    if fits == 0:
        raise DatasetError(
            f"Every prompt is at least --max-length {max_length} tokens long: no completion "
            "token would be trained. Raise --max-length."
        )


def train(
    settings: TrainSettings,
    *,
    callbacks: Sequence[Any] = (),
    on_status: Callable[[str], None] | None = None,
    plan: TrainPlan | None = None,
) -> TrainResult:
    """Train a LoRA adapter on the planner examples (see the module docstring).

    Args:
        settings: the run.
        callbacks: extra ``transformers.TrainerCallback`` objects (progress display).
        on_status: called with a message before each slow phase.
        plan: the result of ``plan_training`` if already made.

    Raises:
        FinetuneError: see ``plan_training``.
    """
    import torch

    plan = plan or plan_training(settings, on_status)
    threads = torch.get_num_threads()
    if plan.settings.threads:
        torch.set_num_threads(plan.settings.threads)
    try:
        return _train(plan, callbacks, on_status or (lambda _msg: None))
    finally:
        torch.set_num_threads(threads)


def _train(plan: TrainPlan, callbacks: Sequence[Any], status: Callable[[str], None]) -> TrainResult:
    import torch
    from peft import LoraConfig, prepare_model_for_kbit_training
    from trl import SFTConfig, SFTTrainer

    s, out = plan.settings, plan.output_dir
    out.mkdir(parents=True, exist_ok=True)
    if s.overwrite:
        for p in [*out.glob(f"{_CHECKPOINT}*"), *out.glob("incomplete-checkpoint-*")]:
            shutil.rmtree(p, ignore_errors=True)
        for name in ("adapter_config.json", "adapter_model.safetensors", LOSS_FILE):
            (out / name).unlink(missing_ok=True)
    for p in plan.set_aside:
        target = p.with_name(f"incomplete-{p.name}")
        shutil.rmtree(target, ignore_errors=True)
        p.rename(target)
        status(f"set aside a half-written checkpoint: {p.name} → {target.name}")
    resumed_step = int(plan.resume_from.name[len(_CHECKPOINT) :]) if plan.resume_from else 0
    _truncate_loss_log(out / LOSS_FILE, resumed_step)
    settings_record = {
        **asdict(s),
        "base_folder": str(plan.source.directory),
        "base_gguf": str(plan.source.gguf) if plan.source.gguf else None,
        "architecture": plan.info.architecture,
        "format": plan.format,
    }
    (out / SETTINGS_FILE).write_text(json.dumps(settings_record, indent=2) + "\n", "utf-8")

    status(f"loading {plan.source.describe()}")
    tokenizer = load_tokenizer(plan.source)
    quantization = None
    if s.qlora:
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        quantization = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
        )
    model = load_model(plan.source, quantization_config=quantization)
    if s.qlora:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=s.gradient_checkpointing
        )
    if s.init_adapter:
        from peft import PeftModel

        status(f"training on from the adapter in {s.init_adapter}")
        model = PeftModel.from_pretrained(model, s.init_adapter, is_trainable=True)
    bf16 = plan.cuda and torch.cuda.is_bf16_supported()
    config = SFTConfig(
        output_dir=str(out),
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        learning_rate=s.learning_rate,
        num_train_epochs=s.epochs,
        max_steps=s.max_steps,
        warmup_steps=s.warmup,
        logging_steps=s.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=s.save_steps,
        save_total_limit=s.save_total_limit,
        seed=s.seed,
        data_seed=s.seed,
        max_length=s.max_length,
        completion_only_loss=True,
        packing=False,
        gradient_checkpointing=s.gradient_checkpointing,
        bf16=bf16,
        fp16=plan.cuda and not bf16,
        use_cpu=not plan.cuda,
        report_to="none",
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
    )
    peft_config = (
        None
        if s.init_adapter
        else LoraConfig(
            r=s.rank,
            lora_alpha=s.alpha,
            lora_dropout=s.dropout,
            target_modules=plan.targets,
            bias="none",
            task_type="CAUSAL_LM",
        )
    )
    data = conversational(load_split(s.dataset, "train", limit=s.limit))
    clock = _Clock()
    status("tokenizing")
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=data,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[_LossLog(out / LOSS_FILE), clock, *callbacks],
    )
    trainer.remove_callback(PrinterCallback)  # logs go to loss.jsonl and the caller's callbacks
    status("training")
    trainer.train(resume_from_checkpoint=str(plan.resume_from) if plan.resume_from else None)
    trainer.save_model(str(out))  # the adapter, with the tokenizer and its chat template
    history = trainer.state.log_history
    (out / HISTORY_FILE).write_text(json.dumps(history, indent=2) + "\n", "utf-8")
    losses = [float(h["loss"]) for h in history if "loss" in h]
    result = TrainResult(
        output_dir=out,
        steps=trainer.state.global_step,
        losses=losses,
        seconds=clock.seconds,
        tokens=int(trainer.state.num_input_tokens_seen) - clock.tokens_before,
        resumed_from=plan.resume_from,
    )
    summary = {
        "steps": result.steps,
        "examples": plan.train_rows,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "seconds": round(result.seconds, 2),
        "tokens": result.tokens,
        "tokens_per_second": round(result.tokens_per_second, 1),
        "lora_parameters": plan.lora_parameters,
        "resumed_from": plan.resume_from.name if plan.resume_from else None,
        "device": "cuda" if plan.cuda else f"cpu ({torch.get_num_threads()} threads)",
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    if losses and not all(math.isfinite(x) for x in losses):
        raise FinetuneError(
            f"The training loss is not finite ({losses[-5:]}): lower --learning-rate."
        )
    return result


def _truncate_loss_log(path: Path, step: int) -> None:
    """Drop the lines logged after ``step`` (a resumed run logs those steps again)."""
    if not path.is_file():
        return
    keep = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line).get("step", 0) <= step:
                keep.append(line)
        except json.JSONDecodeError:
            continue  # a line torn by a crash
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{line}\n" for line in keep), encoding="utf-8")
    os.replace(tmp, path)


class _LossLog(TrainerCallback):
    """Appends every log (loss, learning rate, grad norm) to a JSONL file as training goes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        if not logs or not state.is_world_process_zero:
            return
        record = {"step": state.global_step, "epoch": state.epoch, **logs, "time": time.time()}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


class _Clock(TrainerCallback):
    """This run's training time and its first token count (restored from a checkpoint)."""

    def __init__(self) -> None:
        self.start = 0.0
        self.seconds = 0.0
        self.tokens_before = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.start = time.perf_counter()
        self.tokens_before = int(state.num_input_tokens_seen or 0)

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.seconds = time.perf_counter() - self.start
