"""Threads in a real PostgreSQL server: a run pauses on ask_user, a new connection resumes it.

Each "process" below opens its own connection, saver, models and agent, as a web worker or a
restarted service would; the server is a throwaway cluster on 127.0.0.1 (``postgres_url``).
The first test is the README's "Postgres threads" snippet.
"""

from __future__ import annotations

import uuid

import pytest

postgres = pytest.importorskip(
    "langgraph.checkpoint.postgres", reason="pip install 'langchain-gba[postgres]'"
)
import psycopg  # noqa: E402
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver  # noqa: E402
from langgraph.types import Command  # noqa: E402
from postgres_cluster import _free_port  # noqa: E402
from scripted import ScriptedChatModel, answer, step  # noqa: E402

from langchain_gba import AgentInputError, ZeroShotPlanner, create_gba_agent  # noqa: E402

PostgresSaver = postgres.PostgresSaver


def lookup_weather(task: str) -> str:
    """Look up the weather in a city."""
    return "Sunny, 21 °C."


def scripted_agent(checkpointer, planner_replies, answers=("Sunny in Oslo.",)):  # type: ignore[no-untyped-def]
    """The agent with scripted planner, function calling and answer writer (new models)."""
    writer = ScriptedChatModel(replies=[answer(a) for a in answers])
    return create_gba_agent(
        [lookup_weather],
        planner=ZeroShotPlanner(ScriptedChatModel(replies=list(planner_replies))),
        function_calling_model=writer,
        checkpointer=checkpointer,
        planning="step",
    )


def new_thread() -> dict:
    return {"configurable": {"thread_id": f"user-{uuid.uuid4().hex[:8]}"}}


def test_a_thread_pauses_then_resumes_from_a_new_connection(postgres_url):
    DB_URI = postgres_url
    config = new_thread()
    # process 1: the run asks the user and pauses; the thread is in the database
    with PostgresSaver.from_conn_string(DB_URI) as checkpointer:
        checkpointer.setup()  # once per database: creates the tables
        agent = scripted_agent(checkpointer, [step("ask_user", "Which city do you live in?")])
        state = agent.invoke({"request": "What is the weather where I live?"}, config)
        assert state["__interrupt__"][0].value == {
            "type": "ask_user",
            "question": "Which city do you live in?",
        }
    # process 2: a new connection, new models, a new agent pick the thread up
    with PostgresSaver.from_conn_string(DB_URI) as checkpointer:
        agent = scripted_agent(
            checkpointer,
            [step("lookup_weather", "Weather in Oslo"), step("final_answer")],
        )
        waiting = agent.get_state(config)
        assert waiting.next == ("run_tool",)
        assert waiting.tasks[0].interrupts[0].value["question"] == "Which city do you live in?"
        state = agent.invoke(Command(resume="I live in Oslo."), config)
    assert state["status"] == "answered" and state["answer"] == "Sunny in Oslo."
    assert [s["observation"] for s in state["steps"]] == [
        "I live in Oslo.",
        "Sunny, 21 °C.",
        "Sunny in Oslo.",
    ]
    # process 3: the thread's history, newest first, read from the database alone
    with PostgresSaver.from_conn_string(DB_URI) as checkpointer:
        agent = scripted_agent(checkpointer, [])
        history = list(agent.get_state_history(config))
        assert history[0].values["status"] == "answered" and history[0].next == ()
        paused = [h for h in history if h.next == ("run_tool",) and h.tasks[0].interrupts]
        assert len(paused) == 1 and paused[0].values["steps"] == []
        assert history[-1].next == ("__start__",)
    with psycopg.connect(DB_URI) as conn:
        (rows,) = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s",
            (config["configurable"]["thread_id"],),
        ).fetchone()
    assert rows == len(history)


def test_threads_are_separate_and_a_new_request_starts_afresh(postgres_url):
    one, two = new_thread(), new_thread()
    with PostgresSaver.from_conn_string(postgres_url) as checkpointer:
        checkpointer.setup()
        agent = scripted_agent(checkpointer, [step("ask_user", "Which city do you live in?")])
        agent.invoke({"request": "Weather at home?"}, one)
        agent = scripted_agent(checkpointer, [step("final_answer")], answers=["Hello!"])
        assert agent.invoke({"request": "Say hello."}, two)["answer"] == "Hello!"
    with PostgresSaver.from_conn_string(postgres_url) as checkpointer:
        agent = scripted_agent(checkpointer, [step("final_answer")], answers=["Hi again."])
        assert agent.get_state(one).next == ("run_tool",)  # still waiting
        assert agent.get_state(two).next == ()
        state = agent.invoke({"request": "Say hi."}, two)  # same thread, fresh trajectory
        assert state["request"] == "Say hi." and len(state["steps"]) == 1
        assert [m.content for m in state["messages"]] == [
            "Say hello.",
            "Hello!",
            "Say hi.",
            "Hi again.",
        ]


