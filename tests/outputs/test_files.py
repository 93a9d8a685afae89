"""Writing output files (``careprofiles.outputs.files``): atomically, never over a file without
``force``, never over anything but a regular file, several files all or none, the
temporaries of killed runs swept, and every operating-system error turned into a readable
:class:`OutputError`."""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from careprofiles.errors import CareProfilesError, OutputError, OutputExistsError
from careprofiles.outputs.files import STALE_AFTER, all_or_none, check_writable, write_atomic


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


# ---------------------------------------------------------------- what is at the path


def _unchanged_refusal(target: str, force: bool) -> OutputError:
    with pytest.raises(OutputError) as caught:
        write_atomic(target, "x", force=force)
    assert not isinstance(caught.value, OutputExistsError)  # force would not help
    return caught.value


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX named pipes")
@pytest.mark.parametrize("force", [False, True])
def test_a_named_pipe_is_never_replaced(here: Path, force: bool) -> None:
    os.mkfifo("pipe")
    error = _unchanged_refusal("pipe", force)
    assert error.errno == errno.EINVAL
    assert str(error).startswith("pipe: is a named pipe (FIFO), not a file;")
    assert stat.S_ISFIFO(os.lstat("pipe").st_mode)
    assert [p.name for p in here.iterdir()] == ["pipe"]


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
@pytest.mark.parametrize("force", [False, True])
def test_a_socket_is_never_replaced(here: Path, force: bool) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock")
        error = _unchanged_refusal("sock", force)
    assert error.errno == errno.EINVAL
    assert str(error).startswith("sock: is a socket, not a file;")
    assert stat.S_ISSOCK(os.lstat("sock").st_mode)


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
@pytest.mark.parametrize("force", [False, True])
def test_a_symbolic_link_is_neither_written_through_nor_replaced(here: Path, force: bool) -> None:
    os.symlink("nowhere", "dangling")
    (here / "kept.csv").write_text("keep", encoding="utf-8")
    os.symlink("kept.csv", "link.csv")
    for link, target in (("dangling", "nowhere"), ("link.csv", "kept.csv")):
        error = _unchanged_refusal(link, force)
        assert error.errno == errno.ELOOP
        assert str(error).startswith(f"{link}: is a symbolic link (to {target});")
        assert os.readlink(link) == target
    assert (here / "kept.csv").read_text(encoding="utf-8") == "keep"
    assert not (here / "nowhere").exists()
    assert sorted(p.name for p in here.iterdir()) == ["dangling", "kept.csv", "link.csv"]


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_dev_null_is_refused_before_anything_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # the refusal must come before any file is made or renamed: make both impossible, so
    # that even a broken check cannot touch /dev/null (these tests may run as root)
    import careprofiles.outputs.files as output

    def never(*args: object, **kwargs: object) -> Any:
        raise AssertionError("a file was about to be written")

    monkeypatch.setattr(output.tempfile, "mkstemp", never)
    monkeypatch.setattr(output.os, "replace", never)
    for force in (False, True):
        with pytest.raises(OutputError) as caught:
            check_writable("/dev/null", force)
        assert caught.value.errno == errno.EINVAL
        assert str(caught.value).startswith("/dev/null: is a character device, not a file;")
        with pytest.raises(OutputError):
            write_atomic("/dev/null", "x", force=force)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


# ---------------------------------------------------------------- several files, all or none


def test_files_written_together_appear_together(here: Path) -> None:
    with all_or_none() as batch:
        write_atomic("a.csv", "a")
        write_atomic("b.png", b"b")
        # written, not yet in place
        assert sorted(p.name for p in here.iterdir() if not p.name.startswith(".")) == []
        assert len(list(here.iterdir())) == 2
    assert batch.written == [Path("a.csv"), Path("b.png")]
    assert sorted(p.name for p in here.iterdir()) == ["a.csv", "b.png"]


def _together(
    *files: tuple[str | Path, str | bytes | Callable[[Path], None]],
    then: BaseException | None = None,
) -> None:
    """Write ``files`` in one all-or-none block, then raise ``then`` (if given)."""
    with all_or_none():
        for name, content in files:
            write_atomic(name, content)
        if then is not None:
            raise then


