from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from langchain_gba.tools.search.wikipedia.cli import index_app

runner = CliRunner()


def test_build_info_query(tmp_path: Path, small_corpus) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"title": d.title, "text": d.text, "url": d.url}) for d in small_corpus[:12]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "idx"
    result = runner.invoke(index_app, ["build", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Indexed 12 documents" in result.output and (out / "meta.json").is_file()

    result = runner.invoke(index_app, ["info", str(out)])
    assert result.exit_code == 0, result.output
    assert "all-MiniLM-L6-v2" in result.output and "48 B/vector" in result.output

    result = runner.invoke(index_app, ["query", "tallest mountain", "-i", str(out), "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout.splitlines()[0])
    assert first["title"] == "Mount Everest" and first["url"].endswith("/Mount_Everest")


def test_errors_exit_nonzero(tmp_path: Path) -> None:
    result = runner.invoke(index_app, ["info", str(tmp_path / "none")])
    assert result.exit_code == 1 and "No index at" in result.output
    result = runner.invoke(index_app, ["build", str(tmp_path / "missing.jsonl"), "-o", "x"])
    assert result.exit_code == 1 and "No corpus file" in result.output


def test_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langchain_gba.tools.search.wikipedia.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "build" in done.stdout and "query" in done.stdout
