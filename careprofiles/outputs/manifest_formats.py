"""Where each output format carries its manifest, and reading it back.

Inside the file where the format has a place for it: JSON a ``manifest`` key; Markdown
and HTML a closing "About this document" section (with the manifest itself in a comment);
a workbook an "About" sheet; a Word document its core properties (the manifest in
*comments*) and a final "About this document" section. Any other file (CSV, plain text,
PNG ...) has it beside it, in ``FILE.manifest.json`` (:func:`sidecar_path`).

Workbooks and Word documents are ZIP files: their members are dated, and their core
properties give the times created and modified; all of them are set to the manifest's
time, so that with ``SOURCE_DATE_EPOCH`` set the same work gives the same bytes.

:func:`figures` reads an output's content without its manifest, for ``careprofiles
verify`` to compare a fresh run with.

Imports: errors, outputs.files (Content), outputs.tables, outputs.documents,
outputs.manifest; openpyxl and python-docx where those formats are read or written.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from careprofiles.errors import CareProfilesError
from careprofiles.outputs.documents import append_markdown, markdown_to_html_fragment
from careprofiles.outputs.files import Content
from careprofiles.outputs.manifest import (
    ABOUT_HEADING,
    manifest_lines,
    manifest_markdown,
    sidecar_path,
)
from careprofiles.outputs.tables import to_json
from careprofiles.outputs.workbook_layout import SheetLayout, print_setup

__all__ = ["EMBEDDED", "figures", "read_manifest", "with_manifest"]

EMBEDDED = frozenset({"json", "md", "html", "xlsx", "docx"})
"""The formats that carry their manifest inside; the others have ``FILE.manifest.json``."""

ABOUT_SHEET = "About"
_JSON_ROW = "manifest (JSON)"
_CELL_CHARS = 32_000
_BEGIN = "<!-- careprofiles-about -->"
_END = "<!-- /careprofiles-about -->"
_COMMENT = re.compile(r"<!-- careprofiles-manifest (?P<json>.*?) -->", re.DOTALL)
_PDF_DATE = re.compile(rb"/CreationDate \(D:[^)]*\)")
_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def _compact(manifest: dict[str, Any]) -> str:
    """The manifest on one line, with nothing that could end a comment or a tag."""
    text = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _comment(manifest: dict[str, Any]) -> str:
    return f"<!-- careprofiles-manifest {_compact(manifest)} -->"


def with_manifest(content: Content, fmt: str, manifest: dict[str, Any]) -> Content:
    """``content`` (of an output in ``fmt``, one of :data:`EMBEDDED`) with ``manifest``
    inside it."""
    if fmt == "json" and isinstance(content, str):
        return _json_with(content, manifest)
    if fmt == "md" and isinstance(content, str):
        about = manifest_markdown(manifest)
        return f"{content.rstrip()}\n\n{_BEGIN}\n{about}\n{_comment(manifest)}\n{_END}\n"
    if fmt == "html" and isinstance(content, str):
        return _html_with(content, manifest)
    if fmt == "xlsx":
        return _zip_writer(content, lambda path: _add_about_sheet(path, manifest), manifest)
    if fmt == "docx":
        return _zip_writer(content, lambda path: _add_about_section(path, manifest), manifest)
    raise CareProfilesError(f"no place for a manifest in a {fmt} output")  # pragma: no cover


def _json_with(text: str, manifest: dict[str, Any]) -> str:
    """The JSON text with a last key ``manifest``; the text before it is left as it was."""
    body = text.rstrip()
    if body.endswith("}") and body != "{}":
        piece = "".join(to_json({"manifest": manifest}).rstrip()[1:-1].rstrip())
        return f"{body[:-1].rstrip()},{piece}\n}}\n"
    data = json.loads(text)
    if not isinstance(data, dict):
        data = {"result": data}
    data["manifest"] = manifest
    return to_json(data)


def _html_with(page: str, manifest: dict[str, Any]) -> str:
    about = (
        f'{_BEGIN}\n<section id="about-this-document">\n'
        f"{markdown_to_html_fragment(manifest_markdown(manifest))}"
        f"{_comment(manifest)}\n</section>\n{_END}\n"
    )
    for closing in ("</main>", "</body>"):
        at = page.rfind(closing)
        if at >= 0:
            return page[:at] + about + page[at:]
    return page.rstrip("\n") + "\n" + about


def _zip_writer(
    content: Content, add: Callable[[Path], None], manifest: dict[str, Any]
) -> Callable[[Path], None]:
    """A writer of ``content`` that then adds the manifest (``add``) and dates the ZIP."""
    when = dt.datetime.strptime(manifest["time"], "%Y-%m-%dT%H:%M:%SZ")

    def write(path: Path) -> None:
        if callable(content):
            content(path)
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            path.write_bytes(data)
        add(path)
        _date_zip(path, when)

    return write


def _add_about_sheet(path: Path, manifest: dict[str, Any]) -> None:
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    book = load_workbook(io.BytesIO(path.read_bytes()))  # openpyxl goes by the extension
    try:
        sheet = book.create_sheet(ABOUT_SHEET)
        sheet.append([ABOUT_HEADING])
        sheet["A1"].font = Font(bold=True)
        for what, value in manifest_lines(manifest):
            sheet.append([what, value])
        sheet.append([])
        sheet.append(["input", "file", "SHA-256", "path"])
        for row in sheet[sheet.max_row]:
            row.font = Font(bold=True)
        for f in manifest["inputs"]:
            sheet.append([f["role"], f["name"], f["sha256"], f["path"]])
        printed = sheet.max_row - 1  # the facts and the inputs; not the JSON row below
        sheet.append([])
        text = json.dumps(manifest, separators=(",", ":"))
        cells = [text[i : i + _CELL_CHARS] for i in range(0, len(text), _CELL_CHARS)]
        sheet.append([_JSON_ROW, *cells])  # a cell holds at most 32,767 characters
        for cells in sheet.iter_rows():
            for cell in cells:
                cell.data_type = "s"  # text, never a formula
        for letter, width in zip("ABCD", (16, 40, 66, 40), strict=True):
            sheet.column_dimensions[letter].width = width
        first = book.worksheets[0].oddHeader.left.text  # the page header the others have
        title = first.replace("&&", "&") if first else ABOUT_HEADING
        print_setup(sheet, sheet.max_row - 1, 4, title, SheetLayout(print_rows=printed))
        buffer = io.BytesIO()
        book.save(buffer)
        path.write_bytes(buffer.getvalue())
    finally:
        book.close()


def _add_about_section(path: Path, manifest: dict[str, Any]) -> None:
    import docx

    with open(path, "rb") as fh:
        document = docx.Document(fh)
    when = dt.datetime.strptime(manifest["time"], "%Y-%m-%dT%H:%M:%SZ")
    props = document.core_properties
    props.comments = (
        f"Made by careprofiles {manifest['careprofiles']} at {manifest['time']}: see "
        f"'{ABOUT_HEADING}'; check it with careprofiles verify"
    )[:255]
    props.created = props.modified = when
    props.last_modified_by = "careprofiles"
    props.version = str(manifest["careprofiles"])
    append_markdown(document, manifest_markdown(manifest, level=1))
    _attach_manifest(document, manifest)
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())


_CUSTOM_XML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
_PART_NAME = "/customXml/careprofiles-manifest.xml"
_XML_NS = "urn:careprofiles:manifest"


def _attach_manifest(document: Any, manifest: dict[str, Any]) -> None:
    """The manifest as a custom XML part of the document (core properties hold at most
    255 characters a field): Word keeps such parts and shows nothing of them."""
    from xml.sax.saxutils import escape

    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    text = escape(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")))
    blob = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<manifest xmlns="{_XML_NS}">{text}</manifest>\n'
    ).encode()
    part = Part(PackURI(_PART_NAME), "application/xml", blob, document.part.package)
    document.part.relate_to(part, _CUSTOM_XML)


def _document_manifest(path: Path) -> Any:
    import docx
    from docx.oxml import parse_xml  # python-docx's parser: no entities resolved

    with open(path, "rb") as fh:
        document = docx.Document(fh)
    for rel in document.part.rels.values():
        if (
            rel.reltype == _CUSTOM_XML
            and not rel.is_external
            and str(rel.target_part.partname) == _PART_NAME
        ):
            return json.loads(parse_xml(rel.target_part.blob).text or "")
    return None


def _date_zip(path: Path, when: dt.datetime) -> None:
    """Date every member of the ZIP file at ``path`` ``when`` (1980 at the earliest, as
    ZIP can), and its core properties' times too, in the members' order."""
    stamp = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(lambda m: m[1] + iso + m[3], data)
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            new.writestr(member, data)
    path.write_bytes(out.getvalue())


def read_manifest(path: str | Path) -> dict[str, Any] | None:
    """The manifest of the output at ``path``: beside it, or inside it (None when it has
    none). Raises :class:`CareProfilesError` when the file cannot be read as its kind."""
    p = Path(path)
    beside = sidecar_path(p)
    try:
        if beside.is_file():
            found: Any = json.loads(beside.read_text(encoding="utf-8"))
            return found if isinstance(found, dict) else None
        kind = p.suffix.lower().lstrip(".")
        if kind == "json":
            data = json.loads(p.read_text(encoding="utf-8"))
            found = data.get("manifest") if isinstance(data, dict) else None
        elif kind in ("md", "markdown", "html", "htm"):
            match = _COMMENT.search(p.read_text(encoding="utf-8"))
            found = json.loads(match["json"]) if match else None
        elif kind == "xlsx":
            found = _sheet_manifest(p)
        elif kind == "docx":
            found = _document_manifest(p)
        else:
            found = None
    except (OSError, ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise CareProfilesError(
            f"{p}: cannot read the file's manifest ({exc}); give a file careprofiles wrote"
        ) from None
    return found if isinstance(found, dict) else None


def _sheet_manifest(path: Path) -> Any:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    try:
        if ABOUT_SHEET not in book.sheetnames:
            return None
        for row in book[ABOUT_SHEET].iter_rows(values_only=True):
            if row and row[0] == _JSON_ROW:
                return json.loads("".join(str(c) for c in row[1:] if c is not None))
        return None
    finally:
        book.close()


def figures(path: str | Path) -> Any:
    """What an output holds, without its manifest: for JSON the data, for Markdown and
    HTML the text, for a workbook every sheet's cells, for a Word document its text and
    tables' text in order, for a PDF its bytes but its creation date, for any other file
    its bytes."""
    p = Path(path)
    kind = p.suffix.lower().lstrip(".")
    if kind == "json":
        data = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data.pop("manifest", None)
        return data
    if kind in ("md", "markdown", "html", "htm"):
        text = p.read_text(encoding="utf-8")
        return re.sub(f"{re.escape(_BEGIN)}.*?{re.escape(_END)}\n?", "", text, flags=re.DOTALL)
    if kind == "xlsx":
        return _sheet_cells(p)
    if kind == "docx":
        return _document_text(p)
    if kind == "pdf":  # a chart's creation time (now, unless SOURCE_DATE_EPOCH is set)
        return _PDF_DATE.sub(b"", p.read_bytes())
    return p.read_bytes()


def _sheet_cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    try:
        return {
            name: list(book[name].iter_rows(values_only=True))
            for name in book.sheetnames
            if name != ABOUT_SHEET
        }
    finally:
        book.close()


def _document_text(path: Path) -> list[str]:
    import docx

    with open(path, "rb") as fh:
        body = docx.Document(fh).element.body
    out: list[str] = []
    from docx.oxml.ns import qn

    for child in body.iterchildren():
        text = "".join(t.text or "" for t in child.iter(qn("w:t")))
        if child.tag.endswith("}p") and text == ABOUT_HEADING:
            break
        out.append(text)
    return out
