"""Writing output files (``careprofiles.outputs.files``): atomically, never over a file without
``force``, and every operating-system error turned into a readable :class:`OutputError`."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from careprofiles.errors import CareProfilesError, OutputError, OutputExistsError
from careprofiles.outputs.files import check_writable, write_atomic


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in ``tmp_path``, so that messages show short relative paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _refused(target: str | Path, content: str | bytes | Callable[[Path], None] = "x") -> str:
    with pytest.raises(OutputError) as caught:
        write_atomic(target, content)
    exc = caught.value
    assert isinstance(exc, CareProfilesError)
    assert isinstance(exc, OSError)  # callers may catch either
    return str(exc)


def test_writes_text_bytes_and_files(here: Path) -> None:
    assert write_atomic("a.txt", "text").read_text(encoding="utf-8") == "text"
    assert write_atomic("b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert (
        write_atomic("c.txt", lambda p: p.write_text("made", encoding="utf-8")).read_text(
            encoding="utf-8"
        )
        == "made"
    )
    assert sorted(p.name for p in here.iterdir()) == ["a.txt", "b.bin", "c.txt"]


def test_an_existing_file_needs_force_in_python_words(here: Path) -> None:
    (here / "a.csv").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputExistsError) as caught:
        write_atomic("a.csv", "new")
    assert str(caught.value) == "a.csv: the file exists already; pass force=True to overwrite it"
    assert caught.value.path == "a.csv"
    assert isinstance(caught.value, FileExistsError)
    assert isinstance(caught.value, OutputError)
    assert (here / "a.csv").read_text(encoding="utf-8") == "keep"
    write_atomic("a.csv", "new", force=True)
    assert (here / "a.csv").read_text(encoding="utf-8") == "new"


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_is_not_a_file_name(here: Path, force: bool) -> None:
    (here / "adir").mkdir()
    with pytest.raises(OutputError) as caught:
        check_writable("adir", force)
    assert str(caught.value) == "adir: is a folder; give a file name"
    assert not isinstance(caught.value, OutputExistsError)


def test_a_file_in_the_way_of_the_folder(here: Path) -> None:
    (here / "afile").touch()
    for target in ("afile/x.csv", "afile/sub/x.csv"):
        message = _refused(target)
        assert message == f"{target}: afile is not a folder; give a path in an existing folder"
    assert [p.name for p in here.iterdir()] == ["afile"]


def test_a_missing_folder(here: Path) -> None:
    message = _refused(Path("missing", "x.csv"))
    assert message == "missing/x.csv: the folder missing does not exist; create it first"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_that_takes_no_files() -> None:
    message = _refused("/proc/x.csv")
    assert message.startswith("/proc/x.csv: cannot create a file in /proc")
    assert message.endswith("; give a path in a folder you can write to")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.EACCES, "a.csv: permission denied; give a path in a folder you can write to"),
        (errno.EPERM, "a.csv: permission denied; give a path in a folder you can write to"),
        (errno.EROFS, "a.csv: the file system is read-only; give a path on a writable one"),
        (errno.ENOSPC, "a.csv: no space left on the device; free some space or write elsewhere"),
        (errno.EDQUOT, "a.csv: no space left on the device; free some space or write elsewhere"),
        (errno.ENAMETOOLONG, "a.csv: the file name is too long; give a shorter one"),
        (
            errno.EIO,
            "a.csv: cannot write the file (Input/output error); "
            "give a path in a folder you can write to",
        ),
    ],
)
@pytest.mark.parametrize("stage", ["check", "create", "write", "replace"])
def test_every_os_error_reads_well_and_leaves_nothing(
    here: Path, monkeypatch: pytest.MonkeyPatch, code: int, expected: str, stage: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code), "a.csv")

    import careprofiles.outputs.files as output

    real_mkstemp = output.tempfile.mkstemp
    calls = []

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        calls.append(1)
        # the first call is check_writable's probe, the second the real temporary file
        if (stage == "check" and len(calls) == 1) or (stage == "create" and len(calls) == 2):
            fail()
        return real_mkstemp(*args, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(output.tempfile, "mkstemp", mkstemp)
    if stage == "replace":
        monkeypatch.setattr(output.os, "replace", fail)
    content: str | Callable[[Path], None] = fail if stage == "write" else "x"
    with pytest.raises(OutputError) as caught:
        write_atomic("a.csv", content)
    assert str(caught.value) == expected
    assert caught.value.errno == code
    assert caught.value.__cause__ is not None  # the original error, for --debug
    assert list(here.iterdir()) == []


def test_other_errors_pass_through_and_leave_nothing(here: Path) -> None:
    def broken(path: Path) -> None:
        path.write_bytes(b"half")
        raise CareProfilesError("a template broke")

    with pytest.raises(CareProfilesError, match="a template broke") as caught:
        write_atomic("a.csv", broken)
    assert not isinstance(caught.value, OutputError)
    assert list(here.iterdir()) == []


def test_a_file_that_appears_while_writing_is_not_overwritten(here: Path) -> None:
    def racing(path: Path) -> None:
        path.write_text("mine", encoding="utf-8")
        (here / "a.csv").write_text("theirs", encoding="utf-8")

    with pytest.raises(OutputExistsError, match="exists already"):
        write_atomic("a.csv", racing)
    assert (here / "a.csv").read_text(encoding="utf-8") == "theirs"
    assert [p.name for p in here.iterdir()] == ["a.csv"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_file_gets_the_usual_mode(here: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = write_atomic("a.csv", "x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
