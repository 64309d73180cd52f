"""Graph routing with scripted models: which node runs, what the state records."""

from __future__ import annotations

import json
import sqlite3

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import BaseModel, Field
from scripted import ScriptedChatModel, answer, step

from langchain_gba import AgentConfigError, AgentInputError, ModelNotFoundError
from langchain_gba.agent import create_gba_agent
from langchain_gba.planner import ZeroShotPlanner
from langchain_gba.tools import (
    CalculatorTool,
    TaskInput,
    TaskWithContextInput,
    TaskWithRequestInput,
)


class Lookup(BaseTool):
    name: str = "lookup"
    description: str = "Look a fact up."
    args_schema: type[TaskInput] = TaskInput
    seen: list[str] = []

    def _run(self, task: str, **_: object) -> str:
        self.seen.append(task)
        return f"found: {task}"


@tool
def send_email(recipient: str, subject: str, body: str) -> str:
    """Send an email."""
    return f"sent to {recipient}: {subject}"


@tool
def explode(task: str) -> str:
    """A tool that always raises."""
    raise ValueError("the disk is on fire")


def agent_with(planner_replies, tools, *, fc_replies=(), answers=("Done.",), **kw):
    planner = ScriptedChatModel(replies=list(planner_replies))
    fc = ScriptedChatModel(replies=list(fc_replies))
    writer = ScriptedChatModel(replies=[answer(a) for a in answers])
    kw.setdefault("early_answer", False)  # scripted planners reply to planner steps only
    agent = create_gba_agent(
        tools,
        planner=ZeroShotPlanner(planner),
        function_calling_model=fc,
        answer_model=writer,
        **{"planning": "step", **kw},  # scripted replies are single steps
    )
    return agent, planner, fc, writer


def test_task_tool_gets_the_task_and_the_answer_ends_the_run():
    lookup = Lookup()
    agent, planner, fc, _ = agent_with(
        [step("lookup", "Find the height of K2."), step("final_answer", "Tell the user.")],
        [lookup],
        answers=["K2 is the second-highest mountain."],
    )
    out = agent.invoke({"request": "How high is K2?"})
    assert out["status"] == "answered"
    assert out["answer"] == "K2 is the second-highest mountain."
    assert lookup.seen == ["Find the height of K2."]
    assert fc.calls == []  # a task-taking tool skips function calling
    first, last = out["steps"]
    assert (first["tool"], first["observation"], first["error"]) == (
        "lookup",
        "found: Find the height of K2.",
        False,
    )
    assert first["arguments"] == {"task": "Find the height of K2."}
    assert last["tool"] == "final_answer" and last["observation"] == out["answer"]
    assert isinstance(out["messages"][0], HumanMessage)
    assert isinstance(out["messages"][-1], AIMessage)
    assert out["messages"][-1].content == out["answer"]
    # the second planner call saw the first observation in its context
    assert "found: Find the height of K2." in planner.calls[1][-1].content


class Calc(BaseTool):
    name: str = "calc"
    description: str = "Calculate a number."
    args_schema: type[TaskWithContextInput] = TaskWithContextInput
    seen: list[tuple[str, str]] = []

    def _run(self, task: str, context: str = "", **_: object) -> str:
        self.seen.append((task, context))
        return "= 25"


def test_a_tool_that_reads_the_context_gets_the_request_and_the_results():
    lookup, calc = Lookup(), Calc()
    agent, *_ = agent_with(
        [
            step("lookup", "Find the weight."),
            step("lookup", "Find the weight."),  # a repeat: not in the context
            step("calc", "Calculate the index."),
            step("final_answer", "Tell the user."),
        ],
        [lookup, calc],
    )
    out = agent.invoke({"request": "What is my index?"})
    [(task, context)] = calc.seen
    assert task == "Calculate the index."
    assert context == (
        "Request: What is my index?\n\nTask: Find the weight.\nResult: found: Find the weight."
    )
    assert out["steps"][2]["arguments"] == {"task": "Calculate the index."}  # derived, not kept


class Search(BaseTool):
    name: str = "search"
    description: str = "Search for facts."
    args_schema: type[TaskWithRequestInput] = TaskWithRequestInput
    seen: list[tuple[str, str]] = []

    def _run(self, task: str, request: str = "", **_: object) -> str:
        self.seen.append((task, request))
        return "found"


def test_a_tool_that_reads_the_request_gets_it_beside_the_task():
    search = Search()
    agent, *_ = agent_with([step("search", "Find the year 1906."), step("final_answer")], [search])
    out = agent.invoke({"request": "When was Guernica painted?"})
    assert search.seen == [("Find the year 1906.", "When was Guernica painted?")]
    assert out["steps"][0]["arguments"] == {"task": "Find the year 1906."}  # derived, not kept


def test_other_tools_get_arguments_from_function_calling():
    args = {"recipient": "bob@example.com", "subject": "Late", "body": "I am late."}
    import json

    agent, _, fc, _ = agent_with(
        [step("send_email", "Email bob@example.com that I am late."), step("final_answer")],
        [send_email],
        fc_replies=[json.dumps(args)],
    )
    out = agent.invoke({"request": "Tell Bob (bob@example.com) I am late."})
    first = out["steps"][0]
    assert first["arguments"] == args
    assert first["observation"] == "sent to bob@example.com: Late"
    assert "Email bob@example.com that I am late." in fc.calls[0][-1].content


def test_invalid_arguments_become_an_error_observation():
    agent, _, _, _ = agent_with(
        [step("send_email"), step("final_answer")],
        [send_email],
        fc_replies=["not json"] * 3,  # the prompted route retries twice
    )
    out = agent.invoke({"request": "Tell Bob (bob@example.com) I am late."})
    first = out["steps"][0]
    assert first["error"] is True
    assert first["observation"].startswith("Error: no valid arguments for send_email")
    assert out["status"] == "answered"


