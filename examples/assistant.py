"""An assistant that does things: calendar entries and emails, each call approved by you first.

    python examples/assistant.py "Put lunch with Ann on 2026-12-24 at 12:30 in my calendar."
    python examples/assistant.py --data-dir /tmp/assistant "Email bob@example.org that I am late."

``create_event`` writes calendar entries into a real SQLite file (``<data-dir>/calendar.db``),
``send_email`` writes ``.eml`` files into an outbox folder (``<data-dir>/outbox``). Both take
structured arguments, written from the planner's task by the agent's function-calling step
(constrained by their schemas), and both are behind approval (``interrupt_on``): the run pauses
with the call, you approve, edit or reject it at the prompt.

Each call has an id (``call_id`` in the approval request) that stays the same across pauses,
resumes and a crashed process's retry. The tools use it as an idempotency key: the calendar's
primary key and the email's file name, created atomically. A call that was approved once never
takes effect twice, even when its step runs again after a crash.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, ToolException
from pydantic import BaseModel, Field

CALENDAR_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    call_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT NOT NULL,
    time TEXT,
    duration_minutes INTEGER NOT NULL,
    created_at TEXT NOT NULL
)"""


DATE_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
ADDRESS_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
"""The arguments' patterns, as tight as the values: the grammar then allows only real ones.
With ``\\d{2}:\\d{2}`` the 1.5B model wrote "33:15" for "3:15pm" and "93:00" for "9:30am" (4 of
the 24 ``fresh2`` requests failed so), "1920-05-19" for "19 May 2026", and one recipient
"tom@example.org,ana.example.org"; with these it wrote 15:15, 09:30 and 2026-05-19."""


class EventArgs(BaseModel):
    """A calendar entry."""

    title: str = Field(description="What the event is, e.g. 'Lunch with Ann'.", max_length=120)
    date: str = Field(description="The day, YYYY-MM-DD.", pattern=DATE_PATTERN)
    time: str | None = Field(
        default=None, description="The start, HH:MM (24-hour).", pattern=TIME_PATTERN
    )
    duration_minutes: int = Field(default=60, ge=5, le=1440, description="How long, in minutes.")


class EmailArgs(BaseModel):
    """An email to send."""

    recipient: str = Field(description="The address to send to.", pattern=ADDRESS_PATTERN)
    subject: str = Field(description="A short subject line.", max_length=120)
    body: str = Field(description="The message.", max_length=2000)


def calendar_tool(db_path: str | os.PathLike[str]) -> BaseTool:
    """``create_event``: one row per call in the SQLite calendar at ``db_path``."""
    path = Path(db_path)

    def create_event(
        title: str,
        date: str,
        tool_call_id: Annotated[str, InjectedToolCallId],
        time: str | None = None,
        duration_minutes: int = 60,
    ) -> str:
        try:
            day = dt.date.fromisoformat(date)
            if time is not None:
                dt.time.fromisoformat(time)
        except ValueError as e:
            raise ToolException(f"Not a valid date or time ({date} {time or ''}): {e}") from e
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as db:
            db.execute(CALENDAR_SCHEMA)
            cursor = db.execute(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)",
                (tool_call_id, title, day.isoformat(), time, duration_minutes,
                 dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
            )  # fmt: skip
        when = f"{day:%A %d %B %Y}" + (f" at {time}" if time else "")
        if cursor.rowcount == 0:
            return f"'{title}' on {when} was already in the calendar (call {tool_call_id})."
        return f"Added '{title}' on {when} ({duration_minutes} min) to the calendar."

    return StructuredTool.from_function(
        create_event,
        name="create_event",
        description="Add an event (title, date, optional start time and duration) to the "
        "user's calendar.",
        args_schema=_with_call_id(EventArgs),
        handle_tool_error=True,
    )


def email_tool(outbox: str | os.PathLike[str], sender: str = "me@example.org") -> BaseTool:
    """``send_email``: one ``<call id>.eml`` file per call in ``outbox``."""
    folder = Path(outbox)

    def send_email(
        recipient: str, subject: str, body: str, tool_call_id: Annotated[str, InjectedToolCallId]
    ) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, recipient, subject
        message["Message-ID"] = f"<{tool_call_id}@langchain-gba.example>"
        message.set_content(body)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{tool_call_id}.eml"
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False, suffix=".part") as f:
            f.write(bytes(message))
        try:
            os.link(f.name, target)  # atomic, and fails if this call was sent already
        except FileExistsError:
            return f"The email to {recipient} was already sent (call {tool_call_id})."
        finally:
            os.unlink(f.name)
        return f"Sent '{subject}' to {recipient}."

    return StructuredTool.from_function(
        send_email,
        name="send_email",
        description="Send an email (recipient address, subject, body) on the user's behalf.",
        args_schema=_with_call_id(EmailArgs),
        handle_tool_error=True,
    )


