"""Writing output files: atomically, and never over an existing file without ``force``.

Every operating-system error on the way (a folder that is a file, permission denied, a
read-only file system, a full disk, ...) becomes an :class:`OutputError` that says what
is wrong and what to do, with the original error as its ``__cause__``.

Imports: errors only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from careprofiles.errors import CareProfilesError, OutputError, OutputExistsError, display_path

__all__ = ["check_writable", "write_atomic"]

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


def check_writable(path: str | Path, force: bool) -> Path:
    """Refuse (before any work is done) to write ``path``: a folder, an existing file
    (unless ``force``), or a place where no file can be created.

    A temporary file is created beside ``path`` and removed at once, so that the check
    finds what writing would (permission denied, a read-only file system, ...).
    """
    p = Path(path)
    with _os_errors_as_output_errors(p):
        if p.is_dir():
            raise OutputError(p, _MESSAGES[errno.EISDIR], errno.EISDIR)
        if p.exists() and not force:
            raise OutputExistsError(p)
        if problem := _folder_problem(p):
            raise OutputError(p, problem[1], problem[0])
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        os.close(fd)
        os.unlink(probe)
    return p


def write_atomic(
    path: str | Path, content: str | bytes | Callable[[Path], None], force: bool = False
) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder.

    ``content`` is text, bytes, or a function that writes a file at the path it is
    given. Either the whole file appears, or (on any error) nothing does. Raises
    :class:`OutputExistsError` for an existing file without ``force``, and
    :class:`OutputError` when the file cannot be written.
    """
    p = check_writable(path, force)
    with _os_errors_as_output_errors(p):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                if isinstance(content, str):
                    fh.write(content.encode("utf-8"))
                elif isinstance(content, bytes):
                    fh.write(content)
            if callable(content):
                content(tmp)
            # mkstemp makes the file private (0600); give it the mode a new file would get
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            if p.exists() and not force:  # appeared while we worked
                raise OutputExistsError(p)
            os.replace(tmp, p)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    return p
