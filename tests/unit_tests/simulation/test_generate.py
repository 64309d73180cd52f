"""Generated requests: a kind per key, grounded in passages, filtered; the hinted teacher."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from scripted import ScriptedChatModel

from langchain_gba.prompts import KIND_HINT, KIND_HINTS, REQUEST_KINDS, request_slots
from simulation.generate import DEFAULT_MIX, KINDS, generate_requests, requests_schema, usable
from simulation.runner import HintedPlanner, kind_hints, make_planner

TOOLS = [("search_wikipedia", "Search Wikipedia."), ("calculate_number", "Calculate.")]


def test_the_schema_has_one_key_per_request_of_the_mix_in_order():
    schema = requests_schema(DEFAULT_MIX, max_steps=0)
    keys = [key for key, _ in request_slots(DEFAULT_MIX)]
    assert list(schema["properties"]) == keys == schema["required"]
    assert keys[1:3] == ["request_for_one_fact", "request_for_one_fact_2"]
    assert schema["properties"][keys[0]]["type"] == "string"  # no steps: the request alone
    with_steps = requests_schema(["direct"], max_steps=2)["properties"][
        "request_answered_without_tools"
    ]
    assert with_steps["properties"]["steps"]["maxItems"] == 2
    with pytest.raises(ValueError, match="Unknown request kinds"):
        requests_schema(["lookup"])
    assert set(KINDS) == set(REQUEST_KINDS) == set(KIND_HINTS)


@pytest.mark.parametrize(
    ("kind", "text", "ok"),
    [
        ("single_step", "Who founded the city of Lisbon?", True),
        ("single_step", "What is the name of the philosopher in passage B?", False),
        ("calculation", "What is 12 times 7?", True),
        ("calculation", "How much do I pay in total for the shoes?", False),
        ("ask_user", "How long is my commute to work?", True),
        ("ask_user", "What is your favorite city?", False),
        ("ask_calculation", "How much is a fifth of my rent?", True),
        ("ask_calculation", "How much is a fifth of the rent?", False),
        ("compare", "How much taller is Mont Blanc than Ben Nevis?", True),
        ("compare", "How much taller is Mont Blanc (4,806 m) than Ben Nevis?", False),
        ("language", "What's the plural of 'goose'?", True),
        ("language", "What's the past tense of 'swim'?", False),  # the example
        ("everyday", "How many hours are there in a day?", True),
        ("everyday", "How many hours do I sleep a night?", False),
        ("action", "Email sam@example.org that the keys are under the mat.", True),
        ("action", "Put the school concert on 12 June 2027 at 18:00 in my calendar.", True),
        ("action", "Send a thank-you email for the flowers.", False),  # to whom? when?
        ("ask_action", "Email my sister that I land at nine.", True),
        ("ask_action", "Email my sister at eva@example.com that I land at nine.", False),
        ("lookup_action", "Email kim@example.net the height of the Matterhorn.", True),
        ("lookup_action", "Tell Kim how high the Matterhorn is.", False),
        (  # the kind's description copied
            "internet",
            "quick question: about something current or too specific for an encyclopedia, that "
            "only a web search finds",
            False,
        ),
        ("direct", "Goodbye, thanks!", True),  # short: most of its words are in the description
        (
            "calculation",
            "I cycle 14 km a day, 5 days a week. How far is that over 40 weeks?",
            False,
        ),
    ],
)
def test_unusable_requests_are_dropped(kind, text, ok):
    assert usable(kind, text) is ok


class _Recorder(ScriptedChatModel):
    """Records the prompts it is sent; replies in turn."""

    def _generate(self, messages, *args, **kwargs):
        with _LOCK:
            PROMPTS.append(messages[-1].content)
        return super()._generate(messages, *args, **kwargs)


_LOCK = threading.Lock()
PROMPTS: list[str] = []


def test_batches_are_grounded_in_passages_and_kinds_follow_the_keys():
    PROMPTS.clear()
    mix = ["direct", "single_step", "multi_step"]
    reply = {
        "request_answered_without_tools": "Thanks, that was helpful!",
        "request_for_one_fact": "When was the Abacus invented?",
        "request_combining_facts": "How much older is ABBA than ASEAN?",
    }
    second = {k: v.replace("?", " exactly?") for k, v in reply.items()}
    model = _Recorder(replies=[json.dumps(reply), json.dumps(second)])
    documents = [("Abacus", "The abacus is a counting tool."), ("ABBA", "ABBA is a Swedish group.")]
    made = generate_requests(
        model, 6, tools=TOOLS, mix=mix, max_steps=0, max_batches=2, concurrency=2,
        documents=documents, seed=3,
    )  # fmt: skip
    assert len(PROMPTS) == 2 and len(made) == 5  # the second "thanks" is a duplicate
    assert [r["kind"] for r in made[:3]] == mix
    assert "Passages:\n[A] " in PROMPTS[0] and "passage A" in PROMPTS[0]
    assert "combining a fact in passage B with a fact in passage C" in PROMPTS[0]
    assert "(not about the passages)" in PROMPTS[0]  # the ungrounded kinds
    assert "sources" not in made[0] and len(made[1]["sources"]) == 1
    assert len(made[2]["sources"]) == 2
    assert {t for r in made for t in r.get("sources", [])} <= {"Abacus", "ABBA"}
    assert all(r["steps"] == [] for r in made)


def test_the_hinted_teacher_sees_the_hint_and_fitting_tools_on_its_first_step_only():
    requests = [
        {"request": "Hi there!", "kind": "direct"},
        {"request": "What is 3 + 4?", "kind": "calculation"},
        {"request": "Unlabelled request"},
    ]
    kinds = kind_hints(requests)
    assert kinds == {"Hi there!": "direct", "What is 3 + 4?": "calculation"}
    tools = [*TOOLS, ("ask_user", "Ask."), ("final_answer", "Answer.")]
    fields = ("user_request", "missing_information_or_action", "thoughts", "task")
    reply = json.dumps({**dict.fromkeys(fields, "x"), "selected_tool": "final_answer"})
    model = ScriptedChatModel(replies=[reply])
    planner = make_planner("teacher", model, hints=kinds)
    assert isinstance(planner, HintedPlanner) and planner.teacher
    first = planner.messages("Hi there!", [], tools)[-1][1]
    assert KIND_HINT.format(hint=KIND_HINTS["direct"]) in first
    done = [{"task": "t", "observation": "o"}]
    assert "Note for the planner" not in planner.messages("Hi there!", done, tools)[-1][1]
    assert "Note for the planner" not in planner.messages("Unlabelled request", [], tools)[-1][1]
    names = [n for n, _ in planner.first_tools("What is 3 + 4?", [], tools)]
    assert names == ["calculate_number"]
    assert planner.first_tools("What is 3 + 4?", done, tools) == tools
    assert planner.first_tools("Unlabelled request", [], tools) == tools
    step = planner.plan("Hi there!", [], tools)
    assert step.selected_tool == "final_answer"
    assert [n for n, _ in planner.first_tools("Hi there!", [], tools)] == ["final_answer"]
    with pytest.raises(ValueError, match="teacher"):
        make_planner("zero-shot", model, hints=kinds)


def test_varied_wording_writes_each_batch_in_one_style():
    PROMPTS.clear()
    from langchain_gba.prompts import GENERATE_REQUESTS_STYLE, REQUEST_STYLES

    reply = {"request_for_current_information": "weather in porto tmrw?"}
    model = _SystemRecorder(replies=[json.dumps(reply)])
    made = generate_requests(
        model, 1, tools=TOOLS, mix=["internet"], max_steps=0, styles=REQUEST_STYLES, seed=1
    )
    (record,) = made
    assert record["kind"] == "internet" and record["style"] in REQUEST_STYLES
    assert GENERATE_REQUESTS_STYLE.format(style=record["style"]) in PROMPTS[0]


class _SystemRecorder(ScriptedChatModel):
    """Records the last message it is sent; replies in turn."""

    def _generate(self, messages, *args, **kwargs):
        with _LOCK:
            PROMPTS.append(messages[-1].content)
        return super()._generate(messages, *args, **kwargs)


def test_roughened_wording_keeps_the_words_and_the_writers_text():
    import random

    from simulation.wording import LEAD_INS, vary

    rng = random.Random(0)
    text = "Who composed The Marriage of Figaro?"
    rough = [vary(text, rng, share=1.0) for _ in range(40)]
    assert text not in rough  # share 1: every one changed
    assert any(r.islower() for r in rough) and any(not r.endswith("?") for r in rough)
    assert any(r.lower().startswith(tuple(x.lower() for x in LEAD_INS)) for r in rough)
    assert all("figaro" in r.lower() for r in rough)  # a typo never touches the first letter...
    assert vary(text, rng, share=0.0) == text
    reply = {"request_for_one_fact": "Who composed The Marriage of Figaro?"}
    made = generate_requests(
        ScriptedChatModel(replies=[json.dumps(reply)]), 1, tools=TOOLS, mix=["single_step"],
        max_steps=0, rough_share=1.0,
    )  # fmt: skip
    assert made[0]["written"] == reply["request_for_one_fact"] != made[0]["request"]


def test_each_batch_and_each_repeated_slot_shows_a_kind_examples_from_another_one():
    from langchain_gba.prompts import format_request_kinds

    first, second = REQUEST_KINDS["action"].examples[:2]

    def leading(text: str, slot: int) -> str:
        return text.splitlines()[slot].split("Like: ")[1]

    assert leading(format_request_kinds(["action"]), 0).startswith(f'"{first}"')
    assert leading(format_request_kinds(["action"], shift=1), 0).startswith(f'"{second}"')
    both = format_request_kinds(["action", "action"])
    assert leading(both, 0).startswith(f'"{first}"')
    assert leading(both, 1).startswith(f'"{second}"')
    assert f'"{second}"' in leading(both, 0)  # rotated, not dropped


def test_an_apps_plan_examples_are_shown_after_the_built_in_ones():
    from langchain_gba.exceptions import AgentConfigError
    from langchain_gba.prompts import PLAN_AHEAD_EXAMPLES, PLANNER_EXAMPLES, PlanAheadExample
    from simulation.runner import import_examples

    mine = PlanAheadExample(
        "Email jo@example.com that the keys are under the mat.",
        ("Needs the email sent: send_email.", (("send_email", "Email jo@example.com."),)),
    )
    model = ScriptedChatModel(replies=[])
    planner = make_planner("teacher", model, examples=[mine, PLANNER_EXAMPLES[0]])
    assert planner.plan_examples == (*PLAN_AHEAD_EXAMPLES, mine)
    assert planner.examples == (*PLANNER_EXAMPLES, PLANNER_EXAMPLES[0])
    tools = [*TOOLS, ("send_email", "Send an email."), ("final_answer", "Answer.")]
    system = planner.ahead_messages("Email bo@example.com hi.", [], tools)[0][1]
    assert mine.request in system
    without = planner.ahead_messages("Email bo@example.com hi.", [], TOOLS)[0][1]
    assert mine.request not in without  # its tool is not the agent's
    assert make_planner("zero-shot", model).plan_examples == PLAN_AHEAD_EXAMPLES
    with pytest.raises(ValueError, match="fine-tuned"):
        make_planner("fine-tuned", model, examples=[mine])

    found = import_examples(["langchain_gba.prompts:SPAN_PLAN_EXAMPLE"])
    assert [e.request for e in found] == [
        "For how many years was Angela Merkel Chancellor of Germany?"
    ]
    assert len(import_examples(["langchain_gba.prompts:PLAN_AHEAD_EXAMPLES"])) == len(
        PLAN_AHEAD_EXAMPLES
    )
    app = Path(__file__).parents[3] / "examples" / "assistant.py"
    shipped = import_examples([f"{app}:PLAN_EXAMPLES", f"{app}:EXAMPLES"])
    assert {t for e in shipped for t in e.tools()} >= {"create_event", "send_email", "ask_user"}
    with pytest.raises(AgentConfigError, match="not a PlannerExample"):
        import_examples(["langchain_gba.prompts:KIND_HINTS"])
    with pytest.raises(AgentConfigError, match="no file"):
        import_examples(["no/such/app.py:PLAN_EXAMPLES"])
    with pytest.raises(AgentConfigError, match="module:attribute"):
        import_examples(["PLAN_EXAMPLES"])
