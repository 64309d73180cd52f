"""bench/model_speed.py on the real 135M model: it loads, evaluates, decodes and reports."""

from __future__ import annotations

import json
import sys

from bench_modules import load_bench

model_speed = load_bench("model_speed.py")


def test_model_speed_reports_prompt_and_decode_rates(tmp_path, monkeypatch) -> None:
    argv = ["model_speed.py", "--models", "smollm2-135m-instruct", "--runs", "1", "--decode", "4",
            "--out", str(tmp_path)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    model_speed.main()
    report = json.loads((tmp_path / "model-speed.json").read_text())
    (row,) = report["rows"]
    assert row["model"] == "smollm2-135m-instruct"
    assert row["prompt_tokens"] > 100  # the planner's system prompt
    assert row["prompt_tok_s"] > 0 and row["decode_tok_s"] > 0
    assert row["decode_time_ratio"] == 1.0  # the first model is the reference
    assert "| smollm2-135m-instruct |" in (tmp_path / "model-speed.md").read_text()
