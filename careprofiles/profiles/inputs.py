"""The one way an input file is opened: only regular files, and never more than a limit.

Every file careprofiles reads (pathway and stage files, tariffs and the other CSV tables,
scenario, header, standards and template files, activity and outcome records) goes
through this module first. :func:`read_input_bytes` reads a file's bytes and
:func:`check_input` checks a path that another library (pandas, pyarrow, Jinja) will open.
Both refuse, with a problem saying what the path is and what to give instead:

* what is not a regular file once symbolic links are followed: a folder (unless the
  format allows one), a FIFO (named pipe), a character or block device (``/dev/zero``),
  a socket. A FIFO is never opened for reading (that would wait for a writer for ever):
  the path is looked at with ``os.stat`` first, and opened with ``O_NONBLOCK``;
* a symbolic link loop, a symbolic link to nothing, and a file name holding a NUL byte;
* a file larger than its kind's limit: by its size before reading, and *while* reading
  (at most ``limit + 1`` bytes are ever read), since some files (under ``/proc``, or one
  still being written) say a size that is not theirs.

Each such problem has the code ``"not-a-file"`` (or ``"too-large"``), and is raised as
the error class of the caller's kind of file.

Imports: careprofiles.errors only.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from careprofiles.errors import Problem, ValidationError, display_path

__all__ = [
    "LINK_LOOP",
    "NOT_A_FILE",
    "TOO_LARGE",
    "Refusal",
    "a_what",
    "check_input",
    "input_name",
    "read_input_bytes",
    "refusal",
]

NOT_A_FILE = "not-a-file"
"""The code of a problem saying a path is not a regular file (or cannot name one)."""
TOO_LARGE = "too-large"
"""The code of a problem saying a file is larger than its kind of file may be."""

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check does not block
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a path cannot be read as an input file."""

    kind: str
    """``"missing"``, ``"nul"``, ``"loop"``, ``"dangling"``, ``"folder"``, ``"fifo"``,
    ``"device"``, ``"socket"``, ``"special"`` or ``"unreadable"``."""
    text: str
    """What the path is, to follow its name: ``is a FIFO (a named pipe), not a file``."""

    @property
    def code(self) -> str:
        """The problem code: ``""`` for a missing or unreadable file (as before), else
        :data:`NOT_A_FILE`."""
        return "" if self.kind in ("missing", "unreadable") else NOT_A_FILE


def a_what(what: str) -> str:
    """``what`` with its article: ``a tariff file``, ``an assessment file``."""
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def input_name(path: str | Path) -> str:
    """A path as users should read it (:func:`~careprofiles.errors.display_path`), with a
    NUL byte shown as ``\\0`` rather than written to the terminal."""
    text = os.fspath(path)
    if "\0" in text:
        return text.replace("\0", "\\0")
    return display_path(path)


LINK_LOOP = Refusal("loop", "is a symbolic link loop (its links lead back to themselves)")
"""A symbolic link loop, for callers that find one themselves (``Path.resolve``)."""
_NUL = Refusal("nul", "the file name holds a NUL byte, which no file name can")


def _os_refusal(path: str | Path, exc: OSError) -> Refusal:
    """The refusal for an error looking at or opening ``path``."""
    if exc.errno == errno.ELOOP:
        return LINK_LOOP
    if isinstance(exc, FileNotFoundError):
        try:
            is_link = os.path.islink(path)
            target = os.readlink(path) if is_link else ""
        except (OSError, ValueError):
            is_link = False
        if is_link:
            return Refusal("dangling", f"is a symbolic link to {target!r}, which does not exist")
        return Refusal("missing", "no such file")
    if isinstance(exc, IsADirectoryError):
        return Refusal("folder", "is a folder")
    return Refusal("unreadable", f"cannot read the file ({exc.strerror or exc})")


