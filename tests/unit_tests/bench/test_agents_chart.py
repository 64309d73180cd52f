"""bench/agents.py's chart: every agent it can run gets a bar (the run's results are drawn last)."""

from __future__ import annotations

from bench_modules import load_bench

agents = load_bench("agents.py")


def test_every_agent_has_a_label_and_is_drawn(tmp_path) -> None:
    assert set(agents.AGENTS) <= set(agents.LABELS)
    stats = {
        "crash_or_parse_runs": 0, "first_tool_ok": 1, "completed": 1, "answered_text": 1,
        "answer_ok": 1, "runs": 2,
        "labelled": 2, "median_s": 3.0,
    }  # fmt: skip
    summary = {name: dict(stats) for name in ("ahead", "ahead_student", "ahead_year_counts")}
    path = tmp_path / "chart.png"
    agents.plot(summary, path, {"model": "m", "max_steps": 10})
    assert path.stat().st_size > 0
