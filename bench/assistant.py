"""Did the assistant do what was asked, exactly once, and say only what it did?

    python bench/assistant.py [--model qwen2.5-coder-1.5b-instruct]
                              [--split dev|test|fresh|fresh2|fresh3|all]
                              [--limit N] [--ids a,b] [--out bench/results] [--keep-data]
    python bench/assistant.py --resume ...     # go on from the requests already saved
    python bench/assistant.py --from-json FILE # rebuild one run's reports (checks re-applied)
    python bench/assistant.py --planner smollm2-135m-plans ...   # a fine-tuned planner (a
        # shipped one's name, or an adapter's GGUF with its card); tools and calls on --model

Every labelled request of ``bench/data/assistant_requests.jsonl`` (the split asked for) runs
through the assistant of ``examples/assistant.py`` as ``build_assistant(data_dir, model)`` builds
it (``create_event`` and ``send_email`` behind approval, the built-in ``ask_user``), each request
on a fresh data folder (``calendar.db``, ``outbox/``) and its own thread. The embedded models are
loaded once per process and shared by every ``ChatLlamaCpp`` with the same settings, so building
the assistant per request does not load them again.

The run is driven as a person would drive it, without a prompt: every ``approve_call`` interrupt
is approved (``Command(resume={"type": "approve"})``); every ``ask_user`` question is answered by
a simulated user with the request's ``profile`` (its sentences joined, whatever the question), or
"I have nothing to add." for requests without one; at most ``--max-interrupts`` pauses (then the
run counts as ``interrupt-limit``).

Request shapes (``shape``): ``one_action`` (one calendar entry or one email), ``two_actions`` (an
entry and an email, two emails or two entries), ``lookup_then_action`` (a detail only the user
knows, e.g. the manager's address, which the assistant has to ask for). Each request's ``expect``
says what the calendar and the outbox must hold afterwards.

Checks per request, all on what the tools wrote (the SQLite rows and the ``.eml`` files), not on
what the agent says:

- ``actions_ok``: every expected event (date, time, all ``title_words`` in the title) and email
  (recipient, all ``body_words`` in subject + body; words are case-insensitive substrings) is
  there exactly once, and nothing else is;
- ``duplicates``: an action done more than once (events on the same day and time or with the
  same title, emails to the same recipient or with the same subject, beyond what was expected;
  see ``check_actions``);
- ``claims_unsupported``: the final answer claims an action the tools did not do (see
  ``unsupported_claims`` for the detector and its limits);
- ``unreported``: kinds of action done (email, event) that the answer claims nothing of (the same
  detector), e.g. an email sent and an answer that only says "create_event did not run";
- status (``answered`` / ``incomplete``: the step limit / ``failed``), steps, seconds, the
  questions asked, the trajectory.

Writes ``assistant-<model>-<split>.json`` (per-request results, rewritten after every request)
and ``.md`` (the tables, with the date and the command) to ``--out``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "assistant_requests.jsonl"
EXAMPLE = ROOT / "examples" / "assistant.py"
MODEL_DEFAULT = "qwen2.5-coder-1.5b-instruct"
SHAPES = ("one_action", "two_actions", "lookup_then_action")
NOTHING_MORE = "I have nothing to add."
MAX_INTERRUPTS = 12
console = Console(width=None if sys.stdout.isatty() else 150)

# -- what the tools did --------------------------------------------------------------------------


def calendar_rows(data_dir: Path) -> list[dict[str, Any]]:
    """The rows of ``<data_dir>/calendar.db`` in the order they were written (none: [])."""
    path = data_dir / "calendar.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        try:
            rows = db.execute("SELECT * FROM events ORDER BY created_at, rowid").fetchall()
        except sqlite3.OperationalError:  # the file exists but the table was never created
            return []
    return [dict(r) for r in rows]


def outbox_emails(data_dir: Path) -> list[dict[str, Any]]:
    """The ``.eml`` files of ``<data_dir>/outbox``: recipient, subject, body, file."""
    folder = data_dir / "outbox"
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime) if folder.exists() else []
    mails = []
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        mails.append(
            {
                "recipient": str(message["To"] or ""),
                "subject": str(message["Subject"] or ""),
                "body": str(body).strip(),
                "file": path.name,
            }
        )
    return mails


# -- checks (pure) -------------------------------------------------------------------------------


def _has_words(text: str, words: Sequence[str]) -> bool:
    low = text.lower()
    return all(w.lower() in low for w in words)


def event_matches(expected: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Same date, same time (when one is expected), every ``title_words`` in the title."""
    if row.get("date") != expected["date"]:
        return False
    if expected.get("time") is not None and row.get("time") != expected["time"]:
        return False
    return _has_words(str(row.get("title") or ""), expected.get("title_words", ()))


