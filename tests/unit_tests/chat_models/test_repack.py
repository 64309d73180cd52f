"""The guard against llama.cpp builds that crash repacking weights: real subprocesses, no model."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest

from langchain_gba.chat_models import _repack
from langchain_gba.chat_models._llama import physical_cores

CRASH = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in model file, with the verdicts kept in ``tmp_path``."""
    monkeypatch.setenv("GBA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(_repack.REPACK_ENV, raising=False)
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    return path


def verdicts(tmp_path: Path) -> dict[str, bool]:
    return json.loads((tmp_path / "cache" / "llama-repack.json").read_text())


def test_a_crashing_load_turns_repacking_off_with_a_warning(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_repack, "_PROBE", CRASH)
    with caplog.at_level(logging.WARNING):
        assert _repack.repack_works(model) is False
    assert "crashed repacking the weights of model.gguf" in caplog.text
    assert "GBA_LLAMA_REPACK=1" in caplog.text
    assert list(verdicts(tmp_path).values()) == [False]
    assert _repack.server_command(model)[:2] == [sys.executable, "-c"]


def test_a_working_load_keeps_repacking_and_the_verdict_is_cached(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_repack, "_PROBE", "pass")
    assert _repack.repack_works(model) is True
    monkeypatch.setattr(_repack, "_PROBE", CRASH)  # not run again: the verdict is kept
    assert _repack.repack_works(model) is True
    assert list(verdicts(tmp_path).values()) == [True]
    assert _repack.server_command(model) == [sys.executable, "-m", "llama_cpp.server"]


def test_a_failing_check_is_no_verdict(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_repack, "_PROBE", "raise SystemExit(3)")  # e.g. an unreadable file
    assert _repack.repack_works(model) is True  # llama.cpp's default
    assert not (tmp_path / "cache" / "llama-repack.json").exists()


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("off", False), ("1", True)])
def test_the_environment_forces_it_without_a_check(
    model: Path, monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv(_repack.REPACK_ENV, value)
    monkeypatch.setattr(_repack, "_PROBE", CRASH if expected else "pass")
    assert _repack.repack_works(model) is expected


def test_no_repack_sets_the_model_parameter_and_undoes_it() -> None:
    import llama_cpp.llama_cpp as lib

    before = lib.llama_model_default_params
    with _repack.no_repack():
        assert lib.llama_model_default_params().use_extra_bufts is False
    assert lib.llama_model_default_params is before
    assert lib.llama_model_default_params().use_extra_bufts is True


def test_decoding_threads_are_one_per_core() -> None:
    assert 1 <= physical_cores() <= len(os.sched_getaffinity(0))


def test_the_environment_sets_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_gba.chat_models._llama import THREADS_ENV, default_threads

    monkeypatch.setenv(THREADS_ENV, "3")
    assert default_threads() == 3
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(ValueError, match="GBA_LLAMA_THREADS must be a whole number"):
        default_threads()
    monkeypatch.delenv(THREADS_ENV)
    assert default_threads() == physical_cores()