def simulation_tools() -> list[BaseTool]:
    """Both tools on a temporary folder (made on a first real call), for recording teacher runs.

    ``simulation run --tools calculator,wikipedia,internet,examples/assistant.py:simulation_tools``
    (``examples/record_teacher_plans.sh TOOLS=...``): their LLM twins answer the calls there,
    so nothing is written unless ``--keep-real`` names them.
    """
    data = Path(tempfile.gettempdir()) / f"gba-assistant-{os.getpid()}"
    return [calendar_tool(data / "calendar.db"), email_tool(data / "outbox")]


def _with_call_id(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` plus the injected call id (left out of what function calling writes)."""
    from pydantic import create_model

    return create_model(  # type: ignore[call-overload,no-any-return]
        model.__name__,
        __base__=model,
        tool_call_id=(Annotated[str, InjectedToolCallId], ...),
    )


def _examples():  # type: ignore[no-untyped-def]
    from langchain_gba.prompts import PlannerExample

    sent = "Sent 'Report' to tom@example.com."
    return (
        PlannerExample(
            "Email tom@example.com that the report is ready.",
            {
                "thoughts": "Known: the recipient and the message, but no result says it was "
                "sent. Missing: sending it: send_email.",
                "selected_tool": "send_email",
                "task": "Email tom@example.com, subject 'Report', saying the report is ready.",
            },
        ),
        PlannerExample(
            "Put the team meeting on 2026-03-02 at 10:00 in my calendar.",
            {
                "thoughts": "Known: the event, its day and time, but no result says it was "
                "added. Missing: adding it: create_event.",
                "selected_tool": "create_event",
                "task": "Add 'Team meeting' on 2026-03-02 at 10:00 to the calendar.",
            },
        ),
        PlannerExample(
            "Email tom@example.com that the report is ready.",
            {
                "thoughts": "Known: the result says the email was sent. Missing: nothing: "
                "final_answer.",
                "selected_tool": "final_answer",
                "task": "Tell the user the email to Tom was sent.",
            },
            steps=(("send_email", "Email tom@example.com that the report is ready.", sent),),
        ),
        PlannerExample(
            "Put the review on 2026-05-04 at 09:00 in my calendar and email eve@example.com "
            "about it.",
            {
                "thoughts": "Known: the result says the review was added, but no result says "
                "the email was sent. Missing: sending it: send_email.",
                "selected_tool": "send_email",
                "task": "Email eve@example.com, subject 'Review', saying the review is on "
                "2026-05-04 at 09:00.",
            },
            steps=(
                (
                    "create_event",
                    "Add 'Review' on 2026-05-04 at 09:00 to the calendar.",
                    "Added 'Review' on Monday 04 May 2026 at 09:00 (60 min) to the calendar.",
                ),
            ),
        ),
        PlannerExample(
            "Email ann@example.org and bob@example.org that the meeting moved to 15:00.",
            {
                "thoughts": "Known: the result says the email to ann@example.org was sent, but "
                "no result says the one to bob@example.org was. Missing: sending it: send_email.",
                "selected_tool": "send_email",
                "task": "Email bob@example.org, subject 'Meeting moved', saying the meeting "
                "moved to 15:00.",
            },
            steps=(
                (
                    "send_email",
                    "Email ann@example.org, subject 'Meeting moved', saying the meeting moved "
                    "to 15:00.",
                    "Sent 'Meeting moved' to ann@example.org.",
                ),
            ),
        ),
        PlannerExample(
            "Email pat@example.org asking whether invoice 2231 was paid.",
            {
                "thoughts": "Known: the recipient and the question to put to them, but no "
                "result says it was sent. Missing: sending it: send_email.",
                "selected_tool": "send_email",
                "task": "Email pat@example.org, subject 'Invoice 2231', asking whether invoice "
                "2231 was paid.",
            },
        ),
        PlannerExample(
            "Email my neighbour that the parcel arrived.",
            {
                "thoughts": "Known: the message, but not my neighbour's address, which only the "
                "user knows. Missing: the address: ask_user.",
                "selected_tool": "ask_user",
                "task": "What is your neighbour's email address?",
            },
        ),
        PlannerExample(
            "Email my neighbour that the parcel arrived.",
            {
                "thoughts": "Known: the user gave the address, but no result says the email "
                "was sent. Missing: sending it: send_email.",
                "selected_tool": "send_email",
                "task": "Email sam.k@example.net, subject 'Parcel', saying the parcel arrived.",
            },
            steps=(
                (
                    "ask_user",
                    "What is your neighbour's email address?",
                    "My neighbour is Sam, sam.k@example.net.",
                ),
            ),
        ),
    )


EXAMPLES = _examples()
"""The planner's example steps for these tools (its built-in ones are for search and sums)."""


def _plan_examples():  # type: ignore[no-untyped-def]
    from langchain_gba.prompts import PlanAheadExample

    report = "Email tom@example.com, subject 'Report', saying the report is ready."
    return (
        PlanAheadExample(
            "Email tom@example.com that the report is ready.",
            ("Needs the email sent; every detail is given: send_email.", (("send_email", report),)),
        ),
        PlanAheadExample(
            "Put the team meeting on 2026-03-02 at 10:00 in my calendar.",
            (
                "Needs the event added; its day and time are given: create_event.",
                (("create_event", "Add 'Team meeting' on 2026-03-02 at 10:00 to the calendar."),),
            ),
        ),
        PlanAheadExample(
            "Email my neighbour that the parcel arrived.",
            (
                "Needs my neighbour's address, which only the user knows (ask_user), then the "
                "email: send_email.",
                (
                    ("ask_user", "What is your neighbour's email address?"),
                    (
                        "send_email",
                        "Email the neighbour's address from the reply, subject 'Parcel', saying "
                        "the parcel arrived.",
                    ),
                ),
            ),
        ),
        PlanAheadExample(
            "Send ana@example.org the height of Mount Kilimanjaro.",
            (
                "Needs the height (a search), then the email with it: send_email.",
                (
                    ("search_wikipedia", "How high is Mount Kilimanjaro?"),
                    (
                        "send_email",
                        "Email ana@example.org, subject 'Kilimanjaro', giving the height step 1 "
                        "found.",
                    ),
                ),
            ),
        ),
        PlanAheadExample(
            "Put the review on 2026-05-04 at 09:00 in my calendar and email eve@example.com "
            "about it.",
            (
                "Needs the event added (create_event), then the email: send_email.",
                (
                    ("create_event", "Add 'Review' on 2026-05-04 at 09:00 to the calendar."),
                    (
                        "send_email",
                        "Email eve@example.com, subject 'Review', saying the review is on "
                        "2026-05-04 at 09:00.",
                    ),
                ),
            ),
        ),
        PlanAheadExample(
            "Email tom@example.com that the report is ready.",
            ("The result says the email was sent: nothing is missing.", ()),
            steps=(("send_email", report, "Sent 'Report' to tom@example.com."),),
        ),
    )


PLAN_EXAMPLES = _plan_examples()
"""The plans shown for these tools when the planner plans ahead (``planning="ahead"``, and the
teacher recording plans for a student: ``simulation run --examples
examples/assistant.py:PLAN_EXAMPLES``): an action, a question back, a search, then the action;
two actions; the re-plan once done."""


def build_assistant(  # type: ignore[no-untyped-def]
    data_dir: str | os.PathLike[str],
    model: str = "qwen2.5-coder-1.5b-instruct",
    *,
    ask_user: bool = True,
    checkpointer: Any = "memory",
    planner: Any = None,
    **options: Any,
):
    """The agent with the two tools behind approval, on the embedded ``model``.

    ``planner``: None for the 1.5B zero-shot planner with these tools' examples; a shipped
    fine-tuned planner's name or a GGUF file (``FineTunedPlanner``: tools, calls and the answer
    stay on ``model``); or any ``Planner``.
    ``checkpointer``: ``"memory"`` for an ``InMemorySaver``; None where the LangGraph server
    supplies its own (``examples/assistant_app.py``). ``options``: more ``create_gba_agent``
    options (``bench/assistant.py --option``). Six steps at most: a made-up address refused,
    the question, the email and the answer take four (with 4, 3 of the 19 held-out requests
    stopped at the limit, each with its actions done; with 6, none: README).
    """
    from langgraph.checkpoint.memory import InMemorySaver

    from langchain_gba import ChatLlamaCpp, FineTunedPlanner, ZeroShotPlanner, create_gba_agent

    data = Path(data_dir)
    if planner is None:
        planner = ZeroShotPlanner(model, examples=EXAMPLES, plan_examples=PLAN_EXAMPLES)
    elif isinstance(planner, str):
        planner = FineTunedPlanner(planner)
    llm = ChatLlamaCpp(model=model, max_tokens=256)
    tools = [calendar_tool(data / "calendar.db"), email_tool(data / "outbox")]
    return create_gba_agent(
        tools,
        planner=planner,
        function_calling_model=llm,
        checkpointer=InMemorySaver() if checkpointer == "memory" else checkpointer,
        interrupt_on={"create_event": True, "send_email": True},
        ask_user=ask_user,
        **{"max_steps": 6, **options},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("request")
    parser.add_argument("--data-dir", default="assistant-data", help="calendar.db and outbox/")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    args = parser.parse_args()
    from langchain_gba.cli import run_interactively

    state = run_interactively(build_assistant(args.data_dir, args.model), args.request)
    print(f"status: {state.get('status')}; calendar: {Path(args.data_dir) / 'calendar.db'}; "
          f"outbox: {Path(args.data_dir) / 'outbox'}")  # fmt: skip


if __name__ == "__main__":
    main()
