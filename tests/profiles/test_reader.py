"""The safe YAML reader: same values as PyYAML's safe_load, plus lines, and refusals."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

import careprofiles.profiles.reader as yaml_module
from careprofiles.errors import ProfileError, ValidationError
from careprofiles.profiles.reader import LineDict, LineList, line_of, read_yaml


def _read(tmp_path: Path, text: str, name: str = "f.yaml") -> tuple[LineDict, list[Any]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_yaml(path)


@pytest.fixture(params=["libyaml", "pure"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml's parser and with PyYAML's pure-Python one."""
    if request.param == "pure":
        monkeypatch.setattr(yaml_module, "_LOADER", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):  # pragma: no cover - depends on the install
        pytest.skip("PyYAML was built without libyaml")
    return str(request.param)


SCALARS = """\
plain: home
int: 42
negative: -7
float: 0.75
exponent: 1.0e+3
text_exponent: 1e3
underscored: 1_000
hex: 0x1F
octal: 0o17
yes_word: yes
no_word: No
on_word: on
true_word: true
tilde: ~
null_word: null
empty:
date: 2024-04-01
stamp: 2024-04-01 10:30:00
inf: .inf
minus_inf: -.Inf
single: 'quoted: text'
double: "with \\"escapes\\"\\t"
quoted_number: "0.5"
tagged_str: !!str 3
tagged_float: !!float 1
literal: |
  line one
  line two
folded: >
  folded
  text
multi_line_plain: first
  second
"""


def test_scalars_match_safe_load(tmp_path: Path, loader: str) -> None:
    data, problems = _read(tmp_path, SCALARS)
    assert problems == []
    assert data == yaml.safe_load(SCALARS)
    assert data["int"] == 42
    assert isinstance(data["int"], int)
    assert data["yes_word"] is True
    assert data["no_word"] is False
    assert data["tilde"] is None
    assert data["empty"] is None
    assert data["text_exponent"] == "1e3"  # YAML 1.1: text, which the models explain
    assert data["date"] == dt.date(2024, 4, 1)
    assert data["inf"] == math.inf
    assert data["tagged_str"] == "3"
    assert data["literal"] == "line one\nline two\n"


def test_nan_reads_as_nan(tmp_path: Path, loader: str) -> None:
    data, _ = _read(tmp_path, "a: .nan\n")
    assert math.isnan(data["a"])


def test_lines_of_keys_and_items(tmp_path: Path, loader: str) -> None:
    text = (
        "# a comment\n"  # 1
        "id: x\n"  # 2
        "services:\n"  # 3
        "  - id: a\n"  # 4
        "    staff:\n"  # 5
        "      - role: nurse\n"  # 6
        "        share: 0.5\n"  # 7
        "  - {id: b, setting: home}\n"  # 8
        "list: [1,\n"  # 9
        "  2]\n"  # 10
    )
    data, _ = _read(tmp_path, text)
    assert isinstance(data, LineDict)
    assert data.line == 2
    assert data.key_lines == {"id": 2, "services": 3, "list": 9}
    services = data["services"]
    assert isinstance(services, LineList)
    assert services.item_lines == [4, 8]
    assert line_of(data, ("services", 0, "staff", 0, "share")) == 7
    assert line_of(data, ("services", 1, "setting")) == 8
    assert line_of(data, ("list", 1)) == 10
    # a missing key or index gives the line of the nearest parent that exists
    assert line_of(data, ("services", 0, "staff", 0, "count")) == 6
    assert line_of(data, ("services", 5, "id")) == 3
    assert line_of(data, ()) == 2


