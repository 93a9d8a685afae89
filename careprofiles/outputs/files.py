"""Writing output files: atomically, never over an existing file without ``force``, never
over anything but a regular file, and several files all or none.

Every file is written to a temporary file beside it (named
``.NAME.careprofiles-PID-HOST-RANDOM.tmp``) and renamed into place when it is whole.
Inside :func:`all_or_none`, the renames wait until every file of the block is written,
and then happen together. A temporary file that a killed run left behind (its process
is gone, or it is an hour old) is removed the next time a file is written in its folder.

Every operating-system error on the way (a folder that is a file, permission denied, a
read-only file system, a full disk, ...) becomes an :class:`OutputError` that says what
is wrong and what to do, with the original error as its ``__cause__``.

Imports: errors only.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import platform
import re
import signal
import stat
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from careprofiles.errors import CareProfilesError, OutputError, OutputExistsError, display_path

__all__ = ["STALE_AFTER", "OutputBatch", "all_or_none", "check_writable", "write_atomic"]

Content = str | bytes | Callable[[Path], None]

_ANOTHER_FOLDER = "give a path in a folder you can write to"
_MESSAGES = {
    errno.EACCES: f"permission denied; {_ANOTHER_FOLDER}",
    errno.EPERM: f"permission denied; {_ANOTHER_FOLDER}",
    errno.EROFS: "the file system is read-only; give a path on a writable one",
    errno.ENOSPC: "no space left on the device; free some space or write elsewhere",
    errno.EDQUOT: "no space left on the device; free some space or write elsewhere",
    errno.EFBIG: "the file is too large for the file system; write elsewhere",
    errno.ENAMETOOLONG: "the file name is too long; give a shorter one",
    errno.EISDIR: "is a folder; give a file name",
}
_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)

STALE_AFTER = 3600.0
"""Seconds after which a temporary file of careprofiles' naming is removed even when its
process seems to be running (its number reused, or a run on another machine)."""

_HOST = f"{zlib.crc32(platform.node().encode('utf-8')) & 0xFFFFFF:06x}"
_TEMPORARY = re.compile(r"\..+\.careprofiles-(?P<pid>[0-9]+)-(?P<host>[0-9a-f]{6})-[^./]+\.tmp")
"""careprofiles' temporary files, and nothing else (a user's file has no reason to match)."""
_CHUNK = 1 << 20
"""Characters of text encoded and written at a time."""


def _folder_problem(p: Path) -> tuple[int, str] | None:
    """What is wrong with the folders above ``p``, and its error number (None when its
    folder exists, or when the folders cannot be looked at)."""
    try:
        if p.parent.is_dir():
            return None
        for folder in p.parents:
            if folder.is_dir():
                break
            if folder.exists():  # the first thing that exists on the way up is not a folder
                return errno.ENOTDIR, (
                    f"{display_path(folder)} is not a folder; give a path in an existing folder"
                )
    except OSError:  # e.g. permission denied on the way up: say that instead
        return None
    return errno.ENOENT, f"the folder {display_path(p.parent)} does not exist; create it first"


def _output_error(p: Path, exc: OSError) -> OutputError:
    """``exc``, met while writing ``p``, as a message a user can act on."""
    code = exc.errno
    if code in (errno.ENOENT, errno.ENOTDIR) and (problem := _folder_problem(p)):
        message = problem[1]
    elif code in _MESSAGES:
        message = _MESSAGES[code]
    elif code == errno.ENOENT:  # the folder exists but takes no files (e.g. /proc)
        message = f"cannot create a file in {display_path(p.parent)}; {_ANOTHER_FOLDER}"
    else:
        reason = exc.strerror or str(exc) or type(exc).__name__
        message = f"cannot write the file ({reason}); {_ANOTHER_FOLDER}"
    return OutputError(p, message, code)


@contextlib.contextmanager
def _os_errors_as_output_errors(p: Path) -> Iterator[None]:
    try:
        yield
    except CareProfilesError:  # OutputExistsError is an OSError too: let it be
        raise
    except OSError as exc:
        raise _output_error(p, exc) from exc


def _refuse_what_is_there(p: Path, force: bool) -> None:
    """Refuse ``p`` if something is there that may not be replaced: a folder, a symbolic
    link, a device, a pipe or a socket (force or not), or a file (without ``force``)."""
    try:
        found = os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):
        return
    mode = found.st_mode
    if stat.S_ISREG(mode):
        if not force:
            raise OutputExistsError(p)
        return
    if stat.S_ISDIR(mode):
        raise OutputError(p, _MESSAGES[errno.EISDIR], errno.EISDIR)
    if stat.S_ISLNK(mode):
        try:
            target = f" (to {os.readlink(p)})"
        except OSError:  # pragma: no cover - it was a link a moment ago
            target = ""
        raise OutputError(
            p,
            f"is a symbolic link{target}; careprofiles neither writes through a link nor "
            "replaces it: give the path of the file itself, or remove the link",
            errno.ELOOP,
        )
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise OutputError(
        p,
        f"is {kind}, not a file; careprofiles writes only regular files and never replaces "
        "anything else, even when told to overwrite: give the name of a file",
        errno.EINVAL,
    )


def _temporary(p: Path) -> tuple[int, Path]:
    """A new temporary file beside ``p``, open, in careprofiles' own naming."""
    fd, name = tempfile.mkstemp(
        prefix=f".{p.name}.careprofiles-{os.getpid()}-{_HOST}-", suffix=".tmp", dir=p.parent
    )
    return fd, Path(name)


