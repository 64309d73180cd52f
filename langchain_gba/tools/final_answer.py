"""``final_answer``: the answer for the user, written from the request and the steps' results."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForToolRun
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import ArgsSchema, BaseTool
from pydantic import BaseModel, Field, PrivateAttr

from langchain_gba.prompts import FINAL_ANSWER_SYSTEM, FINAL_ANSWER_USER
from langchain_gba.structured.prompted import structured_model

__all__ = ["FINAL_ANSWER", "FinalAnswerInput", "FinalAnswerTool"]

FINAL_ANSWER = "final_answer"


class FinalAnswerInput(BaseModel):
    """What the answer is written from."""

    request: str = Field(description="The user's request.")
    context: str = Field(description="The steps so far as Task/Result pairs.")
    task: str = Field(default="Answer the request.", description="The planner's final task.")


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
        task: str = "Answer the request.",
        run_manager: CallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        out = self._writer().invoke(self._messages(request, context, task))
        return str(out["answer"]).strip()

    async def _arun(
        self, request: str, context: str, task: str = "Answer the request.", **_: Any
    ) -> str:
        out = await self._writer().ainvoke(self._messages(request, context, task))
        return str(out["answer"]).strip()
