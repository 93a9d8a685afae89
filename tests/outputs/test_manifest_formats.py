"""The manifest builder and the formats that carry it (outputs/manifest*.py), on their own."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from careprofiles.errors import CareProfilesError
from careprofiles.outputs.manifest import (
    build_manifest,
    file_sha256,
    input_path,
    manifest_time,
    resolve_input,
)
from careprofiles.outputs.manifest_formats import figures, read_manifest, with_manifest
from careprofiles.outputs.tables import to_json
from careprofiles.resources import bundled_tariff


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_bytes(b"code,unit,cost,price_year\n")
    assert file_sha256(f) == hashlib.sha256(b"code,unit,cost,price_year\n").hexdigest()
    big = tmp_path / "big"
    big.write_bytes(b"x" * (3 << 20) + b"y")  # more than one read
    assert file_sha256(big) == hashlib.sha256(b"x" * (3 << 20) + b"y").hexdigest()


def test_the_time_is_source_date_epoch_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    assert manifest_time() == dt.datetime(1970, 1, 2, tzinfo=dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1.5")
    with pytest.raises(CareProfilesError, match=r"SOURCE_DATE_EPOCH: '1\.5' is not a time"):
        manifest_time()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = dt.datetime.now(dt.UTC)
    assert abs((manifest_time() - now).total_seconds()) < 5


def test_inputs_in_order_once_each_with_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    outside = tmp_path / "b.csv"
    outside.write_text("b\n", encoding="utf-8")
    Path("a.yaml").write_text("a\n", encoding="utf-8")
    manifest = build_manifest(
        [("pathway", "a.yaml"), ("tariff", outside), ("tariff", bundled_tariff()), ("x", "a.yaml")],
        ["cost", str(outside), f"--tariff={outside}", "-o", "c.json"],
        seed=3,
        draws=10,
        price_year="2024/25",
    )
    assert [(f["role"], f["name"], f["path"]) for f in manifest["inputs"]] == [
        ("pathway", "a.yaml", "a.yaml"),
        ("tariff", "b.csv", "../b.csv"),
        ("tariff", "bundled national tariff 2024/25", "bundled:tariffs/national-2024-25.csv"),
    ]
    assert manifest["inputs"][1]["sha256"] == hashlib.sha256(b"b\n").hexdigest()
    assert manifest["command"] == [
        "careprofiles",
        "cost",
        "../b.csv",
        "--tariff=../b.csv",
        "-o",
        "c.json",
    ]
    assert (manifest["seed"], manifest["draws"], manifest["price_year"]) == (3, 10, "2024/25")
    assert manifest["time"] == "1970-01-01T00:00:00Z"
    assert str(tmp_path) not in json.dumps(manifest)
    assert resolve_input(input_path(bundled_tariff())) == bundled_tariff()


MANIFEST = {
    "careprofiles": "0.1.0",
    "command": ["careprofiles", "cost", "--x=<b>&-->"],
    "inputs": [{"role": "tariff", "name": "t.csv", "path": "t.csv", "sha256": "ab" * 32}],
    "price_year": "2024/25",
    "seed": None,
    "draws": None,
    "python": "3.11",
    "numpy": "2",
    "pandas": "2",
    "time": "2023-11-14T22:13:20Z",
}


def test_json_keeps_its_text_and_gains_a_last_key(tmp_path: Path) -> None:
    text = to_json({"total": 1.5, "lines": [{"a": 1}, {"a": 2}]})
    out = with_manifest(text, "json", MANIFEST)
    assert isinstance(out, str)
    assert out.startswith(text[: text.rindex("\n}")])
    assert json.loads(out) == {"total": 1.5, "lines": [{"a": 1}, {"a": 2}], "manifest": MANIFEST}
    assert out == to_json({**json.loads(text), "manifest": MANIFEST})  # as to_json writes it
    path = tmp_path / "c.json"
    path.write_text(out, encoding="utf-8")
    assert read_manifest(path) == MANIFEST
    assert figures(path) == json.loads(text)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_markdown_and_html_give_the_manifest_back_and_leave_it_out(
    tmp_path: Path, fmt: str
) -> None:
    page = (
        "# Title\n\nBody.\n" if fmt == "md" else "<html><body><main><p>x</p></main></body></html>\n"
    )
    out = with_manifest(page, fmt, MANIFEST)
    assert isinstance(out, str)
    assert "-->" not in out.split("careprofiles-manifest", 1)[1].split(" -->", 1)[0]
    path = tmp_path / f"d.{fmt}"
    path.write_text(out, encoding="utf-8")
    assert read_manifest(path) == MANIFEST
    assert figures(path) == (page.rstrip() + "\n\n" if fmt == "md" else page)
    assert "ab" * 32 in out  # the inputs' hashes, readable


def test_a_file_without_a_manifest_has_none(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}\n', encoding="utf-8")
    assert read_manifest(path) is None
    (tmp_path / "x.json.manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    assert read_manifest(path) == MANIFEST  # the one beside it


def test_a_pdf_is_compared_without_its_creation_date(tmp_path: Path) -> None:
    one, two = tmp_path / "a.pdf", tmp_path / "b.pdf"
    one.write_bytes(b"%PDF-1.4 /CreationDate (D:20231114221320Z) /Producer (x)")
    two.write_bytes(b"%PDF-1.4 /CreationDate (D:20231114221321Z) /Producer (x)")
    assert figures(one) == figures(two)
    two.write_bytes(b"%PDF-1.4 /CreationDate (D:20231114221321Z) /Producer (y)")
    assert figures(one) != figures(two)


def test_a_long_manifest_fills_more_than_one_workbook_cell(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    from openpyxl import Workbook, load_workbook

    many = [
        {
            "role": "activity",
            "name": f"part-{i}.parquet",
            "path": f"d/part-{i}.parquet",
            "sha256": f"{i:064x}",
        }
        for i in range(600)
    ]  # about 70,000 characters
    manifest = {**MANIFEST, "inputs": many}

    def sheet(path: Path) -> None:
        book = Workbook()
        book.active.append(["total", 1.5])
        book.save(path)

    writer = with_manifest(sheet, "xlsx", manifest)
    assert callable(writer)
    path = tmp_path / "w.xlsx"
    writer(path)
    assert read_manifest(path) == manifest
    book = load_workbook(path, read_only=True)
    try:
        row = next(
            r for r in book["About"].iter_rows(values_only=True) if r[0] == "manifest (JSON)"
        )
    finally:
        book.close()
    assert len([c for c in row[1:] if c]) == 3
    assert max(len(c) for c in row[1:] if c) <= 32_767
    assert figures(path) == {"Sheet": [("total", 1.5)]}
