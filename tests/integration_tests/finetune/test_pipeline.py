"""train → merge → export → ChatLlamaCpp, for real: a tiny run on SmolLM2-135M (see conftest)."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from langchain_core.messages import HumanMessage

from finetune.accuracy import evaluate_planner, majority_baseline, tool_names
from finetune.data import load_split
from finetune.export import DEFAULT_TOOLS, check_gguf
from finetune.train import complete_checkpoints, train
from langchain_gba import ChatLlamaCpp
from langchain_gba.planner import PLAN_FIELDS

STEPS = 4  # the session's training run (conftest)


def test_training_writes_adapter_checkpoints_and_a_loss_log(trained):
    out = trained.output_dir
    assert trained.steps == STEPS
    assert len(trained.losses) == STEPS and all(math.isfinite(x) for x in trained.losses)
    assert trained.tokens > 0 and trained.tokens_per_second > 0
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer_config.json"):
        assert (out / name).is_file(), name
    assert [p.name for p in complete_checkpoints(out)] == ["checkpoint-2", "checkpoint-4"]
    logged = [json.loads(line) for line in (out / "loss.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "loss" in r] == list(range(1, STEPS + 1))
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["loss_first"] == trained.losses[0] and summary["steps"] == STEPS
    adapter = json.loads((out / "adapter_config.json").read_text())
    assert adapter["r"] == 4 and adapter["lora_alpha"] == 8


def test_loss_is_on_the_completion_only(trained):
    import torch

    args = torch.load(trained.output_dir / "checkpoint-2" / "training_args.bin", weights_only=False)
    assert args.completion_only_loss is True and args.max_length == 192


def test_training_text_is_what_the_planner_sees(trained, dataset_dir):
    """The chat template trl applies (saved with the adapter) renders the prompt to the same
    tokens ChatLlamaCpp evaluates when FineTunedPlanner sends it."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(trained.output_dir))
    llm = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=8)
    for prompt in load_split(dataset_dir, "train")["prompt"][:3]:
        turn = [{"role": "user", "content": prompt}]
        text = tokenizer.apply_chat_template(turn, add_generation_prompt=True, tokenize=False)
        assert text == llm.render_prompt([HumanMessage(prompt)])
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == llm.get_token_ids(text)


def test_resume_continues_from_the_last_complete_checkpoint(
    trained, dataset_dir, train_settings, tmp_path
):
    """A run killed after checkpoint 2, in the middle of saving checkpoint 3, resumes at 2."""
    run = tmp_path / "run"
    run.mkdir()
    for name in ("train_settings.json", "loss.jsonl"):
        shutil.copy(trained.output_dir / name, run / name)
    shutil.copytree(trained.output_dir / "checkpoint-2", run / "checkpoint-2")
    torn = run / "checkpoint-3"
    torn.mkdir()
    (torn / "adapter_model.safetensors").write_bytes(b"\0" * 64)  # no trainer_state.json
    resumed = train(train_settings(dataset_dir, run, resume=True))
    assert resumed.resumed_from == run / "checkpoint-2"
    assert resumed.steps == STEPS
    assert (run / "incomplete-checkpoint-3").is_dir() and not torn.exists()
    logged = [json.loads(line) for line in (run / "loss.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "loss" in r] == list(range(1, STEPS + 1))  # no repeats
    assert 0 < resumed.tokens < trained.tokens  # this run did steps 3 and 4 only
    # the restored RNG and data order make the resumed steps those of the first run
    assert resumed.losses[-1] == pytest.approx(trained.losses[-1], rel=1e-3)


def test_training_on_from_an_adapter_starts_from_its_weights(
    trained, dataset_dir, train_settings, tmp_path
):
    """--init-adapter keeps the adapter's shape and starts from its weights: one step at a
    learning rate too small to move them leaves them as they were (a fresh LoRA starts with
    B = 0), and the first loss is the trained adapter's, below the untrained first loss."""
    from safetensors.torch import load_file

    before = load_file(trained.output_dir / "adapter_model.safetensors")
    run = train(
        train_settings(
            dataset_dir, tmp_path / "on", init_adapter=str(trained.output_dir), rank=8,
            max_steps=1, learning_rate=1e-12,
        )
    )  # fmt: skip
    after = load_file(run.output_dir / "adapter_model.safetensors")
    assert json.loads((run.output_dir / "adapter_config.json").read_text())["r"] == 4
    assert set(after) == set(before)
    b = next(k for k in before if "lora_B" in k)
    assert before[b].abs().sum() > 0
    for key, value in before.items():
        assert after[key].allclose(value, atol=1e-6), key
    assert run.losses[0] < trained.losses[0]


def test_merged_model_exports_to_gguf_that_plans_a_valid_step(merged, exported):
    assert (merged / "config.json").is_file() and (merged / "tokenizer.json").is_file()
    assert "<|im_start|>" in (merged / "chat_template.jinja").read_text()
    assert set(exported.files) == {"f16", "q8_0"}
    assert exported.files["q8_0"].stat().st_size < exported.files["f16"].stat().st_size
    check = check_gguf(exported.files["q8_0"], episode=True, episode_steps=1)
    assert tuple(check.step) == PLAN_FIELDS
    assert check.step["selected_tool"] in DEFAULT_TOOLS and check.step["task"]
    assert check.episode is not None
    assert check.episode["status"] in ("answered", "incomplete")
    assert check.episode["tools"]


def test_the_check_of_a_plan_ahead_model_plans_ahead():
    """A GGUF of a student trained on plans is checked by planning ahead (the base model here:
    the grammar makes any model's plan valid)."""
    from langchain_gba.models import resolve_model_path

    path = resolve_model_path("smollm2-135m-instruct")
    check = check_gguf(path, request="What is 17% of 2,340?", plans_ahead=True)
    assert set(check.step) == {"thoughts", "steps"}
    assert all(s["tool"] in DEFAULT_TOOLS and s["task"] for s in check.step["steps"])


def test_tool_accuracy_on_the_held_out_split(exported, dataset_dir):
    names = tool_names(dataset_dir, DEFAULT_TOOLS)
    report = evaluate_planner(str(exported.files["q8_0"]), dataset_dir, tools=names, limit=2)
    assert report.examples == 2 and 0 <= report.correct <= 2
    assert all(p["predicted"] in names for p in report.predictions)
    assert sum(v["n"] for v in report.per_tool.values()) == 2
    tool, floor = majority_baseline(dataset_dir)
    assert tool in names and 0 <= floor <= 1


def test_evaluate_command_writes_a_table_and_json(exported, dataset_dir, tmp_path):
    from typer.testing import CliRunner

    from finetune.cli import app

    out = tmp_path / "accuracy.json"
    result = CliRunner().invoke(
        app,
        ["evaluate", str(dataset_dir), "--model", str(exported.files["q8_0"]), "--limit", "1",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "training majority" in result.output
    report = json.loads(out.read_text())
    assert report["planners"][0]["examples"] == 1
    assert 0 <= report["majority_accuracy"] <= 1 and "final_answer" in report["tools"]