def _mode_refusal(mode: int, *, folder: bool) -> Refusal | None:
    """The refusal for a file of ``mode`` (from ``os.stat``), or None for one to read."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return None if folder else Refusal("folder", "is a folder")
    if stat.S_ISFIFO(mode):
        return Refusal("fifo", "is a FIFO (a named pipe), not a file")
    if stat.S_ISCHR(mode):
        return Refusal("device", "is a character device (such as /dev/zero), not a file")
    if stat.S_ISBLK(mode):
        return Refusal("device", "is a block device (a disk), not a file")
    if stat.S_ISSOCK(mode):
        return Refusal("socket", "is a socket, not a file")
    return Refusal("special", "is not a regular file")


def refusal(path: str | Path, *, folder: bool = False) -> Refusal | None:
    """Why ``path`` cannot be read as an input file, or None when it can: it is a regular
    file (or, with ``folder``, a folder), once symbolic links are followed.

    Looks at the path only (``os.stat``): a FIFO or device is not opened.
    """
    try:
        if "\0" in os.fspath(path):
            return _NUL
        mode = os.stat(path).st_mode
    except ValueError:  # pragma: no cover - NUL bytes are caught above
        return _NUL
    except OSError as exc:
        return _os_refusal(path, exc)
    return _mode_refusal(mode, folder=folder)


def _hint(found: Refusal, what: str, missing: str | None, give: str | None) -> str:
    if found.kind == "missing":
        return missing or f"no such file; check the path of this {what}"
    if found.kind == "unreadable":
        return found.text
    return f"{found.text}; {give or f'give the path of {a_what(what)}'}"


def check_input(
    path: str | Path,
    what: str,
    *,
    error: type[ValidationError] = ValidationError,
    folder: bool = False,
    missing: str | None = None,
    give: str | None = None,
) -> Path:
    """``path``, if it is a regular file (or, with ``folder``, a folder) to hand to a
    library that opens it itself; else raises ``error`` saying what it is.

    ``what`` names the kind of file ("tariff file"); ``missing`` replaces the message for
    a file that does not exist (default ``no such file; check the path of this WHAT``),
    ``give`` the hint after the others (default ``give the path of a WHAT``).
    """
    found = refusal(path, folder=folder)
    if found is not None:
        raise error(
            [Problem(input_name(path), None, "", _hint(found, what, missing, give), found.code)]
        )
    return Path(path)


def _too_large(size: int | None, limit: int, template: str | None) -> str:
    if size is not None and template is not None:
        return template.format(size=size, limit=limit)
    if size is not None:
        return f"the file is {size:,} bytes, more than the {limit:,} allowed; is it the right file?"
    return (
        f"the file holds more than the {limit:,} bytes allowed (more than its size said); "
        "is it the right file?"
    )


def read_input_bytes(
    path: str | Path,
    what: str,
    limit: int,
    *,
    error: type[ValidationError] = ValidationError,
    too_large: str | None = None,
    missing: str | None = None,
    give: str | None = None,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises ``error`` for a path that is not a regular file (as :func:`check_input`, whose
    ``what``, ``missing`` and ``give`` these are), and for a file of more than ``limit``
    bytes, found from its size or while reading it (never more than ``limit + 1`` bytes
    are read). ``too_large`` words a file whose size is known to be too large (a
    ``str.format`` template of ``{size}`` and ``{limit}``).
    """
    name = input_name(path)

    def fail(message: str, code: str) -> ValidationError:
        return error([Problem(name, None, "", message, code)])

    found = refusal(path)
    if found is not None:
        raise fail(_hint(found, what, missing, give), found.code)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        found = _os_refusal(path, exc)
        raise fail(_hint(found, what, missing, give), found.code) from None
    try:
        info = os.fstat(fd)
        found = _mode_refusal(info.st_mode, folder=False)
        if found is not None:  # swapped for something else since it was looked at
            raise fail(_hint(found, what, missing, give), found.code)
        if info.st_size > limit:
            raise fail(_too_large(info.st_size, limit, too_large), TOO_LARGE)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})", "") from None
    finally:
        os.close(fd)
    if left <= 0:
        raise fail(_too_large(None, limit, None), TOO_LARGE)
    return b"".join(chunks)
