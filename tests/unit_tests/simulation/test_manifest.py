from __future__ import annotations

import hashlib
import json
from pathlib import Path

from langchain_gba.models import EMBEDDED_MODELS
from simulation.manifest import manifest_path, model_digest, update_manifest


def test_manifest_records_commands_models_and_counts(tmp_path: Path) -> None:
    run = tmp_path / "teacher.jsonl"
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF fake weights")
    update_manifest(
        run, models={"planner": str(gguf), "tools": "local"}, command="run", params={"n": 1}
    )
    run.write_text(
        "".join(json.dumps({"id": i, "status": s, "planner_model": "m.gguf"}) + "\n"
                for i, s in enumerate(["answered", "answered", "incomplete"]))
    )  # fmt: skip
    path = update_manifest(run, command="run", params={"out": tmp_path / "x.jsonl"})
    assert path == manifest_path(run) == tmp_path / "teacher.manifest.json"
    manifest = json.loads(path.read_text())
    assert [c["params"] for c in manifest["commands"]] == [
        {"n": 1},
        {"out": str(tmp_path / "x.jsonl")},
    ]
    assert [c["records_before"] for c in manifest["commands"]] == [0, 3]
    assert (
        manifest["models"]["planner"]["sha256"] == hashlib.sha256(b"GGUF fake weights").hexdigest()
    )
    assert manifest["models"]["tools"] == {"model": "local", "sha256": None}
    assert manifest["records"] == 3
    assert manifest["by_status"] == {"answered": 2, "incomplete": 1}


def test_embedded_models_take_the_registry_digest() -> None:
    parts = EMBEDDED_MODELS["qwen2.5-coder-1.5b-instruct"].parts
    assert parts is not None
    assert model_digest("qwen2.5-coder-1.5b-instruct") == parts.sha256
    assert model_digest(None) is None
