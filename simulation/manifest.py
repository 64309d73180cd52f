"""``<run>.manifest.json``: what a run file was recorded with, kept beside it as it grows.

A long recording (hundreds of trajectories over days, resumed many times) is committed in parts;
its manifest says how to reproduce and trust it: every command that appended to it (with the
time, its parameters and the records already there), the models (the embedded models' SHA-256
from the registry, or the GGUF file's), and the records by status and by planner model. ``run``
updates it when it starts and when it stops.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_gba._files import atomic_write
from langchain_gba.models import EMBEDDED_MODELS
from simulation.records import read_jsonl

__all__ = ["manifest_path", "model_digest", "update_manifest"]


def manifest_path(run_file: str | os.PathLike[str]) -> Path:
    """``runs/teacher.jsonl`` → ``runs/teacher.manifest.json``."""
    path = Path(run_file)
    return path.with_name(f"{path.stem}.manifest.json")


def model_digest(model: str | None) -> str | None:
    """The SHA-256 of a model: the registry's for an embedded name, the file's for a GGUF path."""
    if model is None:
        return None
    spec = EMBEDDED_MODELS.get(model)
    if spec is not None and spec.parts is not None:
        return spec.parts.sha256
    path = Path(model).expanduser()
    if spec is not None:
        from langchain_gba.models import resolve_model_path

        path = resolve_model_path(model)
    if not path.is_file():
        return None  # a served model's name: the server's command line says which file
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def update_manifest(
    run_file: str | os.PathLike[str],
    *,
    models: dict[str, str | None] | None = None,
    command: str | None = None,
    params: dict[str, Any] | None = None,
) -> Path:
    """Record a ``command`` with its ``params`` and the ``models``; recount the run file.

    ``models`` maps a role (``planner``, ``tools``) to an embedded name, a GGUF path or a served
    model's name; digests already in the manifest are kept, not recomputed.
    """
    path = manifest_path(run_file)
    manifest: dict[str, Any] = {"commands": [], "models": {}}
    if path.is_file():
        manifest = json.loads(path.read_text(encoding="utf-8"))
    records = read_jsonl(run_file) if Path(run_file).is_file() else []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if command is not None:
        params = {k: str(v) if isinstance(v, os.PathLike) else v for k, v in (params or {}).items()}
        manifest["commands"].append(
            {"started": now, "records_before": len(records), "command": command, "params": params}
        )
    for role, model in (models or {}).items():
        known = manifest["models"].get(role, {})
        if known.get("model") != model or "sha256" not in known:
            known = {"model": model, "sha256": model_digest(model)}
        manifest["models"][role] = known
    manifest["records"] = len(records)
    manifest["by_status"] = dict(Counter(str(r.get("status")) for r in records))
    manifest["by_planner_model"] = dict(Counter(str(r.get("planner_model")) for r in records))
    manifest["updated"] = now
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
