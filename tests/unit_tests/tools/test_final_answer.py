"""final_answer's prompt: the results and the request, or the message alone when no step ran."""

from __future__ import annotations

from langchain_gba.prompts import DIRECT_ANSWER_SYSTEM, FINAL_ANSWER_SYSTEM, NO_PREVIOUS_STEPS
from langchain_gba.tools.final_answer import ANSWER_TASK, FinalAnswerTool


def test_with_results_the_answer_is_written_from_them():
    context = "Task: How high is K2?\nResult: K2 is 8,611 m high."
    (system, sys_text), (_, user) = FinalAnswerTool._messages(
        "How high is K2?", context, ANSWER_TASK
    )
    assert sys_text == FINAL_ANSWER_SYSTEM
    assert user.startswith(context) and user.endswith(
        "Request: How high is K2?\nTask: " + ANSWER_TASK
    )


def test_with_no_step_the_message_is_replied_to():
    messages = FinalAnswerTool._messages("Hi! Nice to meet you.", NO_PREVIOUS_STEPS, ANSWER_TASK)
    assert messages == [("system", DIRECT_ANSWER_SYSTEM), ("human", "Hi! Nice to meet you.")]


def test_with_no_step_a_planners_own_task_is_kept():
    (_, _), (_, user) = FinalAnswerTool._messages("Hello!", "", "Greet the user back.")
    assert user == "Hello!\n\n(Greet the user back.)"