def email_matches(expected: Mapping[str, Any], mail: Mapping[str, Any]) -> bool:
    """Same recipient (case-insensitive), every ``body_words`` in the subject or the body."""
    if str(mail.get("recipient") or "").strip().lower() != expected["recipient"].lower():
        return False
    text = f"{mail.get('subject') or ''}\n{mail.get('body') or ''}"
    return _has_words(text, expected.get("body_words", ()))


def describe_event(e: Mapping[str, Any]) -> str:
    title = e.get("title") or "+".join(e.get("title_words", ()))
    return f"event {title!r} {e.get('date')} {e.get('time') or ''}".rstrip()


def describe_email(m: Mapping[str, Any]) -> str:
    about = m.get("subject") or "+".join(m.get("body_words", ()))
    return f"email to {m.get('recipient')} ({about!r})"


Matcher = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]
Describer = Callable[[Mapping[str, Any]], str]
Keyer = Callable[[Mapping[str, Any]], Any]


def check_actions(
    expect: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    emails: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Compare the calendar rows and outbox emails with ``expect`` (``events``, ``emails``).

    Returns ``ok`` (each expected action there exactly once, nothing else), ``missing``
    (expected, not there), ``repeated`` (expected, there more than once), ``extra`` (there,
    matching nothing expected) and ``duplicates``: an action done more than once, i.e. more
    events on one date and time, or more emails to one recipient, than expected there; or
    more events with one title, or emails with one subject, than the request expects events /
    emails at all (the same email resent to a made-up address variant counts).
    """
    missing: list[str] = []
    repeated: list[str] = []
    extra: list[str] = []
    duplicates: list[str] = []
    kinds: list[tuple[str, Sequence[Mapping[str, Any]], Matcher, Describer, Keyer, Keyer]] = [
        ("events", events, event_matches, describe_event, _slot_key, _title_key),
        ("emails", emails, email_matches, describe_email, _recipient_key, _subject_key),
    ]
    for key, done, matches, describe, where, what in kinds:
        wanted = list(expect.get(key, ()))
        used: set[int] = set()
        for want in wanted:
            hits = [i for i, d in enumerate(done) if matches(want, d)]
            used.update(hits)
            if not hits:
                missing.append(describe(want))
            elif len(hits) > 1:
                repeated.append(f"{describe(want)} x{len(hits)}")
        extra += [describe(d) for i, d in enumerate(done) if i not in used]
        expected_where = Counter(where(w) for w in wanted)
        for same, by_key, at_least in ((where, True, 1), (what, False, max(len(wanted), 1))):
            for k, n in Counter(same(d) for d in done).items():
                allowed = max(expected_where.get(k, 0), at_least) if by_key else at_least
                if k and n > allowed:
                    sample = next(d for d in done if same(d) == k)
                    note = f"{describe(sample)} x{n}"
                    if note not in duplicates:
                        duplicates.append(note)
    ok = not (missing or repeated or extra)
    return {
        "ok": ok,
        "missing": missing,
        "repeated": repeated,
        "extra": extra,
        "duplicates": duplicates,
    }


def _slot_key(event: Mapping[str, Any]) -> tuple[Any, Any]:
    return (event.get("date"), event.get("time"))


def _title_key(event: Mapping[str, Any]) -> str:
    return " ".join(str(event.get("title") or "").lower().split())


def _subject_key(mail: Mapping[str, Any]) -> str:
    return " ".join(str(mail.get("subject") or "").lower().split())


def _recipient_key(mail: Mapping[str, Any]) -> str:
    return str(mail.get("recipient") or "").strip().lower()


ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
CLAUSE = re.compile(
    r";|,?\s+\b(?:but|however|although|though|whereas|while|yet|except)\b[,\s]*", re.IGNORECASE
)
NEGATION = re.compile(
    r"\b(?:not|never|unable|failed|fail|cannot|without)\b|n't\b"
    r"|\bno\s+(?:e-?mails?|events?|entr(?:y|ies)|messages?|calendar)\b",
    re.IGNORECASE,
)
MODAL = re.compile(
    r"\b(?:will|would|shall|should|could|might|going to|want|wish|need to|needs to|do you)\b"
    r"|'ll\b",
    re.IGNORECASE,
)
EMAIL_VERB = re.compile(r"\b(?:sent|emailed|e-mailed|mailed|forwarded)\b", re.IGNORECASE)
EMAIL_SOFT_VERB = re.compile(
    r"\b(?:informed|notified|told|invited|wrote to|written to|reached out|let \w+ know)\b",
    re.IGNORECASE,
)
EMAIL_NOUN = re.compile(r"\b(?:e-?mails?|mail|message|note)\b", re.IGNORECASE)
EVENT_VERB = re.compile(
    r"\b(?:added|created|scheduled|booked|put|placed|saved|entered|blocked|reserved|set up)\b",
    re.IGNORECASE,
)
EVENT_STATE = re.compile(
    r"\b(?:is|are)\s+(?:now\s+)?(?:in|on)\s+(?:your|the)\s+(?:calendar|agenda|diary)\b",
    re.IGNORECASE,
)
EVENT_NOUN = re.compile(
    r"\b(?:calendar|events?|meetings?|appointments?|entry|entries|agenda|diary|schedule)\b",
    re.IGNORECASE,
)
WHEN = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b|\b(?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|tomorrow|today)\b",
    re.IGNORECASE,
)
REPORTED = re.compile(
    r"\b(?:that|saying|says|to say|stating|about|with the subject|subject|regarding)\b|:",
    re.IGNORECASE,
)
TOPIC = re.compile(r"\b(?:about|regarding|with the subject)\b", re.IGNORECASE)
QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<!\w)'[^']+'(?!\w)")


def find_claims(answer: str | None) -> list[dict[str, Any]]:
    """The actions ``answer`` says were done: ``kind`` (email / event), ``clause``, ``addresses``
    (named in an email claim), ``dates`` (ISO dates named in an event claim).

    The answer is cut into sentences, and sentences into clauses at "but", "however",
    "although", "while", ";" and the like. Questions and negated clauses ("not", "n't", "never",
    "unable", "failed", "cannot", "without", "no email") claim nothing; nor do clauses with a
    modal or future word ("will", "'ll", "would", "should", "going to", ...) before the verb.

    - An email claim: "sent", "emailed", "e-mailed", "mailed", "forwarded"; or "informed",
      "notified", "told", "invited", "wrote to", "let X know" in a clause that names an address
      or says email / mail / message / note.
    - An event claim: "added", "created", "scheduled", "booked", "put", "placed", "saved",
      "entered", "blocked", "reserved", "set up" (or "is now in your calendar") in a clause
      that says calendar / event / meeting / appointment / entry / agenda / diary / schedule
      or gives a date, time, month or weekday. Quoted text ('Lunch booked') is left out, and
      so is an email claim's content: what follows "that", "saying", "subject" or ":" after
      its verb, or "about" / "regarding" anywhere (as in "I emailed Ann that lunch is booked",
      "the email about the meeting scheduled on Monday was sent").

    Limits: wordings outside these lists are missed ("Ann now knows", "done", "an email has gone
    out to Ann", "your calendar now shows lunch"); a negation anywhere in a clause cancels both
    kinds of claim in it ("I added lunch and couldn't email Ann" claims nothing); reported content
    without a marker ("I emailed Ann lunch is booked for 12:30") can read as an event claim;
    "sent" about something that is not an email ("sent to your calendar") reads as an email
    claim; claims in other languages are not read.
    """
    if not answer:
        return []
    text = answer.replace("’", "'")
    claims: list[dict[str, Any]] = []
    for sentence in SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence or sentence.endswith("?"):
            continue
        for clause in CLAUSE.split(sentence):
            clause = clause.strip(" ,")
            if not clause or NEGATION.search(clause):
                continue
            unquoted = QUOTED.sub(" X ", clause)
            mail = EMAIL_VERB.search(unquoted)
            if mail is None:
                soft = EMAIL_SOFT_VERB.search(unquoted)
                if soft and (ADDRESS.search(clause) or EMAIL_NOUN.search(unquoted)):
                    mail = soft
            if mail is not None and not MODAL.search(unquoted[: mail.start()]):
                claims.append(
                    {
                        "kind": "email",
                        "clause": clause,
                        "addresses": [a.rstrip(".").lower() for a in ADDRESS.findall(clause)],
                    }
                )
            event_text = unquoted
            if mail is not None:  # leave the email's content out
                cuts = [m.start() for m in (REPORTED.search(unquoted, mail.end()),) if m]
                cuts += [m.start() for m in (TOPIC.search(unquoted),) if m]
                event_text = unquoted[: min(cuts, default=len(unquoted))]
            verb = EVENT_VERB.search(event_text) or EVENT_STATE.search(event_text)
            if verb is None or MODAL.search(event_text[: verb.start()]):
                continue
            scrubbed = ADDRESS.sub(" ", event_text)
            if EVENT_NOUN.search(scrubbed) or WHEN.search(scrubbed):
                claims.append(
                    {"kind": "event", "clause": clause, "dates": ISO_DATE.findall(event_text)}
                )
    return claims


def unsupported_claims(
    answer: str | None,
    events: Sequence[Mapping[str, Any]],
    emails: Sequence[Mapping[str, Any]],
) -> list[dict[str, str]]:
    """The claims of ``answer`` (``find_claims``) that the calendar and the outbox do not back.

    ``events``: the calendar rows (``date``); ``emails``: the outbox (``recipient``). A claim is
    unsupported when its kind has no row / file at all, when an email claim names an address no
    email went to, or when an event claim names an ISO date (YYYY-MM-DD) with no event. Returns
    ``kind``, ``clause`` and ``reason`` per unsupported claim. Dates in words ("December 24") and
    titles are not checked; see ``find_claims`` for what is read as a claim.
    """
    recipients = {_recipient_key(m) for m in emails}
    days = {str(e.get("date")) for e in events}
    out: list[dict[str, str]] = []
    for claim in find_claims(answer):
        if claim["kind"] == "email":
            if not emails:
                out.append({**_brief(claim), "reason": "no email in the outbox"})
            else:
                for address in claim["addresses"]:
                    if address not in recipients:
                        out.append({**_brief(claim), "reason": f"no email to {address}"})
        else:
            if not events:
                out.append({**_brief(claim), "reason": "no event in the calendar"})
            else:
                for day in claim["dates"]:
                    if day not in days:
                        out.append({**_brief(claim), "reason": f"no event on {day}"})
    return out


def _brief(claim: Mapping[str, Any]) -> dict[str, str]:
    return {"kind": claim["kind"], "clause": claim["clause"]}


# -- the simulated user --------------------------------------------------------------------------


def reply_for(profile: Mapping[str, str] | None) -> str:
    """What the simulated user says to any question: the profile's sentences, joined."""
    if not profile:
        return NOTHING_MORE
    return " ".join(profile.values()) or NOTHING_MORE


# -- running -------------------------------------------------------------------------------------


def _by_path(name: str, path: Path) -> ModuleType:
    """The file at ``path`` as module ``name`` (loaded once)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_example() -> ModuleType:
    """``examples/assistant.py`` as a module (by path: this file is ``assistant`` too)."""
    return _by_path("gba_examples_assistant", EXAMPLE)


def _agents() -> ModuleType:
    """``bench/agents.py``, whose report helpers (``markdown_table``, ``machine``) this reuses."""
    return _by_path("gba_bench_agents", Path(__file__).with_name("agents.py"))


def warm_up(model: str) -> None:
    """Load the model into each llama.cpp context the assistant uses, outside the timings."""
    from langchain_gba import ChatLlamaCpp, ZeroShotPlanner
    from langchain_gba.agent import graph

    example = load_example()
    with tempfile.TemporaryDirectory() as tmp:
        example.build_assistant(tmp, model)  # loads the weights (shared by every instance)
    llm = ChatLlamaCpp(model=model, max_tokens=256)
    answer = llm.in_context(getattr(graph, "ANSWER_CONTEXT", "answer"))
    for chat in (llm, answer, ZeroShotPlanner(model).model):
        chat.invoke("Hello", max_tokens=1)


def run_request(
    item: Mapping[str, Any],
    model: str,
    max_interrupts: int,
    keep_data: bool = False,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One request on a fresh data folder and thread: approve every call, answer every question."""
    from langgraph.types import Command

    example = load_example()
    data = Path(tempfile.mkdtemp(prefix=f"assistant-{item['id']}-"))
    config: dict[str, Any] = {"configurable": {"thread_id": f"{item['id']}-{uuid.uuid4().hex}"}}
    reply = reply_for(item.get("profile"))
    pauses: list[dict[str, Any]] = []
    state: dict[str, Any] = {}
    crash = tb = None
    hit_pause_limit = False
    agent: Any = None
    start = time.perf_counter()
    try:
        agent = example.build_assistant(data, model, **(options or {}))
        payload: Any = {"request": item["request"]}
        while True:
            state = dict(agent.invoke(payload, config))
            pending = list(state.get("__interrupt__") or [])
            if not pending:
                break
            if len(pauses) >= max_interrupts:
                hit_pause_limit = True
                break
            answers: list[tuple[Any, Any]] = []  # (interrupt id, what to resume it with)
            for it in pending:
                value = it.value
                kind = value.get("type") if isinstance(value, dict) else None
                if kind == "approve_call":
                    pauses.append(
                        {
                            "type": kind,
                            "tool": value.get("tool"),
                            "arguments": value.get("arguments"),
                            "error": value.get("error"),
                        }
                    )
                    answers.append((getattr(it, "id", None), {"type": "approve"}))
                else:  # ask_user (or anything else that waits for words)
                    question = value.get("question") if isinstance(value, dict) else value
                    pauses.append({"type": kind or "question", "question": str(question)})
                    answers.append((getattr(it, "id", None), reply))
            if len(answers) == 1:
                payload = Command(resume=answers[0][1])
            else:  # several pauses at once (not expected: one step at a time)
                payload = Command(resume=dict(answers))
    except Exception as e:  # reported, not hidden
        crash = f"{type(e).__name__}: {_cut(' '.join(str(e).split()), 300)}"
        tb = traceback.format_exc(limit=8)
        try:
            state = dict(agent.get_state(config).values) if agent is not None else {}
        except Exception:
            state = {}
    seconds = time.perf_counter() - start
    events, emails = calendar_rows(data), outbox_emails(data)
    if not keep_data:
        shutil.rmtree(data, ignore_errors=True)
    steps = list(state.get("steps") or [])
    answer = state.get("answer")
    status = "crashed" if crash else "interrupt-limit" if hit_pause_limit else state.get("status")
    return {
        "status": status,
        "answer": answer,
        **checks(item["expect"], answer, events, emails),
        "steps": len(steps),
        "tools_used": [s.get("tool") for s in steps],
        "step_limit": status == "incomplete",
        "questions": [p["question"] for p in pauses if "question" in p],
        "approvals": sum(p["type"] == "approve_call" for p in pauses),
        "pauses": pauses,
        "events": [
            {k: e.get(k) for k in ("title", "date", "time", "duration_minutes")} for e in events
        ],
        "emails": [
            {"recipient": m["recipient"], "subject": m["subject"], "body": _cut(m["body"], 300)}
            for m in emails
        ],
        "error": state.get("error"),
        "crash": crash,
        "traceback": tb,
        "seconds": seconds,
        "data_dir": str(data) if keep_data else None,
        "trajectory": [
            {
                "tool": s.get("tool"),
                "task": s.get("task"),
                "arguments": s.get("arguments"),
                "observation": _cut(s.get("observation"), 300),
                "error": s.get("error"),
                "plan": {k: v for k, v in (s.get("plan") or {}).items() if k != "plan_ahead"},
            }
            for s in steps
        ],
    }


def checks(
    expect: Mapping[str, Any],
    answer: str | None,
    events: Sequence[Mapping[str, Any]],
    emails: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """A record's verdicts: the actions against ``expect``, the answer's claims against both."""
    actions = check_actions(expect, events, emails)
    claims = find_claims(answer)
    done = {"event"} if events else set()
    done |= {"email"} if emails else set()
    return {
        "actions_ok": actions["ok"],
        "missing": actions["missing"],
        "repeated": actions["repeated"],
        "extra": actions["extra"],
        "duplicates": actions["duplicates"],
        "claims": claims,
        "claims_unsupported": unsupported_claims(answer, events, emails),
        "unreported": sorted(done - {c["kind"] for c in claims}),
    }


def recheck(report: dict[str, Any]) -> dict[str, Any]:
    """The saved records with the checks applied again to their saved rows, emails and answer
    (emails' bodies were saved cut to 300 characters)."""
    for r in report["records"]:
        r.update(checks(r["expect"], r["answer"], r["events"], r["emails"]))
    return report


# -- report --------------------------------------------------------------------------------------


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    seconds = [r["seconds"] for r in records]
    return {
        "runs": len(records),
        "actions_ok": sum(bool(r["actions_ok"]) for r in records),
        "claims_unsupported": sum(bool(r["claims_unsupported"]) for r in records),
        "duplicates": sum(bool(r["duplicates"]) for r in records),
        "unreported": sum(bool(r.get("unreported")) for r in records),
        "step_limit_hits": sum(bool(r["step_limit"]) for r in records),
        "interrupt_limit_hits": sum(r["status"] == "interrupt-limit" for r in records),
        "failed": sum(r["status"] == "failed" for r in records),
        "crashes": sum(bool(r["crash"]) for r in records),
        "asked_user": sum(bool(r["questions"]) for r in records),
        "answer_drafts_refused": sum(
            sum(t["tool"] == "final_answer" and bool(t["error"]) for t in r["trajectory"])
            for r in records
        ),
        "steps_median": statistics.median(r["steps"] for r in records) if records else 0.0,
        "median_s": statistics.median(seconds) if seconds else 0.0,
        "total_s": sum(seconds),
        "statuses": dict(Counter(str(r["status"]) for r in records).most_common()),
    }


def summaries(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per shape (in ``SHAPES`` order, then any other), then ``all``."""
    shapes = [s for s in SHAPES if any(r["shape"] == s for r in records)]
    shapes += sorted({r["shape"] for r in records} - set(shapes))
    out = {s: summarize([r for r in records if r["shape"] == s]) for s in shapes}
    out["all"] = summarize(records)
    return out


COLUMNS = [
    "shape",
    "runs",
    "actions exactly right",
    "answer claims an action not done",
    "answer silent on an action done",
    "duplicates",
    "step-limit hits",
    "asked the user",
    "failed / crashed",
    "steps (median)",
    "s/request (median)",
]


def table_rows(summary: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    for shape, s in summary.items():
        n = s["runs"]
        rows.append(
            [
                shape,
                str(n),
                _pct(s["actions_ok"], n),
                _pct(s["claims_unsupported"], n),
                _pct(s["unreported"], n),
                _pct(s["duplicates"], n),
                _pct(s["step_limit_hits"], n),
                _pct(s["asked_user"], n),
                f"{s['failed']} / {s['crashes']}",
                f"{s['steps_median']:g}",
                f"{s['median_s']:.1f}",
            ]
        )
    return rows


def stem(report: Mapping[str, Any]) -> str:
    """``assistant-<model>-<split>`` (a GGUF path's file name without ``.gguf``)."""
    model = str(report["model"])
    if model.endswith(".gguf"):
        model = Path(model).stem
    planner = (report.get("options") or {}).get("planner")
    if planner:
        model += "-" + (Path(planner).stem if str(planner).endswith(".gguf") else str(planner))
    return f"assistant-{model}-{report['split']}"


def write_reports(report: dict[str, Any], out: Path) -> dict[str, dict[str, Any]]:
    records = report["records"]
    summary = summaries(records)
    report["summary"] = summary
    out.mkdir(parents=True, exist_ok=True)
    name = stem(report)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    md = [
        "# The assistant: actions done, and what its answer claims",
        "",
        f"Date: {report['date']}. Command: `{report['command']}`",
        "",
        f"Machine: {report['machine']}; load average at start {report['load']}. Model: "
        f"{report['model']} (`{report['model_path']}`), as `build_assistant` in "
        f"`examples/assistant.py` runs it. Requests: {len(records)} of `{report['requests']}` "
        f"(split {report['split']}); every approval approved, every question answered from the "
        f"request's profile; at most {report['max_interrupts']} pauses per request.",
        "",
        markdown_table(COLUMNS, table_rows(summary)),
        "",
        "Actions exactly right: each expected calendar entry (date, time, title words) and email "
        "(recipient, words in subject + body) is in `calendar.db` / `outbox/` exactly once, and "
        "nothing else is. Answer claims an action not done: the final answer says an email was "
        "sent or an entry added while the outbox / calendar has none, or names an address no "
        "email went to, or an ISO date with no entry (a keyword detector: "
        "`unsupported_claims`). Answer silent on an action done: an email was sent (an entry "
        "added) but the answer claims no email (no entry), by the same detector. Duplicates: "
        "the same action done more than once (see `check_actions`). Step-limit hits: status "
        "`incomplete`. Failed / crashed: status `failed` (no usable planner "
        "output) / an exception out of `invoke`. Seconds: wall time per request, approvals and "
        "answers included (they are instant).",
        "",
    ]
    claimed = [(r, c) for r in records for c in r["claims_unsupported"]]
    md += ["## Answers claiming what was not done", ""]
    if not claimed:
        md.append("None.")
    for r, c in claimed:
        md.append(f"- `{r['id']}` ({c['kind']}: {c['reason']}): {_one_line(c['clause'], 200)}")
    md.append("")
    wrong = [r for r in records if not r["actions_ok"]]
    md += ["## Actions not exactly right", ""]
    if not wrong:
        md.append("None.")
    for r in wrong:
        parts = [
            f"{label}: {', '.join(r[key])}"
            for label, key in (
                ("missing", "missing"),
                ("twice+", "repeated"),
                ("extra", "extra"),
                ("duplicates", "duplicates"),
            )
            if r[key]
        ]
        md.append(f"- `{r['id']}`: {'; '.join(parts) or r['status']}")
    md.append("")
    crashes = Counter(_reason(r["crash"]) for r in records if r["crash"])
    if crashes:
        md += ["## Crashes", ""] + [f"- {n} x {reason}" for reason, n in crashes.items()] + [""]
    md += ["## Per request", ""]
    header = [
        "id",
        "shape",
        "status",
        "tools",
        "actions",
        "claims not done",
        "silent on",
        "answer",
        "s",
    ]
    rows = []
    for r in records:
        rows.append(
            [
                r["id"],
                r["shape"],
                str(r["status"]) + (f" ({_reason(r['crash'], 40)})" if r["crash"] else ""),
                " → ".join(str(t) for t in r["tools_used"][:8]),
                "✓" if r["actions_ok"] else "✗",
                "; ".join(c["reason"] for c in r["claims_unsupported"]) or "-",
                ", ".join(r.get("unreported") or []) or "-",
                _one_line(r["answer"], 100),
                f"{r['seconds']:.0f}",
            ]
        )
    md += [markdown_table(header, rows), ""]
    (out / f"{name}.md").write_text("\n".join(md))
    return summary


def print_table(summary: Mapping[str, Mapping[str, Any]]) -> None:
    table = Table(title="The assistant: actions and claims, per request shape")
    for col in COLUMNS:
        table.add_column(col)
    for row in table_rows(summary):
        table.add_row(*row)
    console.print(table)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (``bench/agents.py``'s)."""
    return str(_agents().markdown_table(header, rows))


def machine() -> str:
    """The CPU, cores and system (``bench/agents.py``'s)."""
    return str(_agents().machine())


def _cut(text: Any, n: int = 500) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= n else text[:n] + " [cut]"


def _one_line(text: Any, n: int) -> str:
    return _cut(" ".join(str(text or "").split()), n)


def _reason(text: str | None, n: int = 110) -> str:
    text = re.sub(r"\d+(\.\d+)?", "N", " ".join((text or "").split()))
    return text if len(text) <= n else text[:n] + "..."


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({k / n:.0%})" if n else "-"


def load_requests(
    path: Path, split: str = "all", ids: Sequence[str] = (), limit: int | None = None
) -> list[dict[str, Any]]:
    """The labelled requests of ``path``: the split's, or those named in ``ids``; the first N."""
    items = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    if ids:
        unknown = set(ids) - {x["id"] for x in items}
        if unknown:
            raise SystemExit(f"No request with id {', '.join(sorted(unknown))} in {path}")
        items = [x for x in items if x["id"] in ids]
    if split != "all":
        items = [x for x in items if x.get("split") == split]
    return items[:limit] if limit else items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL_DEFAULT, help="embedded model name or GGUF path")
    parser.add_argument(
        "--split", choices=["dev", "test", "fresh", "fresh2", "fresh3", "all"], default="all"
    )
    parser.add_argument("--limit", type=int, default=None, help="the first N requests")
    parser.add_argument("--ids", default=None, help="comma-separated request ids only")
    parser.add_argument("--requests", type=Path, default=DATA)
    parser.add_argument("--max-interrupts", type=int, default=MAX_INTERRUPTS)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--resume", action="store_true", help="keep the requests already in the --out JSON"
    )
    parser.add_argument("--keep-data", action="store_true", help="keep each request's data dir")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="a create_gba_agent option for the assistant (grounded_addresses=false)",
    )
    parser.add_argument(
        "--planner",
        default=None,
        help="a fine-tuned planner for the assistant: a shipped one's name (smollm2-135m-plans) "
        "or a GGUF adapter/model (default: the zero-shot planner on --model)",
    )
    parser.add_argument(
        "--from-json", type=Path, help="rebuild the reports from a saved JSON (checks re-applied)"
    )
    args = parser.parse_args()

    if args.from_json:
        print_table(write_reports(recheck(json.loads(args.from_json.read_text())), args.out))
        return

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from langchain_gba.models import resolve_model_path

    ids = [x for x in (args.ids or "").split(",") if x]
    items = load_requests(args.requests, args.split, ids, args.limit)
    options = {k: json.loads(v) for k, _, v in (o.partition("=") for o in args.option)}
    if args.planner:
        options["planner"] = args.planner
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(shlex.quote(a) for a in ["python", *sys.argv]),
        "machine": machine(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "model": args.model,
        "model_path": resolve_model_path(args.model).name,
        "requests": str(args.requests),
        "split": args.split,
        "max_interrupts": args.max_interrupts,
        "options": options,
        "records": [],
    }
    saved = args.out / f"{stem(report)}.json"
    if args.resume and saved.exists():
        previous = json.loads(saved.read_text())
        report["records"] = previous["records"]
        report["date"] = f"{previous['date']} – {report['date']}"
        report["command"] = previous["command"] + " (then --resume)"
        report["load"] = f"{previous['load']}; resumed at {report['load']}"
    done = {r["id"] for r in report["records"]}
    with console.status("Loading the model..."):
        start = time.perf_counter()
        warm_up(args.model)
        report["setup_s"] = time.perf_counter() - start
    for i, item in enumerate(items):
        if item["id"] in done:
            continue
        result = run_request(item, args.model, args.max_interrupts, args.keep_data, options)
        record = {k: item.get(k) for k in ("id", "request", "shape", "split", "expect")}
        record.update(result)
        report["records"].append(record)
        mark = "crash" if result["crash"] else str(result["status"])
        flags = " ".join(
            f
            for f, on in (
                ("actions✓" if result["actions_ok"] else "actions✗", True),
                ("CLAIM-NOT-DONE", bool(result["claims_unsupported"])),
                ("DUPLICATE", bool(result["duplicates"])),
            )
            if on
        )
        console.print(
            f"[{i + 1}/{len(items)}] {item['id']:<24} {result['seconds']:6.1f} s  "
            f"{mark:<10} {' → '.join(str(t) for t in result['tools_used'])}  {flags}  "
            f"answer={escape(repr(_one_line(result['answer'], 80)))}"
        )
        write_reports(report, args.out)  # the JSON (and the tables) after every request
    print_table(write_reports(report, args.out))
    console.print(f"[dim]{args.out / stem(report)}.md, .json[/]")


if __name__ == "__main__":
    main()