def test_duplicate_keys_are_problems_not_overwrites(tmp_path: Path, loader: str) -> None:
    data, problems = _read(tmp_path, "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert data["a"] == 1
    assert data["b"]["c"] == 1
    assert [(p.line, p.where) for p in problems] == [(4, "b.c"), (5, "a")]
    assert "duplicate key 'c' (first on line 3)" in problems[0].message


def test_keys_that_are_not_text(tmp_path: Path, loader: str) -> None:
    data, problems = _read(tmp_path, "1: one\ntrue: yes\n? [a, b]\n: list key\n")
    assert data["1"] == "one"
    assert data["true"] is True
    assert len(problems) == 1
    assert "a key must be plain text" in problems[0].message


def test_anchors_and_merge_keys(tmp_path: Path, loader: str) -> None:
    text = (
        "base: &base {per_week: 1, minutes: 30}\n"
        "visit:\n"
        "  <<: *base\n"
        "  minutes: 45\n"
        "copy: *base\n"
        "many:\n"
        "  <<: [*base, {travel_minutes: 5}]\n"
        "same: &v 3\n"
        "again: *v\n"
    )
    data, problems = _read(tmp_path, text)
    assert problems == []
    assert data == yaml.safe_load(text)
    assert data["visit"] == {"per_week": 1, "minutes": 45}
    assert data["visit"].key_lines["per_week"] == 1  # from where the anchor wrote it
    assert data["many"] == {"per_week": 1, "minutes": 30, "travel_minutes": 5}


def test_bad_merge_and_unknown_alias(tmp_path: Path, loader: str) -> None:
    _, problems = _read(tmp_path, "a: &x 1\nb:\n  <<: *x\n")
    assert problems[0].line == 3
    assert "merge key" in problems[0].message
    with pytest.raises(ValidationError, match=r"\*nowhere names no anchor"):
        _read(tmp_path, "a: *nowhere\n", name="g.yaml")


def test_unsafe_tags_are_refused(tmp_path: Path, loader: str) -> None:
    with pytest.raises(ValidationError, match="is not allowed") as info:
        _read(tmp_path, "a: 1\nb: !!python/object/apply:os.system ['true']\n")
    assert info.value.problems[0].line == 2
    with pytest.raises(ValidationError, match="cannot read this value") as info:
        _read(tmp_path, "a: 1\nb: 2\nc: !!python/name:os.system ''\n", name="g.yaml")
    assert info.value.problems[0].line == 3
    with pytest.raises(ValidationError, match="is not allowed"):
        _read(tmp_path, "a: !!set {x, y}\n", name="h.yaml")


def test_several_documents_are_refused(tmp_path: Path, loader: str) -> None:
    with pytest.raises(ValidationError, match="more than one YAML document") as info:
        _read(tmp_path, "a: 1\n---\nb: 2\n")
    assert info.value.problems[0].line == 2


def test_impossible_dates_and_huge_numbers(tmp_path: Path, loader: str) -> None:
    with pytest.raises(ValidationError) as info:
        _read(tmp_path, "a: 1\nwhen: 2023-13-01\n")
    [problem] = info.value.problems
    assert problem.line == 2
    assert "a date is not a real date (month must be in 1..12)" in problem.message
    with pytest.raises(ValidationError, match="cannot read") as info:
        _read(tmp_path, "a: " + "9" * 5000 + "\n", name="big.yaml")
    assert info.value.problems[0].line == 1


def test_syntax_error_has_a_line(tmp_path: Path, loader: str) -> None:
    with pytest.raises(ValidationError, match="not valid YAML") as info:
        _read(tmp_path, "a: 1\n  b: 2\nc: 3\n")
    assert info.value.problems[0].line == 2


def test_error_class_is_the_one_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ProfileError, match="care profile is a YAML mapping"):
        read_yaml(path, error=ProfileError, what="care profile")


def test_document_marker_only_is_empty(tmp_path: Path, loader: str) -> None:
    with pytest.raises(ValidationError, match="the file is empty"):
        _read(tmp_path, "---\n")


def test_tabs_inside_text_are_fine(tmp_path: Path, loader: str) -> None:
    data, _ = _read(tmp_path, 'a: "x\\ty"\nb: "c\td"\n')
    assert data == {"a": "x\ty", "b": "c\td"}


def test_every_tab_indented_line_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        _read(tmp_path, "a:\n\tb: 1\n\tc: 2\n")
    assert [p.line for p in info.value.problems] == [2, 3]


