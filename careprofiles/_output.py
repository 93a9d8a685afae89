"""Writing output files: atomically, and never over an existing file without ``force``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from careprofiles.errors import CareProfilesError, OutputExistsError, display_path

__all__ = ["check_writable", "write_atomic"]


def check_writable(path: str | Path, force: bool) -> Path:
    """Refuse (before any work is done) to overwrite ``path`` unless ``force``."""
    p = Path(path)
    if p.exists() and not force:
        raise OutputExistsError(
            f"{display_path(p)}: the file exists already; use --force to overwrite it"
        )
    if p.exists() and p.is_dir():
        raise OutputExistsError(f"{display_path(p)}: is a folder; give a file name")
    if not p.parent.exists():
        raise CareProfilesError(
            f"{display_path(p)}: the folder {display_path(p.parent)} does not exist; "
            "create it first"
        )
    return p


def write_atomic(
    path: str | Path, content: str | bytes | Callable[[Path], None], force: bool = False
) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder.

    ``content`` is text, bytes, or a function that writes a file at the path it is
    given. Either the whole file appears, or (on any error) nothing does.
    """
    p = check_writable(path, force)
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
            raise OutputExistsError(
                f"{display_path(p)}: the file exists already; use --force to overwrite it"
            )
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return p
