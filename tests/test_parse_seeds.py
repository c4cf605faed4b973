"""The five real seed reports and the real PDF parse to exactly their expected values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import shared_path
from parsers import parse_document

SEEDS = sorted(shared_path("seeds").glob("*.txt"))
REALDATA = sorted(shared_path("realdata", "expected").glob("*.json"))


def _cases() -> list[tuple[Path, Path]]:
    cases = [(p, p.parent / "expected" / f"{p.stem}.json") for p in SEEDS]
    for expected in REALDATA:
        source = json.loads(expected.read_text())["source"]
        cases.append(((expected.parent / source).resolve(), expected))
    return cases


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    return {document.name: parse_document(document.read_bytes()) for document, _ in _cases()}


@pytest.mark.parametrize("document,expected_path", _cases(), ids=lambda p: p.name if isinstance(p, Path) else "")
def test_every_expected_value_and_field(parsed: dict, document: Path, expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text())
    record = parsed[document.name]
    assert record["kind"] == "report", record["reason"]
    for field in ("organ", "report_year", "published_on", "signed_on", "table_format"):
        assert record[field] == expected[field], field
    assert record["values"] == expected["values"]


@pytest.mark.parametrize("document,expected_path", _cases(), ids=lambda p: p.name if isinstance(p, Path) else "")
def test_no_value_invented_where_the_report_prints_none(parsed: dict, document: Path, expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text())["values"]
    record = parsed[document.name]
    for key in (k for k, v in expected.items() if v is None):
        assert record["values"][key] is None, key
        assert key not in record["inferred"]


def test_seed_002_short_rows_are_inferred_and_listed() -> None:
    seed = shared_path("seeds", "002_cc6fb69fbb02cb39.txt")
    record = parse_document(seed.read_bytes())
    assert "t3.carried_in.natural_person" in record["inferred"]
    # the tab line keeps its grid columns: the blank is natural_person, filled by the row sum
    assert "table 3 row carried_in: blank natural_person" in record["warnings"]
    assert "table 3 row handled_total: blank natural_person" in record["warnings"]
    assert all(c["ok"] is not False for c in record["checks"])