@pytest.mark.parametrize("error", [CareProfilesError("a chart broke"), KeyboardInterrupt()])
def test_an_error_after_the_first_file_leaves_none(here: Path, error: BaseException) -> None:
    def broken(path: Path) -> None:
        path.write_bytes(b"half a chart")
        raise error

    with pytest.raises(type(error)):
        _together(("a.json", "{}"), ("a.png", broken))
    assert list(here.iterdir()) == []
    with pytest.raises(type(error)):
        _together(("a.json", "{}"), then=error)
    assert list(here.iterdir()) == []


def test_a_rename_that_fails_removes_the_files_renamed_before_it(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import careprofiles.outputs.files as output

    real_replace = output.os.replace
    calls: list[object] = []

    def second_fails(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dst)
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", second_fails)
    with pytest.raises(OutputError, match="no space left"):
        _together(("a.json", "{}"), ("a.png", b"png"))
    assert list(here.iterdir()) == []


def test_one_command_cannot_write_a_file_twice(here: Path) -> None:
    with pytest.raises(OutputError, match="written twice"):
        _together(("a.csv", "a"), (here / "a.csv", "b"))
    assert list(here.iterdir()) == []


# ---------------------------------------------------------------- temporaries of killed runs


def _ended_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_temporary_files_have_careprofiles_own_names(here: Path) -> None:
    seen: list[str] = []
    write_atomic("a.csv", lambda p: seen.append(p.name))
    (name,) = seen
    assert re.fullmatch(rf"\.a\.csv\.careprofiles-{os.getpid()}-[0-9a-f]{{6}}-[^./]+\.tmp", name), (
        name
    )


@pytest.mark.skipif(sys.platform == "win32", reason="process ids are not checked on Windows")
def test_stale_temporaries_of_killed_runs_are_swept_and_nothing_else(here: Path) -> None:
    seen: list[str] = []
    write_atomic("probe.csv", lambda p: seen.append(p.name))
    host = seen[0].split("-")[2]
    ended = _ended_pid()
    stale = [
        f".out.csv.careprofiles-{ended}-{host}-abcd1234.tmp",  # its process has ended
        f".chart.png.careprofiles-{ended}-{host}-x_y9.tmp",  # another output's
    ]
    old = f".out.csv.careprofiles-{os.getpid()}-{host}-old12345.tmp"  # running, but an hour old
    kept = [
        f".out.csv.careprofiles-{os.getpid()}-{host}-live1234.tmp",  # a run in progress
        f".out.csv.careprofiles-{ended}-{'0' if host != '000000' else '1'}{host[1:]}-other.tmp",
        f"out.csv.careprofiles-{ended}-{host}-abcd1234.tmp",  # not hidden: not ours
        f".out.csv.careprofiles-{ended}-{host}-abcd1234.tmp.bak",
        ".out.csv.pn0wjt23.tmp",  # the naming of older versions, or anyone's
        "notes.txt",
    ]
    for name in [*stale, old, *kept]:
        (here / name).write_text("half", encoding="utf-8")
    hour_ago = time.time() - STALE_AFTER - 60
    os.utime(here / old, (hour_ago, hour_ago))
    (here / f".link.careprofiles-{ended}-{host}-abcd1234.tmp").symlink_to("notes.txt")
    (here / f".dir.careprofiles-{ended}-{host}-abcd1234.tmp").mkdir()
    write_atomic("new.csv", "x")
    left = {p.name for p in here.iterdir()}
    assert left.isdisjoint([*stale, old])
    assert left >= {*kept, "new.csv", "probe.csv"}
    assert len(left) == len(kept) + 4  # and the link and the folder


class _Stop(BaseException):
    pass


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_a_signal_waits_for_the_end_of_a_held_section_with_other_threads_running() -> None:
    """A temporary file is made and noted (or made and removed) with interruptions held.
    With another thread in the process, a signal this thread blocks is delivered to that
    one, and Python runs the handler here all the same: blocking is not holding. (This let
    a SIGTERM leave the probe of check_writable behind.)"""
    from careprofiles.outputs.files import _interruptions_held

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    idle = threading.Event()
    other = threading.Thread(target=idle.wait, daemon=True)
    other.start()
    previous = signal.signal(signal.SIGTERM, stop)
    reached = []

    def held_section() -> None:
        with _interruptions_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # without the hold, the handler raises here
            reached.append(True)

    try:
        with pytest.raises(_Stop):
            held_section()
    finally:
        signal.signal(signal.SIGTERM, previous)
        idle.set()
        other.join()
    assert reached == [True]
