"""Grounded answers and plans ahead, with scripted models: what runs, what the state records."""

from __future__ import annotations

import json

import pytest
from langchain_core.tools import BaseTool, ToolException, tool
from scripted import ScriptedChatModel, answer, step

from langchain_gba import AgentConfigError
from langchain_gba.agent import create_gba_agent
from langchain_gba.planner import FineTunedPlanner, ZeroShotPlanner
from langchain_gba.tools import TaskInput, TaskWithContextInput
from langchain_gba.tools.ask_user import AskUserTool

HEIGHTS = {"everest": "Mount Everest is 8,849 m high.", "k2": "K2 is 8,611 m high."}


class Lookup(BaseTool):
    name: str = "lookup"
    description: str = "Look a fact up."
    args_schema: type[TaskInput] = TaskInput

    def _run(self, task: str, **_: object) -> str:
        hits = [text for key, text in HEIGHTS.items() if key in task.lower()]
        return " ".join(hits) or "No information found."


class Calc(BaseTool):
    name: str = "calc"
    description: str = "Calculate a number."
    args_schema: type[TaskWithContextInput] = TaskWithContextInput

    def _run(self, task: str, context: str = "", **_: object) -> str:
        return "1990 + 50 = 2040" if "1990" in task else "8849 - 8611 = 238"


@tool
def send_email(recipient: str, subject: str, body: str) -> str:
    """Send an email."""
    return f"Email to {recipient} sent."


def plan(*steps: tuple[str, str], thoughts: str = "next") -> str:
    """A plan-ahead reply."""
    return json.dumps({"thoughts": thoughts, "steps": [{"tool": t, "task": k} for t, k in steps]})


def build(planner_replies, answers, tools=None, **kw):
    planner = ScriptedChatModel(replies=list(planner_replies))
    writer = ScriptedChatModel(replies=[answer(a) for a in answers])
    agent = create_gba_agent(
        tools if tools is not None else [Lookup(), Calc()],
        planner=ZeroShotPlanner(planner),
        function_calling_model=ScriptedChatModel(replies=[]),
        answer_model=writer,
        ask_user=False,
        early_answer=kw.pop("early_answer", False),  # scripted: planner steps only
        **{"planning": "step", **kw},  # scripted replies are single steps unless "ahead"
    )
    return agent, planner, writer


REQUEST = "How much higher is Everest than K2?"


def test_an_answer_with_a_number_no_step_gave_goes_back_to_the_planner():
    agent, planner, writer = build(
        [
            step("lookup", "How high is Everest?"),
            step("lookup", "How high is K2?"),
            step("final_answer", "Say the difference."),
            step("calc", "Everest's height minus K2's height"),
            step("final_answer", "Say the difference."),
        ],
        ["Everest is 240 m higher than K2.", "Everest is 238 m higher than K2."],
    )
    out = agent.invoke({"request": REQUEST})
    assert out["status"] == "answered"
    assert out["answer"] == "Everest is 238 m higher than K2."
    tools = [s["tool"] for s in out["steps"]]
    assert tools == ["lookup", "lookup", "final_answer", "calc", "final_answer"]
    refused = out["steps"][2]
    assert refused["error"] is True and refused["plan"]["ungrounded"] == ["240"]
    note = refused["observation"]
    assert note.startswith("Not answered: the answer needs a number that no result gives yet.")
    assert "240" not in note  # the planner would copy it into its next task
    assert "A fact that no result gives is searched for." in note
    # the planner read the note; the refused answer is not in the next answer's context
    assert "no result gives yet" in planner.calls[3][-1].content
    assert "240" not in writer.calls[1][-1].content.split("Task:")[0]
    assert "do not state 240" in writer.calls[1][-1].content


def test_without_steps_left_the_answer_keeps_what_is_grounded():
    agent, _, _ = build(
        [step("lookup", "How high is Everest?"), step("final_answer", "Say it.")],
        ["Everest is 8,849 m high. That is 240 m more than K2."],
        max_steps=2,
    )
    out = agent.invoke({"request": REQUEST})
    assert out["status"] == "answered"
    assert out["answer"].startswith("Everest is 8,849 m high. I could not establish the rest")
    assert "240" not in out["answer"]
    assert out["steps"][-1]["plan"]["ungrounded"] == ["240"]


def test_refusals_are_bounded():
    agent, _, _ = build(
        [step("lookup", "How high is Everest?")] + [step("final_answer", "Say it.")] * 3,
        ["It is 240 m higher."] * 3,
    )
    out = agent.invoke({"request": REQUEST})
    assert out["status"] == "answered"
    assert [s["tool"] for s in out["steps"]] == ["lookup", *["final_answer"] * 3]
    assert "240" not in out["answer"] and "could not establish" in out["answer"]


def test_grounded_false_returns_the_answer_as_written():
    agent, _, _ = build([step("final_answer", "Say it.")], ["It is 240 m higher."], grounded=False)
    assert agent.invoke({"request": REQUEST})["answer"] == "It is 240 m higher."


def test_an_answer_claiming_an_action_no_step_took_is_refused():
    agent, planner, _ = build(
        [step("final_answer", "Say it was sent."), step("final_answer", "Say what happened.")],
        ["The email to Ann was sent.", "I have not emailed Ann."],
        tools=[Lookup(), send_email],
    )
    out = agent.invoke({"request": "Email ann@example.org that lunch is booked."})
    refused, last = out["steps"]
    assert refused["error"] and refused["plan"]["undone"] == ["send_email"]
    assert "says send_email was done, but no step of it succeeded" in refused["observation"]
    assert "An action is done with its tool." in refused["observation"]
    assert out["answer"] == "I have not emailed Ann."


def test_plan_ahead_runs_its_steps_with_one_planner_call():
    agent, planner, writer = build(
        [
            plan(
                ("lookup", "How high is Everest?"),
                ("lookup", "How high is K2?"),
                ("calc", "Everest's height minus K2's height"),
            )
        ],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
        replan="failure",
    )
    out = agent.invoke({"request": REQUEST})
    assert out["answer"] == "Everest is 238 m higher than K2."
    assert [s["tool"] for s in out["steps"]] == ["lookup", "lookup", "calc", "final_answer"]
    assert len(planner.calls) == 1
    assert out["steps"][0]["plan"]["plan_ahead"][2]["tool"] == "calc"
    assert "Write the plan" in planner.calls[0][0].content
    # the plan ended with its calculation: the answer is told which result it gives
    task = "Task: Answer the request in a sentence that gives 238, the calculation's result."
    assert writer.calls[0][-1].content.endswith(task)


def test_a_difference_written_the_other_way_round_gives_its_size():
    class Backwards(Calc):
        def _run(self, task: str, context: str = "", **_: object) -> str:
            return "8611 - 8849 = -238"

    agent, _, writer = build(
        [plan(("calc", "K2's height minus Everest's"))],
        ["Everest is 238 m higher than K2."],
        tools=[Lookup(), Backwards()],
        planning="ahead",
    )
    agent.invoke({"request": REQUEST})
    task = "Task: Answer the request in a sentence that gives 238, the calculation's result."
    assert writer.calls[0][-1].content.endswith(task)


