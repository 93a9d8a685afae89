"""How template files are read: Jinja's file loader, through the one bounded input reader.

:class:`TemplateLoader` finds a template (and each template it includes or extends) in
its search folders as Jinja's ``FileSystemLoader`` does, but reads it with
:func:`careprofiles.profiles.inputs.read_input_bytes`: a FIFO, device, folder or symbolic
link loop where a template should be is refused (never opened, so never waited on), as is
a template of more than :data:`TEMPLATE_MAX_BYTES` bytes or one that is not UTF-8, each
as a :class:`~careprofiles.errors.TemplateError` naming the file. :data:`TEMPLATE_DIR` is
where the shipped templates are, and :func:`template_name` how outputs name a template
file: a shipped one by its name, never by the path it is installed at.

Imports: errors, profiles.inputs; Jinja.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from careprofiles.errors import Problem, TemplateError, display_path
from careprofiles.profiles.inputs import input_name, read_input_bytes

__all__ = ["TEMPLATE_DIR", "TEMPLATE_MAX_BYTES", "TemplateLoader", "read_template", "template_name"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
"""The shipped specification templates."""
TEMPLATE_MAX_BYTES = 10 * 1024 * 1024
"""The largest template file read, in bytes."""


def template_name(path: str) -> str:
    """A template file as outputs name it: a shipped one as ``bundled template NAME``
    (``NAME`` as ``{% extends %}`` takes it), never by the path it is installed at; any
    other as error messages do (:func:`~careprofiles.errors.display_path`)."""
    try:
        shipped = Path(os.path.realpath(path)).parent == TEMPLATE_DIR
    except (OSError, ValueError):  # pragma: no cover - a path the loader has just read
        shipped = False
    return f"bundled template {Path(path).name}" if shipped else display_path(path)


def read_template(path: str) -> str:
    """The text of the template file ``path`` (a regular file, UTF-8, bounded in size)."""
    raw = read_input_bytes(
        path,
        "template file",
        TEMPLATE_MAX_BYTES,
        error=TemplateError,
        give="give the path of a template file (.md.j2 for Markdown, Word and HTML, or "
        ".html.j2 for HTML)",
    )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TemplateError(
            [Problem(input_name(path), line, "", "the file is not UTF-8 text; save it as UTF-8")]
        ) from None


class TemplateLoader(jinja2.FileSystemLoader):
    """Jinja's ``FileSystemLoader``, reading each template with :func:`read_template`."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            # posixpath, as Jinja's loader: no "drive:" or UNC part can leave the folder
            filename = posixpath.join(folder, *pieces)
            if os.path.lexists(filename):  # anything there, even a FIFO, is this template
                break
        else:
            raise jinja2.TemplateNotFound(template)
        contents = read_template(filename)
        mtime = os.path.getmtime(filename)

        def uptodate() -> bool:
            try:
                return os.path.getmtime(filename) == mtime
            except OSError:
                return False

        return contents, os.path.normpath(filename), uptodate
