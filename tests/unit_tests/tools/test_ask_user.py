"""What the agent reads from a request about the user."""

from __future__ import annotations

import pytest

from langchain_gba.tools.ask_user import users_own


@pytest.mark.parametrize(
    ("request_", "own"),
    [
        ("Book a table for me at my favourite restaurant.", "my favourite restaurant"),
        ("in which language should i say hello to my new neighbours?", "my new neighbours"),
        ("How much fuel will my car need to drive there?", "my car"),
        ("how many years at our anniversary in 2027", "our anniversary"),
        ("What is my hourly wage?", "my hourly wage"),
        ("Thank you so much, that answers my question.", None),  # a thanks
        ("Good morning! Is my English good?", None),  # a greeting first
        ("What is the German word for 'my cat'?", None),  # quoted
        ("How do I say 'thank you' in German?", None),  # no "my"
        ("Give me a synonym for 'fast'.", None),
    ],
)
def test_users_own_is_what_the_request_calls_the_users(request_, own):
    assert users_own(request_) == own