def test_a_raising_tool_becomes_an_observation_and_the_plan_goes_on():
    agent, planner, _, _ = agent_with([step("explode"), step("final_answer")], [explode])
    out = agent.invoke({"request": "Do it."})
    first = out["steps"][0]
    assert first["error"] is True
    assert first["observation"] == "Error: explode failed: ValueError: the disk is on fire"
    assert "the disk is on fire" in planner.calls[1][-1].content
    assert out["status"] == "answered"


def test_a_tools_own_failure_is_observed_as_written_and_flagged():
    """The built-in tools raise ToolException subclasses; only the tool node catches them."""
    agent, *_ = agent_with(
        [step("calculate_number", "2026 - 1911"), step("final_answer")], [CalculatorTool()]
    )
    out = agent.invoke({"request": "How many years ago did the Titanic sink?"})
    first = out["steps"][0]
    assert first["error"] is True
    assert first["observation"].startswith("Error: neither the task nor the results so far")


def test_step_limit_ends_incomplete_with_the_trajectory():
    replies = [step("lookup", f"task {i}") for i in range(5)]
    agent, _, _, writer = agent_with(replies, [Lookup()], max_steps=3)
    out = agent.invoke({"request": "Loop."})
    assert out["status"] == "incomplete"
    assert len(out["steps"]) == 3
    assert out["answer"] is None
    assert "3 steps" in out["messages"][-1].content
    assert writer.calls == []
    assert "Done so far" not in out["messages"][-1].content  # a lookup is no action


def test_a_step_limit_says_which_actions_were_taken():
    args = {"recipient": "bob@example.com", "subject": "Late", "body": "I am late."}
    replies = [step("send_email", "Email Bob that I am late."), step("lookup", "Why?")]
    agent, *_ = agent_with(
        replies, [send_email, Lookup()], fc_replies=[json.dumps(args)], max_steps=2
    )
    out = agent.invoke({"request": "Tell bob@example.com I am late, then find out why."})
    assert out["status"] == "incomplete"
    assert out["messages"][-1].content == (
        "I could not finish within 2 steps. Done so far: step 1, send_email: sent to "
        "bob@example.com: Late."
    )


COPIED = (
    "What is still missing to answer the request and the tool that gets it: a search for facts, "
    "the search_w"
)  # a field description a small planner wrote as its task


def test_a_task_that_copies_the_instructions_works_on_the_request():
    lookup = Lookup(seen=[])
    agent, *_ = agent_with([step("lookup", COPIED), step("final_answer")], [lookup])
    out = agent.invoke({"request": "Who wrote Hamlet?"})
    assert lookup.seen == ["Who wrote Hamlet?"]
    first = out["steps"][0]
    assert first["task"] == "Who wrote Hamlet?" and first["plan"]["copied_task"] == COPIED
    assert out["status"] == "answered"


def test_a_question_that_copies_the_instructions_is_not_asked():
    replies = [step("ask_user", COPIED), step("final_answer")]
    agent, planner, _, _ = agent_with(replies, [Lookup()], checkpointer=InMemorySaver())
    out = agent.invoke({"request": "Pick a colour."}, {"configurable": {"thread_id": "c"}})
    assert "__interrupt__" not in out and out["status"] == "answered"
    first = out["steps"][0]
    assert first["tool"] == "ask_user" and first["error"] and "Not asked" in first["observation"]
    assert "Not asked" in planner.calls[1][-1].content


def test_the_user_is_not_asked_about_themselves_in_a_question_about_the_world():
    """ "How old are you?" for the Great Pyramid's age: not asked; the planner is told why."""
    lookup = Lookup(seen=[])
    replies = [step("ask_user", "How old are you?"), step("lookup", "When was it built?")]
    agent, planner, _, _ = agent_with(
        [*replies, step("final_answer")], [lookup], checkpointer=InMemorySaver()
    )
    request = "Roughly how many years old is the Great Pyramid of Giza as of 2026?"
    out = agent.invoke({"request": request}, {"configurable": {"thread_id": "w"}})
    assert "__interrupt__" not in out and out["status"] == "answered"
    first = out["steps"][0]
    assert first["tool"] == "ask_user" and first["error"]
    assert first["observation"].startswith("Not asked: the request asks about the world")
    assert "Not asked" in planner.calls[1][-1].content
    assert lookup.seen == ["When was it built?"]


def test_the_user_is_asked_when_the_request_speaks_of_them_or_the_option_allows_it():
    config = {"configurable": {"thread_id": "u"}}
    ask = [step("ask_user", "How old are you?"), step("final_answer")]
    agent, *_ = agent_with(ask, [Lookup()], checkpointer=InMemorySaver())
    out = agent.invoke({"request": "Am I older than the Eiffel Tower?"}, config)
    assert out["__interrupt__"][0].value["question"] == "How old are you?"
    agent, *_ = agent_with(
        ask, [Lookup()], checkpointer=InMemorySaver(), ask_in_world_requests=True
    )
    out = agent.invoke({"request": "How old is the Eiffel Tower?"}, config)
    assert out["__interrupt__"][0].value["question"] == "How old are you?"


@pytest.mark.parametrize(
    ("request_", "world"),
    [
        ("Roughly how many years old is the Great Pyramid of Giza as of 2026?", True),
        ("Napoleon was Emperor of the French for how many years before he abdicated?", True),
        ("What is the German word for 'cat'?", True),
        ("What is the weather like today?", False),  # names nothing: where the user is
        ("How much fuel do I need for my trip to Lyon?", False),
        ("How far is Paris from us?", False),
        ("Book a table at Luigi's tonight.", False),  # no question
        ("Which planet is the largest?", False),
        ("Am I older than the Eiffel Tower?", False),
        ("How long did World War I last?", True),
    ],
)
def test_a_request_about_the_world_names_things_and_never_the_user(request_, world):
    from langchain_gba.tools.ask_user import about_the_world

    assert about_the_world(request_) is world


