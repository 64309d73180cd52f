"""Tools by name: the built-in ones and an app's own, imported from a module or a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_gba.exceptions import AgentConfigError
from langchain_gba.tools.registry import import_tools, load_tools

ASSISTANT = Path(__file__).parents[3] / "examples" / "assistant.py"


def test_an_apps_tools_come_from_a_file_beside_the_built_in_ones():
    tools = load_tools(["calculator", f"{ASSISTANT}:simulation_tools"])
    assert [t.name for t in tools] == ["calculate_number", "create_event", "send_email"]
    assert "recipient" in tools[2].tool_call_schema.model_json_schema()["properties"]


def test_a_module_attribute_that_is_one_tool(tmp_path, monkeypatch):
    (tmp_path / "my_app_tools.py").write_text(
        "from langchain_core.tools import tool\n\n"
        "@tool\ndef shout(text: str) -> str:\n    '''Say it louder.'''\n    return text.upper()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    [shout] = import_tools("my_app_tools:shout")
    assert shout.invoke({"text": "hi"}) == "HI"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_such_module_xyz:tools", "cannot import no_such_module_xyz"),
        ("json:no_such_thing", "has no 'no_such_thing'"),
        ("json:dumps", r"dumps\(\) with no arguments failed"),
        ("json:__doc__", "not a tool or a list of tools"),
        ("missing/file.py:tools", "no file missing/file.py"),
        ("sensor", "Unknown tool 'sensor'"),
    ],
)
def test_a_spec_that_gives_no_tools_says_what_is_wrong(spec, says):
    with pytest.raises(AgentConfigError, match=says):
        load_tools([spec])
