"""soup: LoRA adapters averaged exactly into one, exported and planning on the embedded base."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from finetune.cli import app
from finetune.errors import ExportError, FinetuneError
from finetune.export import DEFAULT_TOOLS
from finetune.lora import export_lora, lora_converter
from finetune.soup import soup_adapters
from langchain_gba.planner import PLAN_FIELDS, FineTunedPlanner
from langchain_gba.planner.fine_tuned import fine_tuned_planner_model


def _delta(folder, module: str) -> torch.Tensor:  # type: ignore[no-untyped-def]
    """The weight update an adapter folder adds to ``module``: (alpha / r) · B A."""
    config = json.loads((folder / "adapter_config.json").read_text())
    tensors = load_file(folder / "adapter_model.safetensors")
    a, b = tensors[f"{module}.lora_A.weight"], tensors[f"{module}.lora_B.weight"]
    return config["lora_alpha"] / config["r"] * (b @ a)


def test_the_soup_adds_the_weighted_updates_of_its_parts(trained, tmp_path):
    parts = [trained.output_dir / "checkpoint-2", trained.output_dir]
    out = soup_adapters(parts, tmp_path / "soup", weights=[0.25, 0.75])
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 8 and config["lora_alpha"] == 8  # two rank-4 adapters stacked
    modules = {k.rsplit(".lora_", 1)[0] for k in load_file(out / "adapter_model.safetensors")}
    assert len(modules) > 10
    for module in sorted(modules):
        expected = 0.25 * _delta(parts[0], module) + 0.75 * _delta(parts[1], module)
        assert torch.allclose(_delta(out, module), expected, atol=1e-6), module
        assert not torch.allclose(expected, _delta(parts[1], module))  # the two differ
    settings = json.loads((out / "train_settings.json").read_text())
    assert settings["base_model"] == "smollm2-135m-instruct"
    assert [p["weight"] for p in settings["soup"]] == [0.25, 0.75]


def test_the_exported_soup_plans_a_valid_step(trained, tmp_path):
    try:
        lora_converter()
    except ExportError as e:
        pytest.skip(f"{e} (make install-dev unpacks it)")
    result = CliRunner().invoke(
        app,
        ["soup", str(trained.output_dir / "checkpoint-2"), str(trained.output_dir),
         "--out", str(tmp_path / "soup")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path, card = export_lora(tmp_path / "soup", tmp_path / "souped.gguf")
    assert card["rank"] == 8 and len(card["training"]["soup"]) == 2
    assert [p["weight"] for p in card["training"]["soup"]] == [0.5, 0.5]
    llm = fine_tuned_planner_model("souped", directory=str(tmp_path), merge=False, max_tokens=256)
    step = FineTunedPlanner(llm).plan("What is 17% of 2,340?", [], [(t, t) for t in DEFAULT_TOOLS])
    assert tuple(step.model_dump()) == PLAN_FIELDS and step.selected_tool in DEFAULT_TOOLS


def test_adapters_that_cannot_be_averaged_are_refused_with_the_reason(trained, tmp_path):
    ckpt = trained.output_dir / "checkpoint-2"
    with pytest.raises(FinetuneError, match="two or more"):
        soup_adapters([ckpt], tmp_path / "a")
    with pytest.raises(FinetuneError, match="1 weights for 2 adapters"):
        soup_adapters([ckpt, trained.output_dir], tmp_path / "a", weights=[1.0])
    with pytest.raises(FinetuneError, match="not a LoRA adapter folder"):
        soup_adapters([ckpt, tmp_path], tmp_path / "a")
    other = tmp_path / "other"
    shutil.copytree(ckpt, other)
    config = json.loads((other / "adapter_config.json").read_text())
    (other / "adapter_config.json").write_text(
        json.dumps({**config, "base_model_name_or_path": "another-model"})
    )
    with pytest.raises(FinetuneError, match="base_model_name_or_path"):
        soup_adapters([ckpt, other], tmp_path / "a")
    (other / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(FinetuneError, match="use_dora"):
        soup_adapters([ckpt, other], tmp_path / "a")
    (other / "adapter_config.json").write_text(json.dumps(config))
    (other / "train_settings.json").write_text(json.dumps({"format": "ahead"}))
    with pytest.raises(FinetuneError, match="different formats"):
        soup_adapters([ckpt, other], tmp_path / "a")
    soup_adapters([ckpt, trained.output_dir], tmp_path / "a")
    with pytest.raises(FinetuneError, match="--overwrite"):
        soup_adapters([ckpt, trained.output_dir], tmp_path / "a")