def test_a_repeated_task_is_not_run_again_and_the_planner_is_told():
    lookup = Lookup(seen=[])
    replies = [step("lookup", "Find X."), step("lookup", "find x"), step("final_answer")]
    agent, planner, _, writer = agent_with(replies, [lookup])
    out = agent.invoke({"request": "What is X?"})
    assert lookup.seen == ["Find X."]  # the tool ran once
    assert [s["tool"] for s in out["steps"]] == ["lookup", "lookup", "final_answer"]
    assert "already done in step 1" in out["steps"][1]["observation"]
    assert "already done in step 1" in planner.calls[2][-1].content  # the planner saw it
    assert out["steps"][1]["plan"]["repeat_of"] == 1
    assert out["loops"] == 1 and out["status"] == "answered"
    # the answer is written from what the tools found, not from the note about the repeat
    answer_prompt = writer.calls[0][-1].content
    assert "found: Find X." in answer_prompt and "already done" not in answer_prompt


def test_a_planner_that_keeps_repeating_itself_ends_with_an_answer():
    lookup = Lookup(seen=[])
    agent, _, _, writer = agent_with([step("lookup", "Find X.")] * 3, [lookup], max_loops=2)
    out = agent.invoke({"request": "What is X?"})
    assert lookup.seen == ["Find X."]
    assert out["status"] == "answered" and out["answer"] == "Done."
    assert out["loops"] == 2
    assert out["steps"][-1]["plan"]["stopped"] == "loop"
    assert "found: Find X." in writer.calls[0][-1].content  # answered from the results


def test_the_same_result_again_counts_as_a_loop():
    @tool
    def stuck(task: str) -> str:
        """Always says the same."""
        return "The same page."

    replies = [step("stuck", "a"), step("stuck", "b"), step("stuck", "c"), step("stuck", "d")]
    agent, _, _, writer = agent_with(replies, [stuck], max_loops=2)
    out = agent.invoke({"request": "Go."})
    assert out["steps"][1]["observation"].endswith("(The same result as step 1.)")
    assert [s["tool"] for s in out["steps"]] == ["stuck", "stuck", "stuck", "final_answer"]
    assert out["loops"] == 2 and out["status"] == "answered"


def test_the_same_failure_again_counts_as_a_loop_even_for_another_task():
    """A failed task may be tried again, but the same error again and again is no progress."""
    replies = [step("explode", f"try {i}") for i in range(5)]
    agent, *_ = agent_with(replies, [explode], max_loops=2)
    out = agent.invoke({"request": "Do it."})
    tools = [s["tool"] for s in out["steps"]]
    assert tools == ["explode", "explode", "explode", "final_answer"]
    assert "(The same result as step 1.)" in out["steps"][1]["observation"]
    assert out["steps"][-1]["plan"]["stopped"] == "loop"
    assert out["status"] == "answered"


def test_max_loops_below_one_is_a_config_error():
    with pytest.raises(AgentConfigError, match="max_loops"):
        agent_with([], [Lookup()], max_loops=0)


def test_unusable_planner_output_fails_the_run_with_the_reason():
    agent, _, _, _ = agent_with(["I think we should search."] * 3, [Lookup()])
    out = agent.invoke({"request": "Hi"})
    assert out["status"] == "failed"
    assert "planner" in out["error"]
    assert out["steps"] == []


def test_ask_user_interrupts_and_resumes_with_the_reply(tmp_path):
    conn = sqlite3.connect(tmp_path / "threads.sqlite", check_same_thread=False)
    replies = [step("ask_user", "What is your favourite colour?"), step("final_answer")]
    agent, planner, _, _ = agent_with(
        replies, [Lookup()], answers=["Blue."], checkpointer=SqliteSaver(conn)
    )
    config = {"configurable": {"thread_id": "t1"}}
    paused = agent.invoke({"request": "Pick a colour for me."}, config)
    assert paused["__interrupt__"][0].value == {
        "type": "ask_user",
        "question": "What is your favourite colour?",
    }
    assert agent.get_state(config).next == ("run_tool",)
    out = agent.invoke(Command(resume="blue"), config)
    assert out["status"] == "answered"
    assert out["steps"][0]["observation"] == "blue"
    assert "blue" in planner.calls[1][-1].content


def test_a_thread_survives_a_new_process(tmp_path):
    path = tmp_path / "threads.sqlite"
    config = {"configurable": {"thread_id": "t2"}}
    with sqlite3.connect(path, check_same_thread=False) as conn:
        agent, _, _, _ = agent_with(
            [step("ask_user", "Which city are you in?")], [Lookup()], checkpointer=SqliteSaver(conn)
        )
        agent.invoke({"request": "Weather at home?"}, config)
    # a new agent (new models, new connection) picks the thread up from the file
    with sqlite3.connect(path, check_same_thread=False) as conn:
        agent, _, _, _ = agent_with(
            [step("final_answer")], [Lookup()], answers=["Sunny."], checkpointer=SqliteSaver(conn)
        )
        out = agent.invoke(Command(resume="Oslo"), config)
    assert out["status"] == "answered"
    assert [s["observation"] for s in out["steps"]] == ["Oslo", "Sunny."]


def test_resuming_an_unknown_thread_is_a_clear_error():
    agent, _, _, _ = agent_with([], [Lookup()], checkpointer=InMemorySaver())
    with pytest.raises(AgentInputError, match="thread 'nope'"):
        agent.invoke(Command(resume="hi"), {"configurable": {"thread_id": "nope"}})


def test_a_tool_named_ask_user_replaces_the_built_in_one():
    @tool("ask_user")
    def simulated_user(task: str) -> str:
        """Answer as the user."""
        return "I live in Lyon."

    agent, _, _, _ = agent_with(
        [step("ask_user", "Where are you?"), step("final_answer")], [simulated_user]
    )
    out = agent.invoke({"request": "Weather at home?"})
    assert out["steps"][0]["observation"] == "I live in Lyon."


