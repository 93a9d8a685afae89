"""The one bounded input reader (careprofiles.profiles.inputs): regular files only, never
more than the limit, a FIFO never opened for reading.

Every test that could hang (a FIFO) runs the call in a daemon thread with a deadline
(``within_deadline``), so a regression fails the test instead of hanging the suite. The
same refusals through each loader and through the command line: tests/cli/test_bad_inputs.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile_paths import WORDS, hostile_paths, within_deadline
from hypothesis import given, settings, strategies as st

from careprofiles.errors import TariffError, ValidationError
from careprofiles.profiles import inputs
from careprofiles.profiles.inputs import (
    NOT_A_FILE,
    TOO_LARGE,
    check_input,
    read_input_bytes,
    refusal,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")


@pytest.mark.parametrize("kind", sorted(WORDS))
def test_what_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = hostile_paths(tmp_path)[kind]
    with pytest.raises(TariffError) as info:
        within_deadline(lambda: read_input_bytes(path, "tariff file", 1000, error=TariffError))
    (problem,) = info.value.problems
    assert problem.code == NOT_A_FILE
    assert problem.line is None
    assert WORDS[kind] in problem.message
    assert problem.message.endswith("; give the path of a tariff file")
    assert "\0" not in str(info.value)  # a NUL byte is shown as \0, not written out
    with pytest.raises(TariffError) as checked:
        within_deadline(lambda: check_input(path, "tariff file", error=TariffError))
    assert checked.value.problems == info.value.problems


def test_a_folder_is_allowed_where_the_format_allows_one(tmp_path: Path) -> None:
    assert refusal(tmp_path, folder=True) is None
    assert check_input(tmp_path, "dataset", folder=True) == tmp_path
    found = refusal(tmp_path)
    assert found is not None
    assert found.kind == "folder"


def test_a_missing_file_keeps_its_words(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        read_input_bytes(tmp_path / "none.csv", "tariff file", 100)
    (problem,) = info.value.problems
    assert problem.code == ""
    assert problem.message == "no such file; check the path of this tariff file"
    with pytest.raises(ValidationError, match=r"none\.csv: gone; look again$"):
        check_input(tmp_path / "none.csv", "x", missing="gone; look again")


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert read_input_bytes(path, "tariff file", 8) == b"a,b\n1,2\n"
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    assert read_input_bytes(link, "tariff file", 8) == b"a,b\n1,2\n"


def test_a_file_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"x" * 11)
    with pytest.raises(ValidationError) as info:
        read_input_bytes(path, "tariff file", 10, too_large="{size:,} > {limit:,}")
    assert info.value.problems[0].code == TOO_LARGE
    assert info.value.problems[0].message == "11 > 10"


class _Counting:
    """os.read, counting the bytes it hands back."""

    def __init__(self) -> None:
        self.read = 0
        self._read = os.read

    def __call__(self, fd: int, n: int) -> bytes:
        chunk = self._read(fd, n)
        self.read += len(chunk)
        return chunk


def test_the_limit_holds_while_reading_when_the_size_says_less(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a file that says it is empty (as /proc files do) but holds 10 MB
    path = tmp_path / "big.yaml"
    path.write_bytes(b"y" * 10_000_000)
    real_fstat = os.fstat

    def fstat(fd: int) -> Any:
        found = real_fstat(fd)
        return os.stat_result((*found[:6], 0, *found[7:]))  # st_size is item 6

    counting = _Counting()
    monkeypatch.setattr(os, "fstat", fstat)
    monkeypatch.setattr(os, "read", counting)
    with pytest.raises(ValidationError) as info:
        read_input_bytes(path, "pathway file", 1000)
    assert info.value.problems[0].code == TOO_LARGE
    assert "more than the 1,000 bytes allowed" in info.value.problems[0].message
    assert counting.read == 1001  # never more than limit + 1 bytes


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_proc_file_of_no_stated_size_is_read_to_the_limit_only() -> None:
    assert os.stat("/proc/self/status").st_size == 0
    assert b"Name:" in read_input_bytes("/proc/self/status", "YAML file", 1_000_000)
    with pytest.raises(ValidationError) as info:
        read_input_bytes("/proc/self/status", "YAML file", 10)
    assert info.value.problems[0].code == TOO_LARGE


def test_a_fifo_swapped_in_after_the_check_is_refused_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened (non-blocking, so no writer is waited for), then refused by fstat."""
    path = hostile_paths(tmp_path)["fifo"]
    monkeypatch.setattr(inputs, "refusal", lambda *_a, **_k: None)  # the look saw a file
    with pytest.raises(ValidationError) as info:
        within_deadline(lambda: read_input_bytes(path, "tariff file", 1000))
    assert info.value.problems[0].code == NOT_A_FILE
    assert "is a FIFO" in info.value.problems[0].message


def test_the_device_limit_reads_at_most_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """/dev/zero, let past the check, still stops at limit + 1 bytes."""
    monkeypatch.setattr(inputs, "refusal", lambda *_a, **_k: None)
    monkeypatch.setattr(inputs, "_mode_refusal", lambda *_a, **_k: None)
    counting = _Counting()
    monkeypatch.setattr(os, "read", counting)
    with pytest.raises(ValidationError) as info:
        within_deadline(lambda: read_input_bytes("/dev/zero", "tariff file", 5000))
    assert info.value.problems[0].code == TOO_LARGE
    assert counting.read == 5001


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 3000), limit=st.integers(0, 3000))
def test_read_or_refused_by_the_limit(tmp_path_factory: Any, size: int, limit: int) -> None:
    path = tmp_path_factory.mktemp("sizes") / "f.csv"
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    path.write_bytes(data)
    if size <= limit:
        assert read_input_bytes(path, "f", limit) == data
    else:
        with pytest.raises(ValidationError) as info:
            read_input_bytes(path, "f", limit)
        assert info.value.problems[0].code == TOO_LARGE
