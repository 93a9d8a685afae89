"""Paths that are not files, for the tests of every input: FIFOs, folders, link loops,
links to nothing, /dev/zero and names holding a NUL byte (``hostile_paths(folder)``), and
``within_deadline(call)``, which fails a test whose call hangs instead of hanging the suite.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEADLINE = 10.0
"""Seconds a call may take before a test calls it a hang (a refusal takes milliseconds)."""

WORDS = {
    "fifo": "is a FIFO (a named pipe), not a file",
    "folder": "is a folder",
    "loop": "is a symbolic link loop",
    "dangling": "is a symbolic link to",
    "device": "is a character device",
    "device-link": "is a character device",
    "nul": "the file name holds a NUL byte",
}
"""What the message says of each kind of path (the keys of :func:`hostile_paths`)."""


def hostile_paths(folder: Path, suffix: str = "") -> dict[str, Path]:
    """A path of each kind that no input may be, made in ``folder``, each name ending in
    ``suffix`` (``.csv``) so that it looks like the file it stands for."""
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / f"fifo{suffix}")
    (folder / f"folder{suffix}").mkdir()
    (folder / f"loop-a{suffix}").symlink_to(folder / f"loop-b{suffix}")
    (folder / f"loop-b{suffix}").symlink_to(folder / f"loop-a{suffix}")
    (folder / f"dangling{suffix}").symlink_to(folder / f"nothing-here{suffix}")
    (folder / f"zero{suffix}").symlink_to("/dev/zero")
    return {
        "fifo": folder / f"fifo{suffix}",
        "folder": folder / f"folder{suffix}",
        "loop": folder / f"loop-a{suffix}",
        "dangling": folder / f"dangling{suffix}",
        "device": Path("/dev/zero"),
        "device-link": folder / f"zero{suffix}",
        "nul": folder / f"name\0x{suffix}",
    }


def within_deadline(call: Callable[[], Any], deadline: float = DEADLINE) -> Any:
    """``call()`` run in a daemon thread; fails the test if it does not end in time (a
    thread stuck opening a FIFO is left behind, and dies with the test run)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(deadline)
    assert not thread.is_alive(), f"the call did not end within {deadline} s: it hangs"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
