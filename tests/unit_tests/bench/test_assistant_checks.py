"""bench/assistant.py's pure checks: actions against the labels, claims against the actions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench_modules import load_bench

ROOT = Path(__file__).resolve().parents[3]


bench = load_bench("assistant.py")

LUNCH = {"title": "Lunch with Ann", "date": "2026-12-24", "time": "12:30"}
ANN = {"recipient": "ann@example.org", "subject": "Lunch", "body": "Lunch is booked."}
EXPECT = {
    "events": [{"date": "2026-12-24", "time": "12:30", "title_words": ["lunch", "ann"]}],
    "emails": [{"recipient": "ann@example.org", "body_words": ["lunch", "booked"]}],
}


def reasons(answer: str, events: list[dict[str, Any]], emails: list[dict[str, Any]]) -> list[str]:
    return [c["reason"] for c in bench.unsupported_claims(answer, events, emails)]


def test_the_known_failure_claims_an_email_that_was_not_sent() -> None:
    answer = (
        "I have added lunch with Ann on 2026-12-24 at 12:30 to your calendar and sent an email "
        "to ann@example.org that lunch is booked."
    )
    assert reasons(answer, [LUNCH], []) == ["no email in the outbox"]
    assert reasons(answer, [LUNCH], [ANN]) == []
    assert {c["kind"] for c in bench.find_claims(answer)} == {"email", "event"}


@pytest.mark.parametrize(
    "answer",
    [
        "I could not send the email to ann@example.org.",
        "I added lunch to your calendar, but I couldn't email Ann.",
        "Lunch is in your calendar. Would you like me to email ann@example.org?",
        "The email will be sent to ann@example.org once you approve it.",
        "I have emailed ann@example.org that the meeting is scheduled for 12:30.",
    ],
)
def test_negated_future_questions_and_email_content_claim_no_missing_event_or_email(
    answer: str,
) -> None:
    emails = [ANN] if "emailed" in answer else []
    events = [LUNCH] if "calendar" in answer else []
    assert reasons(answer, events, emails) == []


def test_an_address_or_a_day_without_its_action_is_unsupported() -> None:
    tom = {"recipient": "tom@example.com", "subject": "Report", "body": "The report is ready."}
    sent = "I sent the report to tom@example.com and jane@example.com."
    assert reasons(sent, [], [tom]) == ["no email to jane@example.com"]
    gym = {"title": "Gym", "date": "2026-05-04", "time": "07:00"}
    added = "I added the gym on 2026-05-04 and 2026-05-06 to your calendar."
    assert reasons(added, [gym], []) == ["no event on 2026-05-06"]


def test_an_event_claim_without_any_event() -> None:
    answer = "Your dentist appointment has been scheduled for June 9th at 14:00."
    assert reasons(answer, [], []) == ["no event in the calendar"]


def test_actions_exactly_once_and_nothing_else() -> None:
    assert bench.check_actions(EXPECT, [LUNCH], [ANN])["ok"]
    missing = bench.check_actions(EXPECT, [LUNCH], [])
    assert not missing["ok"] and missing["missing"] == ["email to ann@example.org ('lunch+booked')"]
    twice = bench.check_actions(EXPECT, [LUNCH, dict(LUNCH)], [ANN])
    assert not twice["ok"] and twice["repeated"] and twice["duplicates"]
    other = {"recipient": "bob@example.org", "subject": "Hi", "body": "Lunch is booked."}
    extra = bench.check_actions(EXPECT, [LUNCH], [ANN, other])
    assert not extra["ok"] and extra["extra"] and not extra["duplicates"]
    wrong_time = bench.check_actions(EXPECT, [{**LUNCH, "time": "13:30"}], [ANN])
    assert not wrong_time["ok"] and wrong_time["extra"] and wrong_time["missing"]


def test_the_labelled_requests_are_well_formed() -> None:
    path = ROOT / "bench" / "data" / "assistant_requests.jsonl"
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert len({x["id"] for x in items}) == len(items) >= 24
    shapes = {s: [x for x in items if x["shape"] == s] for s in bench.SHAPES}
    assert len(shapes["one_action"]) >= 8 and len(shapes["two_actions"]) >= 8
    assert len(shapes["lookup_then_action"]) >= 6
    for x in items:
        assert x["split"] in ("dev", "test", "fresh", "fresh2", "fresh3")
        expect = x["expect"]
        assert expect["events"] or expect["emails"]
        for e in expect["events"]:
            assert bench.ISO_DATE.fullmatch(e["date"]) and e["title_words"]
        for m in expect["emails"]:
            assert bench.ADDRESS.fullmatch(m["recipient"]) and m["body_words"]
        n = len(expect["events"]) + len(expect["emails"])
        assert n == (1 if x["shape"] == "one_action" else 2 if x["shape"] == "two_actions" else n)
        if x["shape"] == "lookup_then_action":
            assert x.get("profile")


def test_the_same_email_resent_to_a_made_up_address_is_a_duplicate() -> None:
    expect = {"events": [], "emails": [{"recipient": "paula@example.com", "body_words": ["sick"]}]}
    sent = [
        {"recipient": "manager@example.com", "subject": "Sick Day", "body": "I'm ill."},
        {"recipient": "email_manager@example.com", "subject": "Sick day", "body": "I'm sick."},
    ]
    result = bench.check_actions(expect, [], sent)
    assert result["duplicates"] == ["email to manager@example.com ('Sick Day') x2"]
    two = {"events": [], "emails": [{**expect["emails"][0]}, {"recipient": "x@example.com"}]}
    assert bench.check_actions(two, [], sent)["duplicates"] == []  # two emails were asked for


def test_an_answer_silent_on_the_email_it_sent() -> None:
    expect = {"events": [], "emails": [{"recipient": "bob@example.org", "body_words": ["late"]}]}
    bob = {"recipient": "bob@example.org", "subject": "Meeting", "body": "I will be late."}
    silent = bench.checks(expect, "I did not do this: create_event did not run.", [], [bob])
    assert silent["actions_ok"] and silent["unreported"] == ["email"]
    told = bench.checks(expect, "Sent 'Meeting' to bob@example.org.", [], [bob])
    assert told["unreported"] == [] and told["claims_unsupported"] == []