def test_ask_user_without_checkpointer_is_an_observation_not_a_crash():
    agent, _, _, _ = agent_with(
        [step("ask_user", "Where are you?"), step("final_answer")], [Lookup()]
    )
    out = agent.invoke({"request": "Weather at home?"})
    assert out["steps"][0]["error"] is True
    assert "checkpointer" in out["steps"][0]["observation"].lower()


ONE_LOOKUP_THEN_ANSWER = [
    "take_request",
    "plan_step",
    "write_arguments",
    "run_tool",
    "plan_step",
    "write_answer",
]


def test_stream_yields_one_node_update_at_a_time_in_order():
    agent, _, _, _ = agent_with([step("lookup"), step("final_answer")], [Lookup()])
    nodes = [next(iter(u)) for u in agent.stream({"request": "Go."}, stream_mode="updates")]
    assert nodes == ONE_LOOKUP_THEN_ANSWER


async def test_astream_and_ainvoke():
    agent, _, _, _ = agent_with([step("lookup"), step("final_answer")], [Lookup()])
    nodes = [next(iter(u)) async for u in agent.astream({"request": "Go."})]
    assert nodes == ONE_LOOKUP_THEN_ANSWER
    agent, _, _, _ = agent_with([step("final_answer")], [Lookup()])
    assert (await agent.ainvoke({"request": "Go."}))["status"] == "answered"


def test_messages_input_and_a_second_request_on_the_same_thread():
    replies = [step("lookup"), step("final_answer"), step("final_answer")]
    agent, _, _, _ = agent_with(
        replies, [Lookup()], answers=["One.", "Two."], checkpointer=InMemorySaver()
    )
    config = {"configurable": {"thread_id": "chat"}}
    first = agent.invoke({"messages": [HumanMessage("First question?")]}, config)
    assert first["request"] == "First question?" and len(first["steps"]) == 2
    second = agent.invoke({"request": "Second question?"}, config)
    assert second["request"] == "Second question?"
    assert [s["tool"] for s in second["steps"]] == ["final_answer"]  # a fresh trajectory
    assert [m.content for m in second["messages"]] == [
        "First question?",
        "One.",
        "Second question?",
        "Two.",
    ]


def test_long_observations_are_cut():
    @tool
    def verbose(task: str) -> str:
        """Talk a lot."""
        return "x" * 5000

    agent, _, _, _ = agent_with(
        [step("verbose"), step("final_answer")], [verbose], max_observation_chars=100
    )
    out = agent.invoke({"request": "Go."})
    assert out["steps"][0]["observation"] == "x" * 100 + " [cut]"


@pytest.mark.parametrize("request_", ["", "   "])
def test_empty_request_is_a_clear_error(request_):
    agent, _, _, _ = agent_with([], [Lookup()])
    with pytest.raises(AgentInputError, match="request is empty"):
        agent.invoke({"request": request_})


def test_bad_tool_sets_are_clear_errors():
    planner = ZeroShotPlanner(ScriptedChatModel(replies=[]))
    with pytest.raises(AgentConfigError, match="Two tools are named 'lookup'"):
        create_gba_agent([Lookup(), Lookup()], planner=planner)

    class Mute(Lookup):
        name: str = "mute"
        description: str = ""

    with pytest.raises(AgentConfigError, match="no description"):
        create_gba_agent([Mute()], planner=planner)

    @tool("final_answer")
    def mine(task: str) -> str:
        """My own answer."""
        return task

    with pytest.raises(AgentConfigError, match="built in"):
        create_gba_agent([mine], planner=planner)
    with pytest.raises(AgentConfigError, match="max_steps"):
        create_gba_agent([Lookup()], planner=planner, max_steps=0)
    with pytest.raises(AgentConfigError, match="Not a tool"):
        create_gba_agent([42], planner=planner)  # type: ignore[list-item]


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        create_gba_agent([Lookup()], planner="no-such-model")


def test_plain_functions_are_tools():
    def shout(task: str) -> str:
        """Shout the task."""
        return task.upper()

    agent, _, _, _ = agent_with([step("shout", "hey"), step("final_answer")], [shout])
    assert agent.invoke({"request": "Go."})["steps"][0]["observation"] == "HEY"


@pytest.mark.parametrize(
    "options",
    [{}, {"ask_user": False}, {"checkpointer": InMemorySaver(), "max_steps": 3, "max_loops": 1}],
)
def test_the_graph_drawing_reads_like_the_data_flow(options):
    """request → plan → call → observation, whatever the options (the snapshot: graph.mmd)."""
    from pathlib import Path

    agent, *_ = agent_with([], [Lookup(), send_email], **options)
    expected = (Path(__file__).parent / "graph.mmd").read_text()
    assert agent.get_graph().draw_mermaid() == expected


def test_check_fit_declines_a_task_the_tool_does_not_do():
    agent, planner, fc, _ = agent_with(
        [step("send_email", "Find the weather in Lyon."), step("final_answer")],
        [send_email],
        fc_replies=['{"answer": "No"}'] * 2,  # a model without logprobs: its greedy choices
        answers=["I cannot look the weather up."],
        check_fit=True,
    )
    out = agent.invoke({"request": "What is the weather in Lyon?"})
    declined, last = out["steps"]
    assert declined["tool"] == "send_email" and declined["error"] is True
    assert declined["arguments"] == {}
    assert declined["observation"].startswith("Not called: send_email does not do this task.")
    assert "Its arguments:\n- recipient (string, required)" in fc.calls[0][0].content
    assert "Does calling send_email do what this task asks for?" in fc.calls[0][-1].content
    assert "Can this task be done by calling send_email?" in fc.calls[1][-1].content
    assert len(fc.calls) == 2  # the question in its two wordings, no arguments written
    assert last["tool"] == "final_answer" and out["status"] == "answered"
    # the planner saw the refusal as the step's result
    assert "Not called: send_email" in planner.calls[1][-1].content


