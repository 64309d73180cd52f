"""export-lora: the trained adapter as a GGUF that llama.cpp applies to the embedded base model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from finetune.errors import ExportError
from finetune.export import DEFAULT_TOOLS
from finetune.lora import export_lora, lora_converter
from langchain_gba._files import sha256_file
from langchain_gba.exceptions import ModelNotFoundError
from langchain_gba.models import resolve_model_path
from langchain_gba.planner import PLAN_FIELDS, FineTunedPlanner
from langchain_gba.planner.fine_tuned import fine_tuned_planner_model, shipped_planners


def _converter_or_skip() -> None:
    try:
        lora_converter()
    except ExportError as e:
        pytest.skip(f"{e} (make install-dev unpacks it)")


@pytest.fixture(scope="module")
def adapter(trained, tmp_path_factory):  # type: ignore[no-untyped-def]
    _converter_or_skip()
    out = tmp_path_factory.mktemp("adapters") / "tiny-planner.gguf"
    return export_lora(trained.output_dir, out, outtype="q8_0")


def test_the_adapter_is_small_and_its_card_names_the_base(adapter, trained):
    path, card = adapter
    assert path.is_file() and path.read_bytes()[:4] == b"GGUF"
    assert path.stat().st_size < 3_000_000  # r=4 on SmolLM2-135M's linear layers: ~1.9 MB
    saved = json.loads(path.with_suffix(".json").read_text())
    assert saved == card and card["adapter"] == path.name
    assert card["base_model"] == "smollm2-135m-instruct" and card["rank"] == 4
    assert card["adapter_sha256"] == sha256_file(path)
    assert card["base_gguf_sha256"] == sha256_file(resolve_model_path("smollm2-135m-instruct"))
    assert card["summary"]["steps"] == 4 and card["summary"]["examples"] > 0  # the training run
    assert "checkpoint" not in card


def test_a_checkpoints_card_names_its_step(trained, tmp_path):
    _converter_or_skip()
    _, card = export_lora(trained.output_dir / "checkpoint-2", tmp_path / "ckpt.gguf")
    assert card["checkpoint"]["name"] == "checkpoint-2" and card["checkpoint"]["step"] == 2
    assert card["checkpoint"]["epoch"] > 0 and card["summary"]["steps"] == 4


def test_the_adapter_on_its_base_plans_a_valid_step_and_changes_the_model(adapter):
    path, _ = adapter
    assert list(shipped_planners(path.parent)) == ["tiny-planner"]
    llm = fine_tuned_planner_model(
        "tiny-planner", directory=path.parent, merge=False, max_tokens=256
    )
    assert llm.lora_path == str(path)
    step = FineTunedPlanner(llm).plan("What is 17% of 2,340?", [], [(t, t) for t in DEFAULT_TOOLS])
    assert tuple(step.model_dump()) == PLAN_FIELDS and step.selected_tool in DEFAULT_TOOLS
    # the adapter is applied: the next-token distribution differs from the bare base model's
    from langchain_gba import ChatLlamaCpp

    base = ChatLlamaCpp(model="smollm2-135m-instruct", context="lora-check")
    tuned = ChatLlamaCpp(model="smollm2-135m-instruct", lora_path=str(path), context="lora-check")
    prompt = b"The capital of France is"
    logits = []
    for model in (base, tuned):
        llama = model.loaded.llama
        llama.reset()
        llama.eval(llama.tokenize(prompt))
        last = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),))
        logits.append(last.copy())
    assert np.abs(logits[0]).max() > 0 and not np.allclose(logits[0], logits[1])


def test_a_shipped_planner_that_is_not_there_is_named(tmp_path):
    with pytest.raises(ModelNotFoundError, match="No shipped fine-tuned planner 'nope'"):
        fine_tuned_planner_model("nope", directory=tmp_path)


def test_export_lora_refuses_what_is_not_an_adapter(tmp_path, merged, trained):
    with pytest.raises(ExportError, match="not a LoRA adapter folder"):
        export_lora(merged, tmp_path / "x.gguf")
    with pytest.raises(ExportError, match="should end in .gguf"):
        export_lora(trained.output_dir, tmp_path / "x.bin")
    with pytest.raises(ExportError, match="Unknown adapter type"):
        export_lora(trained.output_dir, tmp_path / "x.gguf", outtype="q4_0")
    with pytest.raises(ExportError, match="No converter script"):
        export_lora(trained.output_dir, tmp_path / "x.gguf", converter=tmp_path / "none.py")


def test_a_missing_lora_file_is_a_clear_error(tmp_path):
    from langchain_gba import ChatLlamaCpp

    with pytest.raises(ModelNotFoundError, match="No LoRA adapter at"):
        ChatLlamaCpp(model="smollm2-135m-instruct", lora_path=str(tmp_path / "gone.gguf"))


def test_the_converter_log_is_kept_when_it_fails(trained, tmp_path):
    _converter_or_skip()
    broken = tmp_path / "adapter"
    shutil.copytree(trained.output_dir, broken)
    (broken / "adapter_model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ExportError, match="The LoRA converter failed"):
        export_lora(broken, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()
