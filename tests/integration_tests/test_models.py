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


# -- models split into data-only part wheels (Qwen2.5-Coder) ----------------------------------

import hashlib  # noqa: E402

from langchain_gba.models import ModelParts, _assemble_parts, assemble_parts  # noqa: E402


def _parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, chunk in enumerate(chunks, start=1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    return paths


def test_parts_are_concatenated_and_checked(tmp_path: Path) -> None:
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 3]
    whole = b"".join(chunks)
    target = tmp_path / "m.gguf"
    digest = hashlib.sha256(whole).hexdigest()
    assemble_parts(_parts(tmp_path, chunks), target, size=len(whole), sha256=digest)
    assert target.read_bytes() == whole
    assert not list(tmp_path.glob(".m.gguf.*"))  # no temporary file left


def test_a_corrupted_part_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 777]
    digest = hashlib.sha256(b"".join(chunks)).hexdigest()
    sources = _parts(tmp_path, chunks)
    corrupted = bytearray(sources[1].read_bytes())
    corrupted[10] ^= 0xFF  # one flipped byte, same size
    sources[1].write_bytes(bytes(corrupted))
    target = tmp_path / "m.gguf"
    with pytest.raises(ModelNotFoundError, match="Refusing m.gguf.*sha256.*force-reinstall"):
        assemble_parts(sources, target, size=1781, sha256=digest)
    assert not target.exists()
    assert not list(tmp_path.glob(".m.gguf.*"))


def test_a_missing_part_package_names_the_extra(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GBA_CACHE_DIR", str(tmp_path))
    spec = EmbeddedModel(
        name="split-model",
        package="no-such-split-part1",
        module="no_such_split_part",
        filename="split.gguf",
        instruct=True,
        parts=ModelParts(
            dist="no-such-split-part", version="1.0", count=2, size=10, sha256="0", extra="split"
        ),
    )
    with pytest.raises(ModelNotFoundError, match=r"pip install 'langchain-gba\[split\]'"):
        _assemble_parts(spec)


def test_the_qwen_models_are_registered_with_their_checks() -> None:
    for name, extra, count in (
        ("qwen2.5-coder-0.5b-instruct", "qwen-0-5b", 6),
        ("qwen2.5-coder-1.5b-instruct", "qwen-1-5b", 22),
    ):
        spec = EMBEDDED_MODELS[name]
        assert spec.instruct and spec.parts is not None
        assert spec.parts.extra == extra and spec.parts.count == count
        assert len(spec.parts.sha256) == 64


def test_qwen_0_5b_resolves_from_its_installed_parts(tmp_path: Path, monkeypatch) -> None:
    """The real part wheels, found through their metadata, assembled and verified once."""
    monkeypatch.setenv("GBA_CACHE_DIR", str(tmp_path))
    path = resolve_model_path("qwen2.5-coder-0.5b-instruct")
    assert path.parent == tmp_path and path.stat().st_size == 491_400_064
    assert path.read_bytes()[:4] == b"GGUF"
    stamp = path.stat().st_mtime_ns
    assert resolve_model_path("qwen2.5-coder-0.5b-instruct").stat().st_mtime_ns == stamp
    with path.open("r+b") as f:  # tampered after assembly: checked again and rebuilt
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    rebuilt = resolve_model_path("qwen2.5-coder-0.5b-instruct")
    assert hashlib.sha256(rebuilt.read_bytes()).hexdigest() == (
        EMBEDDED_MODELS["qwen2.5-coder-0.5b-instruct"].parts.sha256  # type: ignore[union-attr]
    )