def test_check_fit_calls_a_tool_that_fits_with_its_arguments():
    call = {"recipient": "bob@example.com", "subject": "Late", "body": "I am late."}
    agent, _, fc, _ = agent_with(
        [step("send_email", "Email bob@example.com that I am late."), step("final_answer")],
        [send_email],
        fc_replies=['{"answer": "Yes"}'] * 2 + [json.dumps(call)],
        check_fit=True,
    )
    out = agent.invoke({"request": "Tell Bob (bob@example.com) I am late."})
    sent = out["steps"][0]
    assert (sent["arguments"], sent["observation"]) == (call, "sent to bob@example.com: Late")
    assert sent["error"] is False


def test_early_answer_writes_the_answer_without_a_planner_step():
    from langchain_gba.prompts import EARLY_ANSWER_THOUGHTS, RESULTS_ANSWER_QUESTION

    lookup = Lookup()
    agent, planner, _, writer = agent_with(
        [step("lookup", "Find who painted the Mona Lisa."), json.dumps({"answer": "Yes"})],
        [lookup],
        answers=["Leonardo da Vinci painted it."],
        early_answer=True,
    )
    out = agent.invoke({"request": "Who painted the Mona Lisa?"})
    assert out["status"] == "answered" and out["answer"] == "Leonardo da Vinci painted it."
    assert len(planner.calls) == 2  # the step, then the question; no second step
    assert planner.calls[1][-1].content.endswith(RESULTS_ANSWER_QUESTION)
    last = out["steps"][-1]
    assert last["tool"] == "final_answer"
    assert last["plan"]["results_answer"] == 1.0
    assert last["plan"]["thoughts"] == EARLY_ANSWER_THOUGHTS


def test_early_answer_no_goes_on_planning_and_records_the_probability():
    lookup = Lookup()
    agent, planner, *_ = agent_with(
        [
            step("lookup", "Find the height of K2."),
            json.dumps({"answer": "No"}),
            step("final_answer", "Tell the user."),
        ],
        [lookup],
        answers=["K2 is very high."],
        early_answer=0.9,
    )
    out = agent.invoke({"request": "How high is K2?"})
    assert out["status"] == "answered"
    assert len(planner.calls) == 3
    assert out["steps"][-1]["plan"]["results_answer"] == 0.0


def test_early_answer_is_not_asked_after_a_failed_step():
    agent, planner, *_ = agent_with(
        [step("explode", "Burn."), step("final_answer", "Tell the user.")],
        [explode],
        fc_replies=[json.dumps({"task": "Burn."})],
        answers=["It failed."],
        early_answer=True,
    )
    out = agent.invoke({"request": "Burn the disk."})
    assert out["steps"][0]["error"]
    assert len(planner.calls) == 2  # no question after the error
    assert "results_answer" not in out["steps"][-1]["plan"]


@pytest.mark.parametrize("threshold", [1.5, -0.1])
def test_early_answer_threshold_must_be_a_probability(threshold):
    with pytest.raises(AgentConfigError, match="between 0 and 1"):
        create_gba_agent(
            [CalculatorTool()],
            planner=ZeroShotPlanner(ScriptedChatModel(replies=[])),
            early_answer=threshold,
        )


def test_a_fine_tuned_planner_plans_every_step():
    from langchain_gba.planner import FineTunedPlanner

    lookup = Lookup()
    planner = ScriptedChatModel(
        replies=[step("lookup", "Find the height of K2."), step("final_answer", "Tell.")]
    )
    agent = create_gba_agent(
        [lookup],
        planner=FineTunedPlanner(planner),
        function_calling_model=ScriptedChatModel(replies=[]),
        answer_model=ScriptedChatModel(replies=[answer("K2 is very high.")]),
        ask_user=False,
    )  # early_answer=True, the default: not asked of a planner trained on steps only
    out = agent.invoke({"request": "How high is K2?"})
    assert out["status"] == "answered"
    assert len(planner.calls) == 2
    assert "results_answer" not in out["steps"][-1]["plan"]


def test_an_action_to_an_address_nobody_gave_is_not_called_and_the_user_is_asked():
    """ "landlord@example.com" for "my landlord": not sent; the planner asks, the reply's goes."""
    invented = {"recipient": "landlord@example.com", "subject": "Heating", "body": "Broken."}
    given = {**invented, "recipient": "m.okafor@example.net"}
    email_step = step("send_email", "Email my landlord that the heating is broken.")
    agent, planner, fc, _ = agent_with(
        [email_step, email_step, step("final_answer")],
        [send_email],
        fc_replies=[json.dumps(invented), json.dumps(given)],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "landlord"}}
    out = agent.invoke({"request": "Tell my landlord by email that the heating is broken."}, config)
    refused = out["steps"][0]
    assert refused["error"] and refused["arguments"] == invented
    assert refused["plan"]["unsourced"] == ["landlord@example.com"]
    assert refused["observation"].startswith(
        "Not called: send_email needs an email address that neither the request nor a result"
    )
    assert len(planner.calls) == 1  # the agent asks: no planner call
    assert out["__interrupt__"][0].value["question"] == (
        'For "Tell my landlord by email that the heating is broken." I need an email address '
        "that you have not given. What is it?"
    )
    out = agent.invoke(Command(resume="It is m.okafor@example.net."), config)
    sent = out["steps"][2]
    assert not sent["error"] and sent["observation"] == "sent to m.okafor@example.net: Heating"


def test_an_unsourced_address_is_called_as_written_with_the_check_off():
    args = {"recipient": "bob@example.com", "subject": "Late", "body": "I am late."}
    agent, *_ = agent_with(
        [step("send_email", "Email Bob that I am late."), step("final_answer")],
        [send_email],
        fc_replies=[json.dumps(args)],
        grounded_addresses=False,
    )
    out = agent.invoke({"request": "Tell Bob I am late."})
    assert out["steps"][0]["observation"] == "sent to bob@example.com: Late"


