"""The grammar-based agent in a LangGraph app: your own tool, streaming, a question back, resume.

python examples/agent.py "Email my manager that the report is late."
"""

from __future__ import annotations

import sys

from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_gba import ChatLlamaCpp, ZeroShotPlanner, create_gba_agent
from langchain_gba.tools import CalculatorTool


@tool
def send_email(recipient: str, subject: str, body: str) -> str:
    """Send an email to a recipient (an email address)."""
    return f"Email to {recipient} sent."


def main(request: str) -> None:
    llm = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=256)
    agent = create_gba_agent(
        [CalculatorTool(llm=llm), send_email],  # send_email gets arguments by function calling
        planner=ZeroShotPlanner(llm),  # runs in its own llama.cpp context (prefix reuse)
        function_calling_model=llm,
        max_steps=5,
        checkpointer=InMemorySaver(),  # ask_user pauses the thread; resume it with the reply
    )
    config = {"configurable": {"thread_id": "example"}}
    payload: object = {"request": request}
    while True:
        for update in agent.stream(payload, config, stream_mode="updates"):
            for node, value in update.items():
                if node == "__interrupt__":
                    continue
                if node == "plan_step" and value.get("plan"):
                    print(f"[{value['plan']['selected_tool']}] {value['plan']['task']}")
                for step in value.get("steps", []) if value else []:
                    print(f"    -> {step['observation']}")
        state = agent.get_state(config)
        if not state.interrupts:
            break
        payload = Command(resume=input(f"{state.interrupts[0].value['question']} > "))
    print(f"status: {state.values['status']}; answer: {state.values.get('answer')}")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "Email my manager that the report is late.")
