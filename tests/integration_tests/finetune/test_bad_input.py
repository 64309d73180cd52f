"""Bad input is refused before any training starts, with a message that says what to do."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from finetune.base import inspect_base, resolve_base, target_module_list
from finetune.cli import app
from finetune.data import load_split
from finetune.disk import check_disk
from finetune.errors import (
    BaseModelError,
    DatasetError,
    DiskSpaceError,
    ExportError,
    FinetuneError,
    TargetModulesError,
)
from finetune.export import export_gguf
from finetune.merge import merge
from finetune.train import plan_training
from simulation.export import examples_from


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_incomplete_trajectories_are_exported_only_when_asked(records):
    runs, judged = records
    assert {r["status"] for r in runs} == {"answered", "incomplete"}
    assert examples_from(runs, judged, threshold=1) != []  # the answered ones
    every = examples_from(runs, judged, threshold=1, include_incomplete=True)
    assert len(every) == sum(len(r["steps"]) for r in runs)
    assert examples_from(runs, judged, threshold=5, include_incomplete=True) == [
        e
        for e in every
        if e["trajectory"] not in {r["id"] for r in runs if r["status"] == "answered"}
    ]


def test_missing_dataset_points_to_the_export(tmp_path):
    with pytest.raises(DatasetError, match="python -m simulation export"):
        load_split(tmp_path / "nowhere")
    code, out = cli("train", str(tmp_path / "nowhere"), "--output-dir", str(tmp_path / "o"))
    assert code == 2 and "No dataset at" in out and "python -m simulation export" in out


def test_wrong_columns_are_named(tmp_path):
    bad = write_jsonl(tmp_path / "train.jsonl", [{"text": "hello", "label": 1}])
    with pytest.raises(DatasetError, match=r"missing: prompt, completion"):
        load_split(bad)


def test_a_completion_that_is_not_a_step_is_found_by_row(tmp_path, dataset_dir):
    good = load_split(dataset_dir)[0]
    rows = [good, {**good, "completion": '{"answer": "42"}'}]
    with pytest.raises(DatasetError, match=r"Row 1 .*selected_tool"):
        load_split(write_jsonl(tmp_path / "train.jsonl", rows))
    rows[1]["completion"] = "not json"
    with pytest.raises(DatasetError, match="Row 1"):
        load_split(write_jsonl(tmp_path / "train2.jsonl", rows))


def test_empty_and_missing_splits(tmp_path, dataset_dir):
    good = load_split(dataset_dir)[0]
    with pytest.raises(DatasetError, match="empty"):
        load_split(write_jsonl(tmp_path / "t.jsonl", [good]), limit=0)
    with pytest.raises(DatasetError, match="no 'validation' split"):
        load_split(dataset_dir, "validation")


def test_base_model_not_found(tmp_path):
    with pytest.raises(BaseModelError, match="smollm2-135m-instruct"):
        resolve_base("no-such-model")
    with pytest.raises(BaseModelError, match="no config.json"):
        resolve_base(tmp_path)
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(BaseModelError, match="not a GGUF file"):
        resolve_base(fake)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    with pytest.raises(BaseModelError, match="merge it first"):
        resolve_base(adapter)


def test_unloadable_base_model(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "no-such-architecture"}')
    with pytest.raises(BaseModelError, match="Cannot load the base model"):
        inspect_base(resolve_base(tmp_path))


def test_unknown_target_module_lists_the_real_ones(dataset_dir, tmp_path):
    info = inspect_base(resolve_base("smollm2-135m-instruct"))
    assert target_module_list(info, "q_proj, v_proj") == ["q_proj", "v_proj"]
    assert target_module_list(info, "all-linear") == "all-linear"
    with pytest.raises(TargetModulesError, match=r"'qkv_proj'.*q_proj.*v_proj"):
        target_module_list(info, "q_proj,qkv_proj")
    code, out = cli(
        "train", str(dataset_dir), "--output-dir", str(tmp_path / "o"),
        "--target-modules", "attention",
    )  # fmt: skip
    assert code == 2 and "no linear layer named 'attention'" in out and "o_proj" in out
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_qlora_needs_cuda(dataset_dir, tmp_path, train_settings):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    with pytest.raises(FinetuneError, match="CUDA"):
        plan_training(train_settings(dataset_dir, tmp_path / "o", qlora=True))


def test_an_earlier_run_is_not_overwritten_silently(trained, dataset_dir, train_settings, tmp_path):
    with pytest.raises(FinetuneError, match="--resume .* --overwrite"):
        plan_training(train_settings(dataset_dir, trained.output_dir))
    with pytest.raises(FinetuneError, match="Nothing to resume"):
        plan_training(train_settings(dataset_dir, tmp_path / "empty", resume=True))
    with pytest.raises(FinetuneError, match="started with rank = 4"):
        plan_training(train_settings(dataset_dir, trained.output_dir, resume=True, rank=8))


def test_training_on_from_what_is_not_an_adapter(dataset_dir, train_settings, tmp_path):
    with pytest.raises(FinetuneError, match="no adapter_config.json there"):
        plan_training(train_settings(dataset_dir, tmp_path / "o", init_adapter=str(tmp_path)))


def test_max_length_that_leaves_nothing_to_learn(dataset_dir, train_settings, tmp_path):
    with pytest.raises(DatasetError, match="Raise --max-length"):
        plan_training(train_settings(dataset_dir, tmp_path / "o", max_length=8))


def test_full_disk_is_reported_with_the_estimate(tmp_path):
    with pytest.raises(DiskSpaceError, match=r"needed, .* free"):
        check_disk(tmp_path, 10**18, "the merged model")


def test_merge_and_export_refuse_the_wrong_folders(tmp_path, trained, merged):
    with pytest.raises(FinetuneError, match="not a LoRA adapter folder"):
        merge(tmp_path, tmp_path / "out")
    with pytest.raises(ExportError, match="merge"):
        export_gguf(trained.output_dir, tmp_path / "gguf")
    with pytest.raises(ExportError, match="No converter script"):
        export_gguf(merged, tmp_path / "gguf", converter=tmp_path / "x.py")
    with pytest.raises(ExportError, match="Unknown GGUF type"):
        export_gguf(merged, tmp_path / "gguf", types=["q3"])
