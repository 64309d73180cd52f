"""``python -m simulation``'s command-line plumbing (no model)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from simulation.cli import terminate_as_interrupt


def test_sigterm_stops_a_run_like_ctrl_c_and_cleanup_runs() -> None:
    before = signal.getsignal(signal.SIGTERM)
    cleaned = []
    with pytest.raises(KeyboardInterrupt, match="signal 15"):
        try:
            with terminate_as_interrupt():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(10)  # the handler interrupts this
        finally:
            cleaned.append(True)  # where the run updates its manifest
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is before