def test_a_repeated_action_that_never_ran_is_no_action_done():
    """The repeat's "Not done again" note (error=False) of a refused email: a claim is refused."""
    invented = {"recipient": "accountant@example.com", "subject": "Income", "body": "4,200."}
    email_step = step("send_email", "Email my accountant my income.")
    agent, *_ = agent_with(
        [email_step, email_step, step("final_answer"), step("final_answer"), step("final_answer")],
        [send_email],
        fc_replies=[json.dumps(invented)],
        answers=["The email to your accountant was sent.", "The email was sent."] * 2,
        ask_user=False,  # else the agent asks for the address
    )
    out = agent.invoke({"request": "Email my accountant that my income was 4,200 euros."})
    refused, repeat, claim = out["steps"][:3]
    assert refused["error"] and not repeat["error"] and "repeat_of" in repeat["plan"]
    assert claim["error"] and claim["plan"]["undone"] == ["send_email"]
    assert out["answer"] == "I did not do this: send_email did not run."


class EventArgs(BaseModel):
    title: str
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    time: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    duration_minutes: int = 60


@tool(args_schema=EventArgs)
def create_event(title: str, date: str, time: str | None = None, duration_minutes: int = 60) -> str:
    """Add an event to the calendar."""
    return f"added {title} on {date} at {time} ({duration_minutes} min)"


def test_an_event_on_a_date_nobody_gave_is_not_created_and_the_user_is_asked():
    invented = {"title": "Flight to Lisbon", "date": "2026-05-10", "time": "14:00"}
    given = {**invented, "date": "2026-07-18", "time": "07:45"}
    event_step = step("create_event", "Add my flight to Lisbon to the calendar.")
    agent, planner, _, _ = agent_with(
        [event_step, event_step, step("final_answer")],
        [create_event],
        fc_replies=[json.dumps(invented), json.dumps(given)],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "lisbon"}}
    out = agent.invoke({"request": "Add my flight to Lisbon to my calendar."}, config)
    refused = out["steps"][0]
    assert refused["error"] and refused["plan"]["unsourced"] == ["2026-05-10", "14:00"]
    assert refused["observation"].startswith(
        "Not called: create_event needs a date or time that neither the request nor a result"
    )
    assert "2026-05-10" not in refused["observation"]  # the made-up value is not repeated
    out = agent.invoke(Command(resume="It leaves on July 18th 2026 at 7:45."), config)
    added = out["steps"][2]
    assert not added["error"] and added["observation"].startswith("added Flight to Lisbon on 2026")
    assert out["status"] == "answered"


def test_a_made_up_date_is_called_as_written_with_the_check_off():
    invented = {"title": "Flight", "date": "2026-05-10"}
    agent, *_ = agent_with(
        [step("create_event", "Add my flight."), step("final_answer")],
        [create_event],
        fc_replies=[json.dumps(invented)],
        grounded_dates=False,
    )
    out = agent.invoke({"request": "Add my flight to my calendar."})
    assert out["steps"][0]["observation"].startswith("added Flight on 2026-05-10")


def test_an_event_again_with_another_duration_is_the_same_event():
    first = {"title": "Flight to Oslo", "date": "2026-08-01", "time": "06:40"}
    again = {**first, "duration_minutes": 120}
    other_time = {**first, "time": "18:20"}  # the same day, another time: another event
    agent, *_ = agent_with(
        [step("create_event", f"Add the flight{s}.") for s in ("", " again", " at 18:20")]
        + [step("final_answer")],
        [create_event],
        fc_replies=[json.dumps(first), json.dumps(again), json.dumps(other_time)],
        complete_actions=False,
    )
    out = agent.invoke({"request": "Put the flight on 2026-08-01 at 06:40 and at 18:20."})
    repeat = out["steps"][1]
    assert repeat["plan"]["repeat_of"] == 1
    assert "date=2026-08-01, time=06:40" in repeat["observation"]
    assert out["steps"][2]["observation"].startswith("added Flight to Oslo on 2026-08-01 at 18:20")


@pytest.mark.parametrize("complete_actions", [True, False])
def test_the_second_entry_the_planner_leaves_out_is_made(complete_actions):
    oslo = {"title": "Flight to Oslo", "date": "2026-08-01", "time": "06:40"}
    back = {"title": "Return flight", "date": "2026-08-09", "time": "18:20"}
    agent, planner, fc, _ = agent_with(
        [step("create_event", "Add the flight to Oslo."), step("final_answer")]
        + [step("final_answer")],
        [create_event],
        fc_replies=[json.dumps(oslo), json.dumps(back)],
        complete_actions=complete_actions,
    )
    request = (
        "Put 'Flight to Oslo' on 2026-08-01 at 06:40 and 'Return flight' on August 9th 2026 at "
        "18:20 in my calendar."
    )
    out = agent.invoke({"request": request})
    tools = [s["tool"] for s in out["steps"]]
    if not complete_actions:
        assert tools == ["create_event", "final_answer"]
        return
    assert tools == ["create_event", "create_event", "final_answer"]
    second = out["steps"][1]
    assert second["task"] == "Do what the request asks for August 9th 2026."
    assert second["plan"]["unused"] == ["August 9th 2026"]
    assert second["observation"].startswith("added Return flight on 2026-08-09")
    assert request in fc.calls[-1][-1].content  # function calling reads the request
    assert out["status"] == "answered" and len(planner.calls) == 3