def test_the_answer_gets_the_result_rounded_as_the_request_asks():
    class Ratio(Calc):
        def _run(self, task: str, context: str = "", **_: object) -> str:
            return "8849 / 8611 = 1.02763906631"

    request = "How many times as high as K2 is Everest? To one decimal."
    agent, _, writer = build(
        [plan(("calc", "Everest's height divided by K2's"))],
        ["Everest is 1.0 times as high as K2."],
        tools=[Lookup(), Ratio()],
        planning="ahead",
    )
    out = agent.invoke({"request": request})
    task = "Task: Answer the request in a sentence that gives 1.0, the calculation's result."
    assert writer.calls[0][-1].content.endswith(task)
    assert out["steps"][0]["observation"].endswith("1.02763906631")  # the step keeps it all


def test_a_planned_step_that_repeats_one_plans_the_rest_again():
    agent, planner, _ = build(
        [
            plan(
                ("lookup", "How high is Everest?"),
                ("lookup", "How high is Everest?"),
                ("calc", "Everest's height minus K2's height"),
            ),
            plan(("lookup", "How high is K2?"), ("calc", "Everest's height minus K2's height")),
        ],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    tools = [s["tool"] for s in out["steps"]]
    assert tools == ["lookup", "lookup", "lookup", "calc", "final_answer"]
    assert out["steps"][1]["plan"]["repeat_of"] == 1 and len(planner.calls) == 2
    assert "Not done again" in planner.calls[1][-1].content
    assert out["steps"][2]["task"] == "How high is K2?"


class Slices(Calc):
    def _run(self, task: str, context: str = "", **_: object) -> str:
        return "3 * 8 / 5 = 4.8"


def test_a_plan_of_one_calculation_works_on_the_request_as_written():
    calc = Slices()
    agent, _, _ = build(
        [plan(("calc", "3 pizzas of 8 slices multiplied by 5 people"))],
        ["Each gets 4.8 slices."],
        tools=[Lookup(), calc],
        planning="ahead",
    )
    request = "We ordered 3 pizzas cut into 8 slices each and there are 5 of us. Slices each?"
    out = agent.invoke({"request": request})
    first = out["steps"][0]
    assert first["task"] == request and first["arguments"]["task"] == request
    assert first["plan"]["planned_task"] == "3 pizzas of 8 slices multiplied by 5 people"
    # off: the planner's task
    agent, _, _ = build(
        [plan(("calc", "3 * 8 / 5"))],
        ["Each gets 4.8 slices."],
        tools=[Lookup(), Slices()],
        planning="ahead",
        calculate_as_asked=False,
    )
    assert agent.invoke({"request": request})["steps"][0]["task"] == "3 * 8 / 5"


def test_the_last_calculation_of_a_plan_works_on_the_request_as_written():
    agent, _, _ = build(
        [plan(("lookup", "Everest"), ("lookup", "K2"), ("calc", "K2 - Everest"))],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    calculated = out["steps"][2]
    assert calculated["tool"] == "calc" and calculated["task"] == REQUEST
    assert calculated["plan"]["planned_task"] == "K2 - Everest"
    assert [s["task"] for s in out["steps"][:2]] == ["Everest", "K2"]


def test_a_repeated_calculation_is_no_result_for_the_answer_to_give():
    agent, _, writer = build(
        [plan(("calc", "Everest minus K2"), ("calc", "Everest minus K2"))],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
        replan="failure",
        calculate_as_asked=False,  # else the last calculation works on the request
    )
    out = agent.invoke({"request": REQUEST})
    assert out["steps"][1]["plan"]["repeat_of"] == 1
    assert writer.calls[0][-1].content.endswith("Task: Answer the request.")


def test_plan_check_plans_again_when_the_results_fall_short():
    from langchain_gba.prompts import RESULTS_ANSWER_QUESTION

    agent, planner, _ = build(
        [
            plan(("lookup", "How high is Everest?")),
            json.dumps({"answer": "No"}),
            plan(("lookup", "How high is K2?"), ("calc", "Everest minus K2")),
        ],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
        plan_check=True,
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "lookup", "calc", "final_answer"]
    assert planner.calls[1][-1].content.endswith(RESULTS_ANSWER_QUESTION)
    assert "Write the plan" in planner.calls[1][0].content  # asked on the plan's own prompt
    assert out["steps"][1]["plan"]["results_answer"] == 0.0
    assert len(planner.calls) == 3  # checked once per run: not again after the second plan


def test_plan_check_answers_when_the_results_suffice():
    agent, planner, _ = build(
        [plan(("lookup", "How high is Everest?")), json.dumps({"answer": "Yes"})],
        ["Everest is 8,849 m high."],
        planning="ahead",
        plan_check=True,
    )
    out = agent.invoke({"request": "How high is Everest?"})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "final_answer"]
    assert out["steps"][-1]["plan"]["results_answer"] == 1.0
    assert len(planner.calls) == 2


def test_plan_ahead_plans_again_after_the_users_reply():
    user = AskUserTool(ask=lambda question: "I was born in 1990.")
    agent, planner, _ = build(
        [
            plan(("ask_user", "How old are you?"), ("calc", "50 minus your age")),
            plan(("ask_user", "How old are you?"), ("calc", "1990 + 50")),
        ],
        ["You turn 50 in 2040."],
        tools=[Lookup(), Calc(), user],
        planning="ahead",
        replan="user",
        calculate_as_asked=False,  # else the plan's last calculation works on the request
    )
    out = agent.invoke({"request": "In which year will I turn 50?"})
    assert [s["tool"] for s in out["steps"]] == ["ask_user", "calc", "final_answer"]
    assert out["steps"][1]["task"] == "1990 + 50"  # the question already asked is left out
    assert "planned_task" not in out["steps"][1]["plan"]  # planned after the reply
    assert len(planner.calls) == 2
    assert "I was born in 1990." in planner.calls[1][-1].content


def test_plan_ahead_calculates_the_request_after_the_users_reply_by_default():
    user = AskUserTool(ask=lambda question: "I was born in 1990.")
    agent, planner, _ = build(
        [plan(("ask_user", "How old are you?"), ("calc", "50 minus your age"))],
        ["You turn 50 in 2040."],
        tools=[Lookup(), Calc(), user],
        planning="ahead",
        grounded=False,
    )
    out = agent.invoke({"request": "In which year will I turn 50?"})
    calc = out["steps"][1]
    assert calc["task"] == "In which year will I turn 50?"  # the plan guessed the reply
    assert calc["arguments"]["task"] == "In which year will I turn 50?"
    assert calc["plan"]["planned_task"] == "50 minus your age"
    assert len(planner.calls) == 1


@pytest.mark.parametrize("planning", ["step", "ahead"])
def test_a_question_to_the_user_about_a_fact_goes_to_the_search(planning):
    asked = []
    user = AskUserTool(ask=lambda question: asked.append(question) or "I don't know.")
    first = (
        plan(("ask_user", "How high is Everest?"))
        if planning == "ahead"
        else step("ask_user", "How high is Everest?")
    )
    agent, _, _ = build(
        [first, plan() if planning == "ahead" else step("final_answer", "Say it.")],
        ["Mount Everest is 8,849 m high."],
        tools=[Lookup(), Calc(), user],
        planning=planning,
    )
    out = agent.invoke({"request": "How high is Everest?"})
    lookup = out["steps"][0]
    assert lookup["tool"] == "lookup" and lookup["plan"]["asked"] == "ask_user"
    assert lookup["observation"] == "Mount Everest is 8,849 m high."
    assert asked == []
    assert out["answer"] == "Mount Everest is 8,849 m high."


@pytest.mark.parametrize(
    "question", ["How old are you?", "What is YOUR budget?", "You live where?"]
)
def test_a_question_about_the_user_goes_to_the_user(question):
    user = AskUserTool(ask=lambda q: "I am 36.")
    agent, _, _ = build(
        [step("ask_user", question), step("final_answer", "Say it.")],
        ["You are 36."],
        tools=[Lookup(), Calc(), user],
    )
    out = agent.invoke({"request": "How old am I?"})
    assert out["steps"][0]["tool"] == "ask_user"
    assert out["steps"][0]["observation"] == "I am 36."


@pytest.mark.parametrize("planning", ["step", "ahead"])
def test_a_search_written_to_the_user_asks_the_user(planning):
    asked = []
    user = AskUserTool(ask=lambda question: asked.append(question) or "I earn 20 euros an hour.")
    task = "What is your hourly wage?"
    first = plan(("lookup", task)) if planning == "ahead" else step("lookup", task)
    agent, _, _ = build(
        [first, plan() if planning == "ahead" else step("final_answer", "Say it.")],
        ["You earn 20 euros an hour."],
        tools=[Lookup(), Calc(), user],
        planning=planning,
    )
    out = agent.invoke({"request": "How much do I earn in a day?"})
    ask = out["steps"][0]
    assert ask["tool"] == "ask_user" and ask["plan"]["searched"] == "lookup"
    assert asked == [task] and ask["observation"] == "I earn 20 euros an hour."


def test_a_quoted_you_is_a_word_not_the_user():
    from langchain_gba.tools.ask_user import speaks_to_user

    assert not speaks_to_user("What is the German word for 'thank you'?")
    assert not speaks_to_user("Who wrote \u201cAll You Need Is Love\u201d?")
    assert speaks_to_user("How far is it from your house to your parents' house?")
    assert speaks_to_user("How old will I be in 2030?")  # the request's "I": the user's age
    assert speaks_to_user("What is the weather like where i live?")
    assert speaks_to_user("How much fuel will my car need?")
    # a polite frame to the assistant, a sentence's "I" frame, a numeral: no user
    assert not speaks_to_user("Can you tell me how many emperors lived in the Forbidden City?")
    assert not speaks_to_user("Do you know who painted the Mona Lisa?")
    assert not speaks_to_user("I was wondering who flew the command module on Apollo 11")
    assert not speaks_to_user("Which treaty ended World War I?")
    assert not speaks_to_user('Who sang "I Will Survive"?')


def test_a_search_written_to_the_user_stays_a_search_without_ask_user():
    agent, _, _ = build(
        [step("lookup", "What is your hourly wage?"), step("final_answer", "Say it.")],
        ["I could not find it."],
    )
    out = agent.invoke({"request": "How much do I earn in a day?"})
    assert out["steps"][0]["tool"] == "lookup"


def test_without_a_search_tool_every_question_goes_to_the_user():
    user = AskUserTool(ask=lambda q: "8,849 m.")
    agent, _, _ = build(
        [step("ask_user", "How high is Everest?"), step("final_answer", "Say it.")],
        ["Everest is 8,849 m high."],
        tools=[Calc(), user],
    )
    out = agent.invoke({"request": "How high is Everest?"})
    assert out["steps"][0]["tool"] == "ask_user"


def test_plan_ahead_with_no_steps_answers_directly():
    agent, _, _ = build([plan(thoughts="A greeting.")], ["Hello!"], planning="ahead")
    out = agent.invoke({"request": "Hello!"})
    assert [s["tool"] for s in out["steps"]] == ["final_answer"]
    assert out["answer"] == "Hello!"


def test_plan_ahead_plans_again_after_a_step_finds_nothing():
    agent, planner, _ = build(
        [
            plan(("lookup", "How high is Everest?"), ("lookup", "Height of the other one?")),
            plan(("lookup", "How high is K2?"), ("calc", "Everest minus K2")),
        ],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
        replan="failure",
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == [
        "lookup",
        "lookup",
        "lookup",
        "calc",
        "final_answer",
    ]
    assert out["steps"][1]["observation"] == "No information found."
    assert len(planner.calls) == 2
    assert "No information found." in planner.calls[1][-1].content


def test_a_search_that_names_an_earlier_result_gets_the_name_it_found(monkeypatch):
    agent, planner, _ = build(
        [plan(("lookup", "Which is the highest mountain?"), ("lookup", "How high is #1?"))],
        ["Mount Everest is 8,849 m high."],
        planning="ahead",
        replan="failure",
    )
    monkeypatch.setitem(HEIGHTS, "highest", "The highest mountain is Mount Everest.")
    out = agent.invoke({"request": "How high is the highest mountain?"})
    second = out["steps"][1]
    assert second["task"] == "How high is Mount Everest?"  # a name the request does not give
    assert second["plan"]["planned_task"] == "How high is #1?"
    assert second["observation"] == "Mount Everest is 8,849 m high."
    assert len(planner.calls) == 1
    assert out["answer"] == "Mount Everest is 8,849 m high."


def test_a_search_that_names_nothing_gets_the_name_its_plan_found(monkeypatch):
    agent, planner, _ = build(
        [
            plan(
                ("lookup", "Which is the highest mountain?"),
                ("lookup", "How high is the mountain?"),
                ("lookup", "How high is K2?"),
            )
        ],
        ["Mount Everest is 8,849 m high; K2 is 8,611 m high."],
        planning="ahead",
        replan="failure",
        grounded=False,
    )
    monkeypatch.setitem(HEIGHTS, "highest", "The highest mountain is Mount Everest.")
    out = agent.invoke({"request": "How high is the highest mountain?"})
    second, third = out["steps"][1:3]
    assert second["task"] == "How high is the mountain? (Mount Everest)"
    assert second["plan"]["planned_task"] == "How high is the mountain?"
    assert second["observation"] == "Mount Everest is 8,849 m high."
    assert third["task"] == "How high is K2?"  # it names what it searches
    assert "planned_task" not in third["plan"]
    assert len(planner.calls) == 1


def test_a_search_by_a_description_the_request_defines_gets_the_name_its_plan_found(
    monkeypatch,
):
    agent, _, _ = build(
        [
            plan(
                ("lookup", "Which mountain did the climber of Everest name?"),
                ("lookup", "How high is the mountain the climber named near Everest?"),
                ("lookup", "How high did the climber of Everest climb?"),  # "of" says whose
            )
        ],
        ["K2 is 8,611 m high."],
        planning="ahead",
        replan="failure",
        grounded=False,
    )
    monkeypatch.setitem(HEIGHTS, "which", "The climber named K2.")
    request = "How high is the mountain that the climber of Everest named?"
    out = agent.invoke({"request": request})
    second, third = out["steps"][1:3]
    # "Everest" is the request's own name; "the mountain" is the request's description
    assert second["task"] == "How high is the mountain the climber named near Everest? (K2)"
    assert second["observation"] == "Mount Everest is 8,849 m high. K2 is 8,611 m high."
    assert third["task"] == "How high did the climber of Everest climb?"
    assert "planned_task" not in third["plan"]


def test_a_calculation_that_asks_for_a_fact_no_result_gave_is_searched():
    agent, planner, _ = build(
        [
            plan(
                ("lookup", "How high is Everest?"),
                ("calc", "The height of K2"),  # no number, no operation, K2 not found yet
                ("calc", "Everest's height minus K2's height"),
            )
        ],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
        replan="failure",
        calculate_as_asked=False,
    )
    out = agent.invoke({"request": REQUEST})
    assert [(s["tool"], s["task"]) for s in out["steps"][:3]] == [
        ("lookup", "How high is Everest?"),
        ("lookup", "The height of K2"),
        ("calc", "Everest's height minus K2's height"),
    ]
    assert out["steps"][1]["plan"]["planned_tool"] == "calc"
    assert out["steps"][1]["observation"] == "K2 is 8,611 m high."
    assert "planned_tool" not in out["steps"][2]["plan"]  # it names an operation
    assert len(planner.calls) == 1


def test_a_calculation_done_before_a_new_result_runs_again():
    agent, planner, _ = build(
        [
            step("lookup", "How high is Everest?"),
            step("calc", "Everest's height minus K2's height"),
            step("lookup", "How high is K2?"),
            step("calc", "Everest's height minus K2's height"),  # K2 found since: runs
            step("final_answer", "Say the difference."),
        ],
        ["Everest is 238 m higher than K2."],
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "calc", "lookup", "calc", "final_answer"]
    again = out["steps"][3]
    assert "repeat_of" not in again["plan"]  # run, not "Not done again"
    assert again["observation"].startswith("8849 - 8611 = 238")
    assert out["answer"] == "Everest is 238 m higher than K2."


def test_a_calculation_without_an_operation_on_found_facts_stays_a_calculation():
    agent, _, _ = build(
        [
            plan(
                ("lookup", "How high is Everest?"),
                ("lookup", "How high is K2?"),
                ("calc", "The heights of Everest and K2"),  # both found: the calculator's
            )
        ],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
        replan="failure",
        calculate_as_asked=False,
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "lookup", "calc", "final_answer"]


def test_a_search_that_names_several_results_is_planned_again_with_them_in(monkeypatch):
    agent, planner, _ = build(
        [
            plan(
                ("lookup", "How high is Everest?"),
                ("lookup", "How high is K2?"),
                ("lookup", "Where is the higher of #1 and #2?"),
            ),
            plan(("lookup", "Where is Everest?")),
        ],
        ["Everest, the higher, is in Nepal."],
        planning="ahead",
        replan="failure",
    )
    monkeypatch.setitem(HEIGHTS, "where is everest", "Everest is in Nepal.")
    out = agent.invoke({"request": "Where is the higher of Everest and K2?"})
    assert [s["task"] for s in out["steps"][:3]] == [
        "How high is Everest?",
        "How high is K2?",
        "Where is Everest?",
    ]
    assert len(planner.calls) == 2  # the planner compares, with both results in view
    assert "K2 is 8,611 m high." in planner.calls[1][-1].content


def test_a_reference_the_planner_writes_again_is_replaced_by_the_latest_result(monkeypatch):
    agent, planner, _ = build(
        [
            plan(("lookup", "How high is Everest?"), ("lookup", "Where is #1 or #2?")),
            plan(("lookup", "Where is #2?")),
        ],
        ["Everest is in Nepal."],
        planning="ahead",
        replan="failure",
    )
    monkeypatch.setitem(HEIGHTS, "everest is", "Everest is in Nepal.")
    out = agent.invoke({"request": "Where is Everest?"})
    second = out["steps"][1]
    assert second["task"] == "Where is (Mount Everest is 8,849 m high)?"
    assert second["plan"]["planned_task"] == "Where is #2?"
    assert len(planner.calls) == 2


def test_a_calculation_that_names_earlier_results_runs_without_a_planner_call():
    agent, planner, _ = build(
        [
            plan(
                ("lookup", "How high is Everest?"),
                ("lookup", "How high is K2?"),
                ("calc", "#1 minus #2"),
            )
        ],
        ["Everest is 238 m higher than K2."],
        planning="ahead",
        replan="failure",
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "lookup", "calc", "final_answer"]
    assert len(planner.calls) == 1  # the calculator reads the results it names


def test_plan_ahead_plans_again_after_a_refused_answer():
    agent, planner, _ = build(
        [
            plan(("lookup", "How high are Everest and K2?")),
            plan(("calc", "Everest minus K2")),
        ],
        ["It is 240 m higher.", "Everest is 238 m higher than K2."],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "final_answer", "calc", "final_answer"]
    assert out["answer"] == "Everest is 238 m higher than K2."
    assert "no result gives yet" in planner.calls[1][-1].content


def test_a_plan_after_a_refused_answer_holds_a_step():
    agent, planner, _ = build(
        [
            plan(("lookup", "How high are Everest and K2?")),
            plan(thoughts="The results give it."),  # rejected by the schema: min 1 step
            plan(("lookup", "How high are Everest and K2?"), ("calc", "Everest minus K2")),
        ],
        ["It is 240 m higher.", "Everest is 238 m higher than K2."],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    # the lookup already done is left out of the plan written again
    assert [s["tool"] for s in out["steps"]] == ["lookup", "final_answer", "calc", "final_answer"]
    assert "rejected" in planner.calls[2][-1].content
    assert out["answer"] == "Everest is 238 m higher than K2."


def test_planning_options_are_checked():
    with pytest.raises(AgentConfigError, match="planning must be"):
        create_gba_agent(
            [Lookup()], planner=ZeroShotPlanner(ScriptedChatModel(replies=[])), planning="later"
        )  # type: ignore[arg-type]
    fine_tuned = FineTunedPlanner(ScriptedChatModel(replies=[]))
    with pytest.raises(AgentConfigError, match="one step at a time"):
        create_gba_agent([Lookup()], planner=fine_tuned, planning="ahead")
    with pytest.raises(AgentConfigError, match="replan must be"):
        create_gba_agent(
            [Lookup()],
            planner=ZeroShotPlanner(ScriptedChatModel(replies=[])),
            planning="ahead",
            replan="never",  # type: ignore[arg-type]
        )


def test_planning_auto_plans_ahead_where_the_planner_can():
    zero_shot = ScriptedChatModel(replies=[plan(("lookup", "How high is K2?")), plan()])
    agent = create_gba_agent(
        [Lookup()],
        planner=ZeroShotPlanner(zero_shot),
        answer_model=ScriptedChatModel(replies=[answer("K2 is 8,611 m high.")]),
        ask_user=False,
    )  # planning="auto", the default
    out = agent.invoke({"request": "How high is K2?"})
    assert out["steps"][0]["plan"]["plan_ahead"] == [{"tool": "lookup", "task": "How high is K2?"}]
    assert "Write the plan" in zero_shot.calls[0][0].content
    fine_tuned = ScriptedChatModel(
        replies=[step("lookup", "How high is K2?"), step("final_answer")]
    )
    agent = create_gba_agent(
        [Lookup()],
        planner=FineTunedPlanner(fine_tuned),
        answer_model=ScriptedChatModel(replies=[answer("K2 is 8,611 m high.")]),
        ask_user=False,
    )
    out = agent.invoke({"request": "How high is K2?"})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "final_answer"]
    assert "plan_ahead" not in out["steps"][0]["plan"]


def test_planning_auto_keeps_the_step_planner_for_actions():
    zero_shot = ScriptedChatModel(replies=[step("send_email", "Email Ann."), step("final_answer")])
    agent = create_gba_agent(
        [Lookup(), send_email],
        planner=ZeroShotPlanner(zero_shot),
        function_calling_model=ScriptedChatModel(
            replies=[json.dumps({"recipient": "ann@example.org", "subject": "Hi", "body": "Hi"})]
        ),
        answer_model=ScriptedChatModel(replies=[answer("I emailed Ann.")]),
        ask_user=False,
        early_answer=False,
    )  # planning="auto": send_email takes arguments
    out = agent.invoke({"request": "Email ann@example.org hello."})
    assert [s["tool"] for s in out["steps"]] == ["send_email", "final_answer"]
    assert "Write the plan" not in zero_shot.calls[0][0].content


def test_a_name_answered_before_any_step_is_refused():
    """The refused answer's request is searched as asked; it finds nothing, so the planner plans."""
    agent, planner, _ = build(
        [plan(thoughts="Known."), plan(("lookup", "Who is the highest? Everest?"))],
        ["Mount Everest is the highest.", "Mount Everest is the highest."],
        planning="ahead",
    )
    out = agent.invoke({"request": "Which mountain is the highest on Earth?"})
    tools = [s["tool"] for s in out["steps"]]
    assert tools == ["final_answer", "lookup", "lookup", "final_answer"]
    refused = out["steps"][0]
    assert refused["error"] and refused["plan"]["unnamed"] == ["Mount Everest"]
    assert "names what no result gives yet" in refused["observation"]
    searched = out["steps"][1]
    assert searched["task"] == "Which mountain is the highest on Earth?"
    assert searched["plan"]["thoughts"].startswith("The answer from memory was refused")
    assert searched["observation"] == "No information found."
    assert len(planner.calls) == 2
    assert out["answer"] == "Mount Everest is the highest."


@pytest.mark.parametrize("grounded_names", [False, True])
def test_a_name_answered_after_tools_is_refused_with_grounded_names(grounded_names, monkeypatch):
    monkeypatch.setitem(HEIGHTS, "range", "K2 is in the Karakoram.")
    agent, planner, _ = build(
        [
            plan(("lookup", "How high is Everest?"), ("lookup", "How high is K2?")),
            plan(("lookup", "Which range is K2 in?")),
        ],
        ["K2, the second highest, is in the Andes.", "K2 is in the Karakoram."],
        planning="ahead",
        grounded_names=grounded_names,
    )
    out = agent.invoke({"request": "Which range is the second highest of Everest and K2 in?"})
    if not grounded_names:  # the name from memory is the answer
        assert out["answer"] == "K2, the second highest, is in the Andes."
        assert len(planner.calls) == 1
        return
    refused = out["steps"][2]
    assert refused["error"] and refused["plan"]["unnamed"] == ["Andes"]
    assert out["steps"][3]["task"] == "Which range is K2 in?"
    assert out["answer"] == "K2 is in the Karakoram."
    assert len(planner.calls) == 2


def test_after_a_refused_answer_the_request_is_searched_and_its_summary_answers():
    """No second plan and no answer writer: the search of the request already answers it."""
    agent, planner, writer = build(
        [plan(thoughts="Known.")], ["Everest is 8,000 m high."], planning="ahead"
    )
    out = agent.invoke({"request": "How high is Everest?"})
    assert [s["tool"] for s in out["steps"]] == ["final_answer", "lookup", "final_answer"]
    assert out["steps"][0]["plan"]["ungrounded"] == ["8,000"]
    assert out["steps"][1]["task"] == "How high is Everest?"
    assert out["steps"][2]["plan"]["answered_by"] == 2
    assert out["answer"] == "Mount Everest is 8,849 m high."
    assert len(planner.calls) == 1 and len(writer.calls) == 1


async def test_a_planned_search_of_the_request_as_asked_is_the_answer():
    agent, planner, writer = build([plan(("lookup", "how high is everest"))], [], planning="ahead")
    out = await agent.ainvoke({"request": "How high is Everest?"})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "final_answer"]
    assert out["answer"] == "Mount Everest is 8,849 m high." and not writer.calls


async def test_a_search_as_asked_of_a_request_that_says_what_to_do_is_written_up():
    """ "How much higher ...": a search result states facts, not the difference; the writer."""
    agent, _, writer = build(
        [plan(("lookup", "How much higher is Everest than 8,000 m?"))],
        ["Everest is 849 m higher."],
        planning="ahead",
        grounded=False,
    )
    out = await agent.ainvoke({"request": "How much higher is Everest than 8,000 m?"})
    assert "answered_by" not in out["steps"][-1]["plan"]
    assert out["answer"] == "Everest is 849 m higher." and len(writer.calls) == 1


class SourcedLookup(Lookup):
    """``Lookup`` with the search tools' list of sources after the finding."""

    def _run(self, task: str, **kw: object) -> str:
        found = super()._run(task, **kw)
        return f"{found}\n\nSources:\n[1] Mountains <https://en.wikipedia.org/wiki/Mountain>"


class ContextCalc(Calc):
    contexts: list[str] = []

    def _run(self, task: str, context: str = "", **_: object) -> str:
        self.contexts.append(context)
        return "8849 - 8611 = 238"


def test_the_calculator_and_the_writer_read_findings_without_their_sources():
    calc = ContextCalc(contexts=[])
    agent, planner, writer = build(
        [plan(("lookup", "How high is Everest?"), ("lookup", "How high is K2?"), ("calc", "diff"))],
        ["Everest is 238 m higher than K2."],
        tools=[SourcedLookup(), calc],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    assert out["answer"] == "Everest is 238 m higher than K2."
    assert out["steps"][0]["observation"].endswith("<https://en.wikipedia.org/wiki/Mountain>")
    for text in (calc.contexts[0], writer.calls[0][-1].content):
        assert "Result: Mount Everest is 8,849 m high.\n\nTask: How high is K2?" in text
        assert "Sources:" not in text and "[1]" not in text


def test_a_reworded_search_or_a_request_with_numbers_goes_the_usual_way():
    agent, _, writer = build(
        [plan(("lookup", "Height of K2"))], ["K2 is 8,611 m high."], planning="ahead"
    )
    out = agent.invoke({"request": "How high is K2?"})
    assert out["answer"] == "K2 is 8,611 m high." and len(writer.calls) == 1
    assert "answered_by" not in out["steps"][-1]["plan"]
    # the answer's number is refused and the request gives numbers ("K2"): the planner plans
    agent, planner, _ = build(
        [plan(thoughts="Known."), plan(("lookup", "How high is K2?"))],
        ["K2 is 8,000 m high.", "K2 is 8,611 m high."],
        planning="ahead",
    )
    out = agent.invoke({"request": "How high is K2?"})
    assert [s["tool"] for s in out["steps"]] == ["final_answer", "lookup", "final_answer"]
    assert len(planner.calls) == 2
    # several figures from memory: maybe several facts and a sum, so the planner plans
    agent, planner, _ = build(
        [plan(thoughts="Known."), plan(("lookup", "How high is Everest?"))],
        ["Everest is 8,800 m high, 29,000 ft.", "Mount Everest is 8,849 m high."],
        planning="ahead",
    )
    out = agent.invoke({"request": "How high is Everest?"})
    assert out["steps"][0]["plan"]["ungrounded"] == ["8,800", "29,000"]
    assert out["steps"][1]["task"] == "How high is Everest?" and len(planner.calls) == 2


def test_an_action_already_taken_is_not_taken_again():
    sent: list[str] = []

    @tool
    def email(recipient: str, subject: str, body: str) -> str:
        """Send an email."""
        sent.append(recipient)
        return f"Sent '{subject}' to {recipient}."

    from pydantic import BaseModel, Field

    class Args(BaseModel):
        recipient: str = Field(pattern=r"^\S+@\S+$")
        subject: str
        body: str

    email.args_schema = Args
    calls = [
        json.dumps({"recipient": "ann@example.org", "subject": "Lunch", "body": "Booked."}),
        json.dumps({"recipient": "ann@example.org", "subject": "Lunch booked", "body": "Yes."}),
    ]
    planner = ScriptedChatModel(
        replies=[
            step("email", "Email Ann."),
            step("email", "Email Ann again."),
            step("final_answer"),
        ]
    )
    agent = create_gba_agent(
        [email],
        planner=ZeroShotPlanner(planner),
        function_calling_model=ScriptedChatModel(replies=calls),
        answer_model=ScriptedChatModel(replies=[answer("Sent 'Lunch' to ann@example.org.")]),
        ask_user=False,
        early_answer=False,
        planning="step",
    )
    out = agent.invoke({"request": "Email ann@example.org that lunch is booked."})
    assert sent == ["ann@example.org"]
    repeat = out["steps"][1]
    assert repeat["plan"]["repeat_of"] == 1 and not repeat["error"]
    assert repeat["observation"].startswith("Not done again: email already did this in step 1")
    assert "recipient=ann@example.org" in repeat["observation"]
    assert out["status"] == "answered"


def test_a_repeated_action_at_the_loop_limit_ends_the_run_with_an_answer():
    @tool
    def email(recipient: str, body: str) -> str:
        """Send an email."""
        return f"Sent to {recipient}."

    call = json.dumps({"recipient": "ann@example.org", "body": "Booked."})
    agent = create_gba_agent(
        [email],
        planner=ZeroShotPlanner(
            ScriptedChatModel(replies=[step("email", "A"), step("email", "B")])
        ),
        function_calling_model=ScriptedChatModel(replies=[call, call]),
        answer_model=ScriptedChatModel(replies=[answer("Sent to ann@example.org.")]),
        ask_user=False,
        early_answer=False,
        planning="step",
        max_loops=1,
    )
    out = agent.invoke({"request": "Email ann@example.org that lunch is booked."})
    assert [s["tool"] for s in out["steps"]] == ["email", "email", "final_answer"]
    assert out["status"] == "answered"


def test_a_number_answered_before_any_result_is_sent_to_the_search_not_the_calculator():
    agent, planner, _ = build(
        [plan(thoughts="Known."), plan(("lookup", "How high is Everest?"))],
        ["Everest is 8,850 m high.", "Mount Everest is 8,849 m high."],
        tools=[Lookup(), Calculator()],
        planning="ahead",
    )
    out = agent.invoke({"request": "How high is Everest?"})
    refused = out["steps"][0]
    assert refused["error"] and refused["plan"]["ungrounded"] == ["8,850"]
    assert "searched" in refused["observation"] and "calc" not in refused["observation"]
    assert [s["tool"] for s in out["steps"]] == ["final_answer", "lookup", "final_answer"]
    assert out["answer"] == "Mount Everest is 8,849 m high."


class Calculator(Calc):
    name: str = "calculate_number"


def test_a_number_no_result_gives_after_results_may_be_calculated():
    agent, _, _ = build(
        [
            plan(("lookup", "How high is Everest?"), ("lookup", "How high is K2?")),
            plan(("calculate_number", "Everest's height minus K2's height")),
        ],
        ["Everest is 240 m higher.", "Everest is 238 m higher than K2."],
        tools=[Lookup(), Calculator()],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    refused = out["steps"][2]
    assert refused["error"] and "calc" in refused["observation"]
    assert out["answer"] == "Everest is 238 m higher than K2."


class Refusing(BaseTool):
    name: str = "calculate_number"
    description: str = "Calculate a number."
    args_schema: type[TaskWithContextInput] = TaskWithContextInput
    handle_tool_error: bool = True
    calls: int = 0

    def _run(self, task: str, context: str = "", **_: object) -> str:
        from langchain_core.tools import ToolException

        self.calls += 1
        raise ToolException("the results do not give every number")


def test_a_failed_task_planned_again_with_no_new_result_is_a_loop():
    calc = Refusing()
    agent, _, _ = build(
        [
            step("calculate_number", "Argentina's area divided by Chile's"),
            step("calculate_number", "Argentina's area divided by Chile's"),
            step("lookup", "How high is Everest?"),
            step("calculate_number", "Argentina's area divided by Chile's"),
            step("final_answer", "Say it."),
        ],
        ["I could not find Chile's area."],
        tools=[Lookup(), calc],
    )
    out = agent.invoke({"request": "How many times bigger than Chile is Argentina?"})
    steps = out["steps"]
    assert steps[0]["error"] and steps[1]["plan"]["repeat_of"] == 1  # no new result: a loop
    assert "Not done again" in steps[1]["observation"]
    assert steps[3]["error"] and "repeat_of" not in steps[3]["plan"]  # tried after a new result
    assert calc.calls == 2


@pytest.mark.parametrize(
    "written", ["Error: the results do not give every number", "No information found."]
)
def test_an_answer_that_copies_a_failure_says_it_could_not_answer(written):
    from langchain_gba.prompts import NOT_ANSWERED

    agent, _, _ = build(
        [step("calculate_number", "Argentina's area divided by Chile's"), step("final_answer")],
        [written],
        tools=[Lookup(), Refusing()],
    )
    out = agent.invoke({"request": "How many times bigger than Chile is Argentina?"})
    assert out["status"] == "answered"
    assert out["answer"] == NOT_ANSWERED
    assert out["steps"][-1]["plan"]["copied_failure"] == written


def test_a_short_answer_is_not_read_as_a_copied_failure():
    agent, _, _ = build(
        [step("calculate_number", "Is it bigger?"), step("final_answer")],
        ["No."],
        tools=[Lookup(), Refusing()],
    )
    assert agent.invoke({"request": "Is Chile bigger than Argentina?"})["answer"] == "No."


@pytest.mark.parametrize("planning", ["step", "ahead"])
def test_a_question_the_search_cannot_answer_goes_to_the_user_after_all(planning):
    asked = []
    user = AskUserTool(ask=lambda question: asked.append(question) or "We are four.")
    question = "How many people are splitting the bill?"
    first = plan(("ask_user", question)) if planning == "ahead" else step("ask_user", question)
    replies = [first] if planning == "ahead" else [first, step("final_answer", "Say it.")]
    agent, _, _ = build(
        replies,
        ["Four people are splitting the bill."],
        tools=[Lookup(), Calc(), user],
        planning=planning,
    )
    out = agent.invoke({"request": "We split a bill of 90 dollars. How much does each pay?"})
    search, ask = out["steps"][:2]
    assert search["tool"] == "lookup" and search["observation"] == "No information found."
    assert ask["tool"] == "ask_user" and ask["plan"]["asked"] == "search_first"
    assert asked == [question] and ask["observation"] == "We are four."


def test_the_reference_rule_is_told_only_with_examples_that_use_it():
    from langchain_gba.prompts import (
        PLAN_AHEAD_EXAMPLES,
        REFERENCE_PLAN_EXAMPLES,
        REFERENCES_RULE,
        plan_ahead_messages,
    )

    tools = [("search_wikipedia", "Search."), ("calculate_number", "Calculate.")]
    plain = plan_ahead_messages("Q?", [], tools)[0][1]
    assert REFERENCES_RULE not in plain and "#1" not in plain
    examples = PLAN_AHEAD_EXAMPLES + REFERENCE_PLAN_EXAMPLES
    with_refs = plan_ahead_messages("Q?", [], tools, examples=examples)[0][1]
    assert REFERENCES_RULE in with_refs and '"In which country was #1 born?"' in with_refs


def test_a_summary_that_answers_leaves_its_quoted_sentences_out(monkeypatch):
    """The sentences quoted under a search summary are for the steps, not the answer."""
    from langchain_gba.tools.search.summarize import Source, format_observation

    quote = "Mount Everest: Its elevation of 8,848.86 m was most recently established in 2020."
    observed = format_observation(
        "Mount Everest is 8,849 m high.", [Source("Mount Everest", "", "")], quotes=[quote]
    )
    monkeypatch.setitem(HEIGHTS, "everest", observed)
    agent, planner, writer = build([plan(("lookup", "how high is everest"))], [], planning="ahead")
    out = agent.invoke({"request": "How high is Everest?"})
    assert out["steps"][0]["observation"] == observed  # the quotes are in the step
    assert out["answer"] == "Mount Everest is 8,849 m high." and not writer.calls


@pytest.mark.parametrize("grounded_units", [True, False])
def test_a_number_relabelled_in_another_unit_goes_back_to_the_planner(grounded_units, monkeypatch):
    """ "299,792,458 kilometres per second" from "299,792,458 metres per second": no step
    converted it (``grounded_units``, the default)."""
    monkeypatch.setitem(HEIGHTS, "light", "Light travels 299,792,458 metres per second.")
    agent, planner, writer = build(
        [
            step("lookup", "How far does light travel in a second?"),
            step("final_answer", "Say how far."),
            step("calc", "299,792,458 metres in kilometres"),
            step("final_answer", "Say how far."),
        ],
        ["Light travels 299,792,458 kilometres per second.", "It travels 238 km."],
        grounded_units=grounded_units,
    )
    out = agent.invoke({"request": "How many kilometres does light travel in one second?"})
    if not grounded_units:
        assert out["answer"] == "Light travels 299,792,458 kilometres per second."
        return
    refused = out["steps"][1]
    assert refused["error"] and refused["plan"]["ungrounded"] == ["299,792,458"]
    assert [s["tool"] for s in out["steps"]][2:] == ["calc", "final_answer"]
    assert out["answer"] == "It travels 238 km."


@pytest.mark.parametrize("grounded_comparisons", [True, False])
def test_a_found_figure_given_as_a_difference_goes_back_to_the_planner(
    grounded_comparisons,
):
    """ "8,849 m higher than K2": Everest's height as the difference, which no step worked out
    (``grounded_comparisons``, the default); the run calculates it."""
    agent, planner, writer = build(
        [
            step("lookup", "How high are Everest and K2?"),
            step("final_answer", "Say how much higher."),
            step("calc", "Everest's height minus K2's"),
            step("final_answer", "Say how much higher."),
        ],
        ["Everest is 8,849 m higher than K2.", "Everest is 238 m higher than K2."],
        grounded_comparisons=grounded_comparisons,
    )
    out = agent.invoke({"request": REQUEST})
    if not grounded_comparisons:
        assert out["answer"] == "Everest is 8,849 m higher than K2."
        return
    refused = out["steps"][1]
    assert refused["error"] and refused["plan"]["ungrounded"] == ["8,849"]
    assert [s["tool"] for s in out["steps"]][2:] == ["calc", "final_answer"]
    assert out["answer"] == "Everest is 238 m higher than K2."  # the calculator's difference


def test_a_plan_ends_with_the_calculation_its_thoughts_name():
    """ "then their difference: calc" with only lookups planned: the calculation is added."""
    calc = ContextCalc(contexts=[])
    thoughts = "Needs both heights (a search each), then their difference: calc."
    agent, planner, writer = build(
        [
            plan(
                ("lookup", "How high is Everest?"), ("lookup", "How high is K2?"), thoughts=thoughts
            )
        ],
        ["Everest is 238 m higher than K2."],
        tools=[Lookup(), calc],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "lookup", "calc", "final_answer"]
    added = out["steps"][2]
    assert added["task"] == REQUEST and added["plan"]["from_thoughts"]
    assert len(planner.calls) == 1 and len(calc.contexts) == 1
    assert "gives 238, the calculation's result" in writer.calls[0][-1].content


@pytest.mark.parametrize(
    ("request_", "thoughts", "options"),
    [
        (REQUEST, "Needs both heights (a search each), then their difference: calc.", {}),
        (REQUEST, "Needs both heights: a search each.", {}),  # no calculation named
        ("Which mountain is in Nepal?", "Needs a fact (a search): calc.", {}),  # no number asked
        (REQUEST, "Needs both heights, then calc.", {"calculation_in_thoughts": False}),
    ],
)
def test_a_plan_runs_as_written_where_no_calculation_is_missing(request_, thoughts, options):
    calc = ContextCalc(contexts=[])
    steps = [("lookup", "How high is Everest?"), ("lookup", "How high is K2?")]
    if "difference" in thoughts:
        steps.append(("calc", "Everest's height minus K2's"))
    agent, *_ = build(
        [plan(*steps, thoughts=thoughts)],
        ["Everest is 8,849 m high and K2 8,611 m."],
        tools=[Lookup(), calc],
        planning="ahead",
        **options,
    )
    out = agent.invoke({"request": request_})
    tools = [s["tool"] for s in out["steps"]]
    assert tools.count("calc") == ("difference" in thoughts)
    assert not any(s["plan"].get("from_thoughts") for s in out["steps"])


def test_no_calculation_is_added_after_one_on_the_latest_results():
    """A re-plan whose thoughts still say calc, once calc has read every result: no second one."""
    calc = ContextCalc(contexts=[])
    thoughts = "Needs the difference: calc."
    agent, planner, _ = build(
        [
            plan(("lookup", "How high is Everest?"), ("lookup", "How high is K2?"), ("calc", "d")),
            plan(("lookup", "How high is K2?"), thoughts=thoughts),  # done already
        ],
        ["Everest is 300 m higher than K2.", "Everest is 238 m higher than K2."],
        tools=[Lookup(), calc],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    assert out["steps"][3]["error"] and len(planner.calls) == 2  # 300 refused: planned again
    assert [s["tool"] for s in out["steps"]].count("calc") == 1
    assert len(calc.contexts) == 1 and out["answer"] == "Everest is 238 m higher than K2."


RESTAURANT = "Book a table for me at my favourite restaurant."


def test_a_request_about_the_users_own_is_not_answered_before_asking():
    """A first plan without steps for "my favourite restaurant": planned again, the user asked."""
    asked = []
    user = AskUserTool(ask=lambda q: asked.append(q) or "My favourite restaurant is Luigi's.")
    direct = plan(thoughts="Needs no fact: a question about words, answered directly.")
    agent, planner, writer = build(
        [direct, plan(("ask_user", "Which is your favourite restaurant?"))],
        ["I cannot book tables, but your favourite restaurant is Luigi's."],
        tools=[Lookup(), Calc(), user],
        planning="ahead",
    )
    out = agent.invoke({"request": RESTAURANT})
    note, question, answered = out["steps"]
    assert note["tool"] == "final_answer" and note["error"]
    assert note["observation"].startswith(
        "Not answered: the request speaks of the user's own favourite restaurant"
    )
    assert "Not answered: the request speaks" in planner.calls[1][-1].content
    assert asked == ["Which is your favourite restaurant?"]
    assert answered["tool"] == "final_answer" and "Luigi" in out["answer"]
    assert len(writer.calls) == 1  # no answer was written before the user was asked


@pytest.mark.parametrize(
    ("request_", "tools", "options"),
    [
        ("Thank you so much, that answers my question.", "user", {}),  # a thanks
        ("What is the plural of 'my mouse'?", "user", {}),  # quoted
        (RESTAURANT, "user", {"ask_users_own": False}),
        (RESTAURANT, "none", {}),  # the user cannot be asked
    ],
)
def test_a_plan_without_steps_is_answered_where_the_user_has_nothing_to_add(
    request_, tools, options
):
    user = AskUserTool(ask=lambda q: "")
    agent, planner, _ = build(
        [plan(thoughts="Needs no fact.")],
        ["You're welcome!"],
        tools=[Lookup(), Calc(), *([user] if tools == "user" else [])],
        planning="ahead",
        grounded=False,
        **options,
    )
    out = agent.invoke({"request": request_})
    assert [s["tool"] for s in out["steps"]] == ["final_answer"]
    assert out["answer"] == "You're welcome!" and len(planner.calls) == 1


class FactlessCalc(Calc):
    """Refuses, as the calculator does, while the results do not give K2's height."""

    def _run(self, task: str, context: str = "", **_: object) -> str:
        if "8,611" not in context:
            msg = (
                "neither the task nor the results so far give every number this calculation "
                "needs, and the calculator does not guess numbers. Find the missing facts first "
                "(a search, or the user for details about them), then calculate with them."
            )
            raise ToolException(msg)
        return "8849 - 8611 = 238"


def test_after_a_calculation_refused_for_a_fact_the_next_plan_looks_it_up():
    agent, planner, _ = build(
        [
            plan(("calc", "Everest's height minus K2's height")),  # before any search
            plan(("calc", "Everest minus K2")),  # rejected: the grammar leaves calc out
            plan(("lookup", "How high are Everest and K2?")),
            plan(("calc", "Everest minus K2")),  # a result since: calc is back
        ],
        ["Everest is 238 m higher than K2."],
        tools=[Lookup(), FactlessCalc()],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    # planned again once the lookup ran: the calculation, not an answer without it
    assert [s["tool"] for s in out["steps"]] == ["calc", "lookup", "calc", "final_answer"]
    assert out["steps"][0]["error"]
    assert out["steps"][1]["plan"]["without"] == ["calc"]
    assert "without" not in out["steps"][2]["plan"]
    assert "rejected" in planner.calls[2][-1].content
    assert "calc" in planner.calls[2][0].content  # the prompt still lists it
    assert len(planner.calls) == 4
    assert out["steps"][2]["observation"].startswith("8849 - 8611 = 238")
    assert out["answer"] == "Everest is 238 m higher than K2."


def test_facts_before_calculation_false_lets_the_plan_calculate_again():
    agent, _, _ = build(
        [
            plan(("calc", "Everest's height minus K2's height")),
            plan(("calc", "Everest minus K2")),  # accepted, refused again by the tool
            plan(("lookup", "How high are Everest and K2?"), ("calc", "Everest minus K2")),
        ],
        ["Everest is 238 m higher than K2."],
        tools=[Lookup(), FactlessCalc()],
        planning="ahead",
        facts_before_calculation=False,
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]][:2] == ["calc", "calc"]


def test_a_calculation_refused_after_a_fact_was_found_is_planned_as_the_planner_wants():
    agent, planner, _ = build(
        [
            plan(("lookup", "How high is Everest?"), ("calc", "Everest minus K2")),
            plan(("lookup", "How high is K2?"), ("calc", "Everest minus K2")),  # calc allowed
        ],
        ["Everest is 238 m higher than K2."],
        tools=[Lookup(), FactlessCalc()],
        planning="ahead",
    )
    out = agent.invoke({"request": REQUEST})
    assert [s["tool"] for s in out["steps"]] == ["lookup", "calc", "lookup", "calc", "final_answer"]
    assert out["steps"][1]["error"]
    assert not any("without" in s["plan"] for s in out["steps"])
    assert len(planner.calls) == 2  # no reply rejected
    assert out["answer"] == "Everest is 238 m higher than K2."
