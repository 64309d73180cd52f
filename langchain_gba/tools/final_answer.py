"""``final_answer``: the answer for the user, written from the request and the steps' results."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from langchain_core.callbacks import CallbackManagerForToolRun
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import ArgsSchema, BaseTool
from pydantic import BaseModel, Field, PrivateAttr

from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.prompts import FINAL_ANSWER_SYSTEM, FINAL_ANSWER_USER
from langchain_gba.structured.route import structured_model

__all__ = ["ANSWER_TASK", "FINAL_ANSWER", "FinalAnswerInput", "FinalAnswerTool", "cut_off_answer"]

FINAL_ANSWER = "final_answer"
ANSWER_TASK = "Answer the request."
"""The answer's task when the planner wrote none (a plan ahead's answer, an early answer)."""
CUT_OFF_MARK = "…"
"""Ends an answer the model was still writing when it reached ``max_tokens``."""

logger = logging.getLogger(__name__)
_ANSWER_START = re.compile(r'\s*\{\s*"answer"\s*:\s*"')


def cut_off_answer(error: StructuredOutputError) -> str | None:
    """The answer text in an output that ``max_tokens`` cut off, or None if there is none.

    Constrained decoding makes such an output a prefix of ``{"answer": "..."}``: the text
    written so far is kept (with ``CUT_OFF_MARK`` when the string itself was cut) rather than
    failing a run whose steps all succeeded.
    """
    if error.reason != "length" or not _ANSWER_START.match(error.raw):
        return None
    raw = error.raw.rstrip()
    # only the } missing; the string cut; the string cut inside an escape (\, \u00e)
    endings = [(error.raw + "}", ""), (error.raw + '"}', CUT_OFF_MARK)]
    endings += [(raw[:-cut] + '"}', CUT_OFF_MARK) for cut in range(1, 7)]
    for text, mark in endings:
        try:
            answer = str(json.loads(text, strict=False)["answer"]).strip()
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
        return answer + mark if answer else None
    return None


class FinalAnswerInput(BaseModel):
    """What the answer is written from."""

    request: str = Field(description="The user's request.")
    context: str = Field(description="The steps so far as Task/Result pairs.")
    task: str = Field(default=ANSWER_TASK, description="The planner's final task.")


class FinalAnswerTool(BaseTool):
    """Write the answer to the user's request from the results of the steps (one or two sentences).

    The agent calls it when the planner selects ``final_answer``; the run then ends.
    """

    name: str = FINAL_ANSWER
    description: str = (
        "Answer the user's request when the context information contains the answer, "
        "or say what could not be found."
    )
    args_schema: ArgsSchema | None = FinalAnswerInput

    llm: BaseChatModel | None = None
    """The chat model that writes the answer (the embedded model when None)."""
    max_length: int = 400
    """The most characters of the answer."""

    _runnable: Any = PrivateAttr(default=None)

    def _writer(self) -> Any:
        if self._runnable is None:
            llm = self.llm
            if llm is None:
                from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

                llm = ChatLlamaCpp(max_tokens=256)
            schema = {
                "type": "object",
                "properties": {
                    "answer": {"type": "string", "minLength": 1, "maxLength": self.max_length}
                },
                "required": ["answer"],
                "additionalProperties": False,
            }
            self._runnable = structured_model(llm, schema).with_config(run_name="final_answer")
        return self._runnable

    @staticmethod
    def _messages(request: str, context: str, task: str) -> list[tuple[str, str]]:
        user = FINAL_ANSWER_USER.format(request=request, context=context, task=task)
        return [("system", FINAL_ANSWER_SYSTEM), ("human", user)]

    def _run(
        self,
        request: str,
        context: str,
        task: str = ANSWER_TASK,
        run_manager: CallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        try:
            out = self._writer().invoke(self._messages(request, context, task))
        except StructuredOutputError as e:
            return self._salvaged(e)
        return str(out["answer"]).strip()

    async def _arun(self, request: str, context: str, task: str = ANSWER_TASK, **_: Any) -> str:
        try:
            out = await self._writer().ainvoke(self._messages(request, context, task))
        except StructuredOutputError as e:
            return self._salvaged(e)
        return str(out["answer"]).strip()

    @staticmethod
    def _salvaged(error: StructuredOutputError) -> str:
        """The answer written before ``max_tokens`` ran out; re-raises if there is none."""
        text = cut_off_answer(error)
        if text is None:
            raise error
        logger.warning(
            "The final answer was cut off by max_tokens; kept the %d characters written. "
            "Raise the answer model's max_tokens or lower FinalAnswerTool.max_length.",
            len(text),
        )
        return text