def test_a_target_no_action_of_its_kind_took_is_told_to_the_planner_once():
    args = {"recipient": "bob@example.com", "subject": "Report", "body": "The report is ready."}
    agent, planner, _, _ = agent_with(
        [step("send_email", "Email Bob."), step("final_answer"), step("final_answer")],
        [send_email, create_event],
        fc_replies=[json.dumps(args)],
    )
    request = "Email bob@example.com that the report is ready; the review is on 2026-12-24."
    out = agent.invoke({"request": request})
    assert [s["tool"] for s in out["steps"]] == ["send_email", "final_answer", "final_answer"]
    note = out["steps"][1]
    assert note["error"] and note["plan"]["unused"] == ["2026-12-24"]
    assert note["observation"].startswith("Not done yet: the request also names 2026-12-24")
    assert "Not done yet" in planner.calls[2][-1].content
    assert out["status"] == "answered"


def test_no_answer_goes_back_before_any_action_or_after_the_user_edits_one():
    args = {"recipient": "bob@example.com", "subject": "Late", "body": "I am late."}
    request = "Email bob@example.com and ann@example.com that I am late."
    agent, *_ = agent_with(
        [step("send_email", "Email Bob."), step("final_answer")],
        [send_email],
        fc_replies=["not json"] * 3,  # no arguments: no action took effect
    )
    out = agent.invoke({"request": request})
    assert [s["tool"] for s in out["steps"]] == ["send_email", "final_answer"]
    agent, *_ = agent_with(
        [step("send_email", "Email Bob."), step("final_answer")],
        [send_email],
        fc_replies=[json.dumps(args)],
        interrupt_on={"send_email": True},
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "edited"}}
    agent.invoke({"request": request}, config)
    edited = {**args, "recipient": "team@example.com"}
    out = agent.invoke(Command(resume={"type": "edit", "arguments": edited}), config)
    assert [s["tool"] for s in out["steps"]] == ["send_email", "final_answer"]
    assert out["steps"][0]["plan"]["edited"] is True


@pytest.mark.parametrize("calls_read_request", [True, False])
def test_function_calling_reads_the_request_beside_the_task(calls_read_request):
    args = {"recipient": "bob@example.com", "subject": "Guests", "body": "We will be 40."}
    agent, _, fc, _ = agent_with(
        [step("send_email", "Email bob@example.com the same message."), step("final_answer")],
        [send_email],
        fc_replies=[json.dumps(args)],
        calls_read_request=calls_read_request,
        complete_actions=False,
    )
    request = "Tell ann@example.com we will be 40 guests, and bob@example.com the same."
    agent.invoke({"request": request}, {"configurable": {}})
    asked = [m.content for call in fc.calls for m in call if m.type == "human"]
    assert asked and all("Task: Email bob@example.com the same message." in a for a in asked)
    assert (request in asked[-1]) is calls_read_request


def test_an_action_whose_task_asks_the_user_asks_the_user():
    agent, *_ = agent_with(
        [step("create_event", "Ask the user for the date of their dentist appointment.")],
        [create_event],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "asks"}}
    out = agent.invoke({"request": "Put my dentist appointment in my calendar."}, config)
    [item] = out["__interrupt__"]
    assert item.value["question"] == "Ask the user for the date of their dentist appointment."


def test_an_answer_naming_an_address_no_action_used_goes_back_to_the_planner():
    tom = {"recipient": "tom@example.com", "subject": "Report", "body": "Ready."}
    agent, planner, _, _ = agent_with(
        [step("send_email", "Email Tom."), step("final_answer"), step("send_email", "Email Jane.")]
        + [step("final_answer")],
        [send_email],
        fc_replies=[json.dumps(tom), json.dumps({**tom, "recipient": "jane@example.com"})],
        answers=["Sent 'Report' to tom@example.com and jane@example.com."] * 2,
        complete_actions=False,
        report_actions=False,  # the writer answers
    )
    out = agent.invoke({"request": "Email tom@example.com and jane@example.com the report."})
    refused = out["steps"][1]
    assert refused["error"] and refused["plan"]["unacted"] == ["jane@example.com"]
    assert "went to jane@example.com, but no step did that" in refused["observation"]
    assert [s["tool"] for s in out["steps"]][2:] == ["send_email", "final_answer"]
    assert out["status"] == "answered"


@pytest.mark.parametrize("report_actions", [True, False])
def test_a_run_of_actions_is_answered_with_what_the_actions_did(report_actions):
    tom = {"recipient": "tom@example.com", "subject": "Report", "body": "Ready."}
    agent, _, _, writer = agent_with(
        [step("send_email", "Email Tom."), step("create_event", "Add the review.")]
        + [step("final_answer")],
        [send_email, create_event],
        fc_replies=[json.dumps(tom), "not json", "not json", "not json"],  # no event written
        answers=["Sent the report to Tom and added the review."],
        report_actions=report_actions,
        complete_actions=False,
    )
    request = "Email tom@example.com the report and put the review on 2026-05-04 at 09:00."
    out = agent.invoke({"request": request})
    if report_actions:
        assert out["answer"] == (
            "sent to tom@example.com: Report. I did not do this: create_event did not run."
        )
        assert writer.calls == []
    else:
        assert len(writer.calls) >= 1


def test_a_tool_that_returns_data_is_answered_by_the_writer():
    @tool
    def create_ticket(title: str) -> str:
        """Open a ticket."""
        return json.dumps({"id": 42, "title": title})

    agent, _, _, writer = agent_with(
        [step("create_ticket", "Open a ticket."), step("final_answer")],
        [create_ticket],
        fc_replies=[json.dumps({"title": "Broken"})],
        answers=["Ticket 42 is open."],
    )
    out = agent.invoke({"request": "Open a ticket titled Broken."})
    assert out["answer"] == "Ticket 42 is open." and len(writer.calls) == 1


class MailArgs(BaseModel):
    recipient: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    subject: str
    body: str


@tool(args_schema=MailArgs)
def mail(recipient: str, subject: str, body: str) -> str:
    """Send an email."""
    return f"Sent '{subject}' to {recipient}."