def test_utf8_bom_is_accepted(tmp_path: Path, loader: str) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: Soins à domicile\n".encode())
    data, _ = read_yaml(path)
    assert data == {"name": "Soins à domicile"}


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    path.chmod(0)
    try:
        if path.stat().st_mode & 0o400 or _is_root():
            pytest.skip("running as root: the file stays readable")
        with pytest.raises(ValidationError, match="cannot read the file"):
            read_yaml(path)
    finally:
        path.chmod(0o600)


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


# --------------------------------------------------------------------------------------
# Whatever PyYAML's safe_dump writes, read_yaml reads as safe_load does
# --------------------------------------------------------------------------------------

keys = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30),
    st.dates(),
)
documents = st.dictionaries(
    keys,
    st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from([None, True, False]))
def test_round_trip_matches_safe_load(data: dict[str, Any], flow: bool | None) -> None:
    import tempfile

    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    if not data:
        return  # '{}' is a mapping with nothing in it: covered elsewhere
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.yaml"
        path.write_text(text, encoding="utf-8")
        got, problems = read_yaml(path)
    assert problems == []
    assert got == yaml.safe_load(text)


def _nesting_bound_by_hand(raw: bytes) -> int:
    """The bound computed plainly: the deepest running count of open brackets, plus
    the longest run of spaces and '-', '?', ':' markers at the start of a line."""
    text = raw.decode("utf-8-sig")
    depth = deepest = 0
    for byte in raw:
        depth += {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}.get(byte, 0)
        deepest = max(deepest, depth)
    block = max(len(line) - len(line.lstrip(" -?:")) for line in text.split("\n"))
    return deepest + block


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list(" -?:[]{}\n\r\ta#é'\"")), max_size=60),
    st.booleans(),
)
def test_nesting_bound(text: str, bom: bool) -> None:
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    assert yaml_module._nesting_bound(raw) == _nesting_bound_by_hand(raw)


# --------------------------------------------------------------------------------------
# Refusals that name their line (issue 16)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [
        ("a: 1\nb: x\x01y\n", 2, "#x0001"),
        ("a: ééé\nb: [1, 2]\nc: '\x07'\n", 3, "#x0007"),
        ("a: 1\n\nb: 2\n# \x00\n", 4, "#x0000"),
        ("\x1b: 1\n", 1, "#x001b"),
    ],
)
def test_a_control_character_is_refused_at_its_line(
    tmp_path: Path, loader: str, text: str, line: int, code: str
) -> None:
    with pytest.raises(ValidationError) as info:
        _read(tmp_path, text)
    (problem,) = info.value.problems
    assert problem.line == line
    assert code in problem.message
    assert "\n" not in str(info.value)
    assert "escape" in problem.message  # says how to write one that is wanted


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: " + "[" * 1200 + "]" * 1200 + "\n", 2),
        ("a: 1\nb:\n  c: {x: " + "[" * 1100 + "]" * 1100 + "}\nd: 2\n", 3),
        ("a: 1\nb:\n" + "".join(" " * i + "- x\n" for i in range(0, 1100, 2)), 552),
        ("a:\n" + " " * 1200 + "b: 1\nc: 2\n", 2),
    ],
    ids=["flow", "flow-in-block", "block-list", "indentation"],
)
def test_nesting_too_deep_is_refused_at_its_deepest_line(
    tmp_path: Path, text: str, line: int
) -> None:
    with pytest.raises(ValidationError, match="nested too deeply") as info:
        _read(tmp_path, text)
    assert info.value.problems[0].line == line


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" -?:[]{}\nab")), max_size=80), st.booleans())
def test_the_deepest_line_is_a_line_of_the_file(text: str, bom: bool) -> None:
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    line = yaml_module._deepest_line(raw)
    assert 1 <= line <= raw.count(b"\n") + 1


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_the_size_limit_holds_while_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc files say they are empty (st_size 0): the limit is kept while reading."""
    monkeypatch.setattr(yaml_module, "MAX_BYTES", 20)
    with pytest.raises(ValidationError) as info:
        read_yaml("/proc/self/status")
    assert info.value.problems[0].code == "too-large"