def _running(pid: int) -> bool:
    """Whether process ``pid`` (of this machine) may still be running."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill would end it; assume it runs, and wait for age
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _sweep(folder: Path) -> None:
    """Remove the temporary files that careprofiles runs, killed while writing, left in
    ``folder``: only files of careprofiles' naming, regular, this user's, and either
    written by a process of this machine that has ended, or older than
    :data:`STALE_AFTER`. Nothing that cannot be looked at or removed is an error."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        found = _TEMPORARY.fullmatch(entry.name)
        if found is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                continue
            if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
                continue
            ended = found["host"] == _HOST and not _running(int(found["pid"]))
            if ended or now - info.st_mtime > STALE_AFTER:
                os.unlink(entry.path)
        except OSError:
            continue


def check_writable(path: str | Path, force: bool) -> Path:
    """Refuse (before any work is done) to write ``path``: a folder, a symbolic link, a
    device, pipe or socket, an existing file (unless ``force``), or a place where no file
    can be created.

    A temporary file is created beside ``path`` and removed at once, so that the check
    finds what writing would (permission denied, a read-only file system, ...). Stale
    temporary files of killed runs are removed from the folder on the way.
    """
    p = Path(path)
    with _os_errors_as_output_errors(p):
        _refuse_what_is_there(p, force)
        if problem := _folder_problem(p):
            raise OutputError(p, problem[1], problem[0])
        _sweep(p.parent)
        with _interruptions_held():  # so that nothing comes between making and removing
            fd, probe = _temporary(p)
            os.close(fd)
            os.unlink(probe)
    return p


@contextlib.contextmanager
def _interruptions_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a temporary file is made and noted (or made and
    removed), so that an interruption cannot come between the two: it comes as soon as
    they are done.

    The signals' Python handlers are swapped for one that only notes them, and the noted
    signals are handed to the real handlers at the end. (Blocking the signals with
    ``pthread_sigmask`` is not enough: it blocks them in this thread only, and a process
    with other threads, as numpy's, Arrow's or Dask's make, has the signal delivered to
    one of those, after which Python runs the handler here all the same.) Only the main
    thread can have signal handlers; elsewhere signals do not interrupt, so nothing is
    needed.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: object) -> None:
        noted.append(signum)

    held = {signum: signal.signal(signum, note) for signum in _HELD_SIGNALS}
    try:
        yield
    finally:
        for held_signal, previous in held.items():
            signal.signal(held_signal, previous)
        for signum in dict.fromkeys(noted):
            handler = held[signal.Signals(signum)]
            if callable(handler):
                handler(signum, None)  # raises KeyboardInterrupt, or the CLI's own exception
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


_HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _fill(fd: int, tmp: Path, content: Content) -> None:
    """Write ``content`` to the new temporary file ``tmp`` (open as ``fd``)."""
    with os.fdopen(fd, "wb") as fh:
        if isinstance(content, str):
            for start in range(0, len(content), _CHUNK):
                fh.write(content[start : start + _CHUNK].encode("utf-8"))
        elif isinstance(content, bytes):
            fh.write(content)
    if callable(content):
        content(tmp)
    # mkstemp makes the file private (0600); give it the mode a new file would get
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


class OutputBatch:
    """The files written inside one :func:`all_or_none` block, waiting to be renamed
    into place together."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path, bool]] = []
        self.written: list[Path] = []
        """The files put in place, in the order they were written (after the block)."""

    def add(self, p: Path, content: Content, force: bool) -> None:
        """Write ``content`` to a temporary file for ``p``, to be renamed at the end."""
        if any(os.path.abspath(target) == os.path.abspath(p) for target, _, _ in self._pending):
            raise OutputError(p, "is written twice by one command; give each output its own name")
        entry: tuple[Path, Path, bool] | None = None
        with _os_errors_as_output_errors(p):
            try:
                with _interruptions_held():
                    fd, tmp = _temporary(p)
                    entry = (p, tmp, force)
                    self._pending.append(entry)
                _fill(fd, tmp, content)
            except BaseException:  # an error, or an interruption: no temporary file left
                if entry is not None:
                    self._pending.remove(entry)
                    with contextlib.suppress(OSError):
                        entry[1].unlink()
                raise

    def targets(self) -> list[Path]:
        """The files waiting to be put in place, in the order they were written."""
        return [target for target, _, _ in self._pending]

    def commit(self) -> None:
        """Rename every file into place; if one cannot be, remove those already renamed
        and the temporary files left, and raise."""
        done: list[Path] = []
        try:
            while self._pending:
                p, tmp, force = self._pending[0]
                with _os_errors_as_output_errors(p):
                    _refuse_what_is_there(p, force)  # what may have appeared while we worked
                    os.replace(tmp, p)
                self._pending.pop(0)
                done.append(p)
        except BaseException:
            for p in done:
                with contextlib.suppress(OSError):
                    p.unlink()
            self.discard()
            raise
        self.written.extend(done)

    def discard(self) -> None:
        """Remove the temporary files not yet renamed."""
        while self._pending:
            _, tmp, _ = self._pending.pop()
            with contextlib.suppress(OSError):
                tmp.unlink()


_BATCH: contextvars.ContextVar[OutputBatch | None] = contextvars.ContextVar(
    "careprofiles_output_batch", default=None
)


@contextlib.contextmanager
def all_or_none() -> Iterator[OutputBatch]:
    """A block whose :func:`write_atomic` files appear all together at its end, or (on
    an error, or an interruption, in the block) none of them does.

    Each file is written to its temporary file when :func:`write_atomic` is called; the
    renames wait for the end of the block. If a rename fails, the files already renamed
    are removed again. Inside another such block, the outer block decides.
    """
    outer = _BATCH.get()
    if outer is not None:
        yield outer
        return
    batch = OutputBatch()
    token = _BATCH.set(batch)
    try:
        yield batch
        batch.commit()
    except BaseException:
        batch.discard()
        raise
    finally:
        _BATCH.reset(token)


def write_atomic(path: str | Path, content: Content, force: bool = False) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder.

    ``content`` is text, bytes, or a function that writes a file at the path it is
    given. Either the whole file appears, or (on any error, or when the program is
    interrupted) nothing does; inside :func:`all_or_none`, the file appears at the end
    of the block. Raises :class:`OutputExistsError` for an existing file without
    ``force``, and :class:`OutputError` when the file cannot be written, or when
    ``path`` is a folder, a symbolic link, a device, a pipe or a socket (never replaced).
    """
    p = check_writable(path, force)
    with all_or_none() as batch:  # on its own, a batch of one
        batch.add(p, content, force)
    return p