def test_an_address_the_user_gave_is_used_by_the_action_that_takes_it():
    """The review entered, then an answer planned: the address the user gave is mailed."""
    review = {"title": "Quarterly review", "date": "2026-09-30", "time": "10:00"}
    note = {"recipient": "paula@example.com", "subject": "Review", "body": "It is scheduled."}
    agent, planner, fc, _ = agent_with(
        [step("ask_user", "When is the review, and what is your manager's address?")]
        + [step("create_event", "Add the review."), step("final_answer"), step("final_answer")],
        [create_event, mail],
        fc_replies=[json.dumps(review), json.dumps(note)],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "review"}}
    request = "Put the quarterly review in my calendar and email my manager that it is scheduled."
    agent.invoke({"request": request}, config)
    reply = "The review is on 2026-09-30 at 10:00. My manager is paula@example.com."
    out = agent.invoke(Command(resume=reply), config)
    assert [s["tool"] for s in out["steps"]] == ["ask_user", "create_event", "mail", "final_answer"]
    sent = out["steps"][2]
    assert sent["task"] == "Do what the request asks for paula@example.com."
    assert sent["observation"] == "Sent 'Review' to paula@example.com."
    assert out["answer"] == (
        "added Quarterly review on 2026-09-30 at 10:00 (60 min). "
        "Sent 'Review' to paula@example.com."
    )


def test_an_early_answer_before_the_second_entry_takes_it_first():
    oslo = {"title": "Flight to Oslo", "date": "2026-08-01", "time": "06:40"}
    back = {"title": "Return flight", "date": "2026-08-09", "time": "18:20"}
    yes = json.dumps({"answer": "Yes"})
    agent, *_ = agent_with(
        [step("create_event", "Add the flight to Oslo."), yes, yes],
        [create_event],
        fc_replies=[json.dumps(oslo), json.dumps(back)],
        early_answer=True,
    )
    request = (
        "Put 'Flight to Oslo' on 2026-08-01 at 06:40 and 'Return flight' on 2026-08-09 at 18:20."
    )
    out = agent.invoke({"request": request})
    assert [s["tool"] for s in out["steps"]] == ["create_event", "create_event", "final_answer"]
    assert out["steps"][1]["plan"]["unused"] == ["2026-08-09"]


def test_a_loop_that_would_end_the_run_takes_the_left_out_entry_first():
    oslo = {"title": "Flight to Oslo", "date": "2026-08-01", "time": "06:40"}
    back = {"title": "Return flight", "date": "2026-08-09", "time": "18:20"}
    again = step("create_event", "Add the flight to Oslo.")
    agent, *_ = agent_with(
        [again, again, again, step("final_answer")],
        [create_event],
        fc_replies=[json.dumps(oslo), json.dumps(back)],
        max_loops=2,
    )
    request = (
        "Put 'Flight to Oslo' on 2026-08-01 at 06:40 and 'Return flight' on 2026-08-09 at 18:20."
    )
    out = agent.invoke({"request": request})
    tools = [s["tool"] for s in out["steps"]]
    assert tools == ["create_event", "create_event", "create_event", "final_answer"]
    assert out["steps"][2]["plan"]["unused"] == ["2026-08-09"]
    assert out["steps"][2]["observation"].startswith("added Return flight on 2026-08-09")


def test_a_run_of_actions_at_the_step_limit_ends_with_its_report_when_nothing_is_left():
    oslo = {"title": "Flight to Oslo", "date": "2026-08-01", "time": "06:40"}
    back = {"title": "Return flight", "date": "2026-08-09", "time": "18:20"}
    request = (
        "Put 'Flight to Oslo' on 2026-08-01 at 06:40 and 'Return flight' on 2026-08-09 at 18:20."
    )
    agent, *_ = agent_with(
        [step("create_event", "Add the flight."), step("create_event", "Add the return.")],
        [create_event],
        fc_replies=[json.dumps(oslo), json.dumps(back)],
        max_steps=2,
    )
    out = agent.invoke({"request": request})
    assert out["status"] == "answered" and out["steps"][-1]["plan"]["at_limit"]
    assert out["answer"].startswith("added Flight to Oslo on 2026-08-01")
    agent, *_ = agent_with(
        [step("create_event", "Add the flight.")],
        [create_event],
        fc_replies=[json.dumps(oslo)],
        max_steps=1,
    )
    out = agent.invoke({"request": request})  # the return flight is left: not answered
    assert out["status"] == "incomplete"
    assert out["messages"][-1].content.startswith("I could not finish within 1 steps.")


def test_an_address_the_request_gives_is_mailed_after_another_action():
    landing = {"title": "Flight lands", "date": "2026-07-18", "time": "16:45"}
    note = {"recipient": "mum@example.net", "subject": "Landing", "body": "I land at 16:45."}
    agent, *_ = agent_with(
        [step("create_event", "Add the landing."), step("final_answer"), step("final_answer")],
        [create_event, mail],
        fc_replies=[json.dumps(landing), json.dumps(note)],
    )
    request = (
        "My flight lands on 2026-07-18 at 16:45: put it in my calendar and email mum@example.net "
        "the landing time."
    )
    out = agent.invoke({"request": request})
    assert [s["tool"] for s in out["steps"]] == ["create_event", "mail", "final_answer"]
    assert out["steps"][1]["plan"]["unused"] == ["mum@example.net"]


def test_the_step_planner_asks_before_answering_a_request_about_the_users_own():
    agent, planner, *_ = agent_with(
        [step("final_answer"), step("ask_user", "What is your boss's email address?")],
        [send_email],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "boss"}}
    out = agent.invoke({"request": "tell my boss im sick today and wont be in"}, config)
    refused = out["steps"][0]
    assert refused["error"] and refused["observation"].startswith("Not answered: the request")
    assert out["__interrupt__"][0].value["question"] == "What is your boss's email address?"
