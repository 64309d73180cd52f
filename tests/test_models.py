from pathlib import Path

import pytest

from langchain_gba.exceptions import ModelNotFoundError
from langchain_gba.models import EMBEDDED_MODELS, EmbeddedModel, _package_dir, resolve_model_path


def test_embedded_smollm2_resolves_to_the_packaged_file() -> None:
    path = resolve_model_path("smollm2-135m-instruct")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000
    assert path.read_bytes()[:4] == b"GGUF"


def test_gemma_is_assembled_once_into_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GBA_CACHE_DIR", str(tmp_path))
    first = resolve_model_path("gemma-3-270m")
    assert first.parent == tmp_path and first.read_bytes()[:4] == b"GGUF"
    mtime = first.stat().st_mtime_ns
    assert resolve_model_path("gemma-3-270m").stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob("*.part"))


def test_local_path_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    assert resolve_model_path(f) == f


def test_unknown_name_lists_the_embedded_models() -> None:
    with pytest.raises(ModelNotFoundError, match="smollm2-135m-instruct"):
        resolve_model_path("gpt-17")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="No GGUF file"):
        resolve_model_path(tmp_path / "absent.gguf")


def test_missing_package_names_the_pip_command() -> None:
    spec = EmbeddedModel(
        name="x",
        package="no-such-model-pkg",
        module="no_such_model_pkg",
        filename="x.gguf",
        instruct=True,
    )
    with pytest.raises(ModelNotFoundError, match="pip install no-such-model-pkg"):
        _package_dir(spec)


def test_registry_names_instruct_and_base_models() -> None:
    assert EMBEDDED_MODELS["smollm2-135m-instruct"].instruct
    assert not EMBEDDED_MODELS["gemma-3-270m"].instruct