def test_resuming_a_thread_that_is_not_waiting_is_a_clear_error(postgres_url):
    with PostgresSaver.from_conn_string(postgres_url) as checkpointer:
        checkpointer.setup()
        agent = scripted_agent(checkpointer, [])
        config = {"configurable": {"thread_id": "never-started"}}
        with pytest.raises(AgentInputError, match="thread 'never-started' has none"):
            agent.invoke(Command(resume="hi"), config)


async def test_async_saver_pauses_and_resumes_from_a_new_connection(postgres_url):
    config = new_thread()
    async with AsyncPostgresSaver.from_conn_string(postgres_url) as checkpointer:
        await checkpointer.setup()
        agent = scripted_agent(checkpointer, [step("ask_user", "Which city do you live in?")])
        state = await agent.ainvoke({"request": "Weather at home?"}, config)
        assert state["__interrupt__"][0].value["question"] == "Which city do you live in?"
    async with AsyncPostgresSaver.from_conn_string(postgres_url) as checkpointer:
        agent = scripted_agent(checkpointer, [step("final_answer")], answers=["Sunny."])
        state = await agent.ainvoke(Command(resume="Oslo"), config)
        history = [h async for h in agent.aget_state_history(config)]
    assert state["status"] == "answered"
    assert [s["observation"] for s in state["steps"]] == ["Oslo", "Sunny."]
    assert history[0].values["answer"] == "Sunny." and len(history) >= 5


def test_real_model_thread_resumes_from_a_new_connection(postgres_url, llm):
    """End to end with the embedded SmolLM2-135M writing arguments and the answer."""
    config = new_thread()

    def agent_on(checkpointer, replies):  # type: ignore[no-untyped-def]
        return create_gba_agent(
            [lookup_weather],
            planner=ZeroShotPlanner(ScriptedChatModel(replies=replies)),
            function_calling_model=llm,
            checkpointer=checkpointer,
            planning="step",
        )

    with PostgresSaver.from_conn_string(postgres_url) as checkpointer:
        checkpointer.setup()
        agent = agent_on(checkpointer, [step("ask_user", "Which city do you live in?")])
        paused = agent.invoke({"request": "What is the weather where I live?"}, config)
        assert paused["__interrupt__"][0].value["question"] == "Which city do you live in?"
    with PostgresSaver.from_conn_string(postgres_url) as checkpointer:
        agent = agent_on(
            checkpointer, [step("lookup_weather", "Weather in Oslo"), step("final_answer")]
        )
        state = agent.invoke(Command(resume="I live in Oslo."), config)
    assert state["status"] == "answered" and state["answer"].strip()
    assert [s["tool"] for s in state["steps"]] == ["ask_user", "lookup_weather", "final_answer"]
    assert state["steps"][0]["observation"] == "I live in Oslo."
    assert state["steps"][1]["observation"] == "Sunny, 21 °C."


def test_a_bad_connection_string_fails_before_the_agent_is_built(postgres_url):
    """The connection opens when the saver is made: a wrong address fails at start-up, named."""
    port = _free_port()  # nothing listens there
    with pytest.raises(psycopg.OperationalError, match=rf'"127\.0\.0\.1", port {port} failed'):
        with PostgresSaver.from_conn_string(f"postgresql://postgres@127.0.0.1:{port}/x") as cp:
            create_gba_agent(
                [lookup_weather],
                planner=ZeroShotPlanner(ScriptedChatModel(replies=[])),
                checkpointer=cp,
            )
    missing = postgres_url.replace("/postgres?", "/no_such_db?")
    with pytest.raises(psycopg.OperationalError, match='database "no_such_db" does not exist'):
        with PostgresSaver.from_conn_string(missing) as cp:
            pass
    with pytest.raises(psycopg.ProgrammingError, match="connection info string"):
        with PostgresSaver.from_conn_string("not a connection string") as cp:
            pass


def test_a_database_without_setup_names_the_missing_table(postgres_url):
    name = f"nosetup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with PostgresSaver.from_conn_string(postgres_url.replace("/postgres?", f"/{name}?")) as cp:
        agent = scripted_agent(cp, [step("final_answer")])
        with pytest.raises(psycopg.errors.UndefinedTable, match='relation "checkpoint'):
            agent.invoke({"request": "Hello."}, new_thread())
