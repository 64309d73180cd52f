"""``langgraph dev`` serves langgraph.json on loopback; the ``langgraph_sdk`` client drives it.

The assistant graph (examples/assistant_app.py): a thread streams its steps, the approval
interrupt is resumed through the API, and the thread's state holds the answer.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
EMAIL = "Email bob@example.org that I will be 10 minutes late to the meeting."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # type: ignore[no-untyped-def]
    cli = Path(sys.executable).with_name("langgraph")
    if not cli.exists() and shutil.which("langgraph") is None:
        pytest.skip("langgraph dev is not installed: pip install 'langgraph-cli[inmem]'")
    data = tmp_path_factory.mktemp("assistant-data")
    port = _free_port()
    env = {
        **os.environ,
        "GBA_ASSISTANT_DATA": str(data),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
    }
    log = open(data / "server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(cli if cli.exists() else "langgraph"), "dev", "--host", "127.0.0.1", "--port",
         str(port), "--no-browser", "--no-reload", "--allow-blocking", "--config",
         str(ROOT / "langgraph.json")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"langgraph dev exited: {(data / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            pytest.fail(f"langgraph dev did not start: {(data / 'server.log').read_text()[-2000:]}")
        yield url, data
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_a_thread_streams_its_steps_pauses_for_approval_and_resumes_through_the_api(server):
    from langgraph_sdk import get_sync_client

    url, data = server
    client = get_sync_client(url=url)
    thread = client.threads.create()
    nodes = []
    for part in client.runs.stream(
        thread["thread_id"], "assistant", input={"request": EMAIL}, stream_mode="updates"
    ):
        if part.event == "updates":
            nodes += list(part.data)
    assert nodes[:3] == ["take_request", "plan_step", "write_arguments"]
    assert "__interrupt__" in nodes
    state = client.threads.get_state(thread["thread_id"])
    [interrupt] = state["interrupts"]
    request = interrupt["value"]
    assert request["type"] == "approve_call" and request["tool"] == "send_email"
    assert request["arguments"]["recipient"] == "bob@example.org"
    assert not (data / "outbox").exists()
    client.runs.wait(thread["thread_id"], "assistant", command={"resume": {"type": "approve"}})
    state = client.threads.get_state(thread["thread_id"])
    values = state["values"]
    assert values["status"] == "answered" and values["answer"]
    assert [p.name for p in (data / "outbox").glob("*.eml")] == [f"{request['call_id']}.eml"]
