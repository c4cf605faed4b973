"""Exports for researchers: JSONL records, and CSV or Parquet tables, wide or long.

- JSONL: one ``report-schema.md`` record per line (the newest parse of each document),
  with the archive's ``report_id``, ``document_id``, ``portal_code`` and ``province``.
- wide: one row per report, metadata and provenance columns first, then one column per
  canonical key of ``parsers/keys.py`` (``t3.new.total`` -> ``t3_new_total``). A key the
  report's template does not print is empty, like a cell printed blank; the long shape
  tells the two apart.
- long: one row per (report, key) the report prints: ``report_id, key, value, inferred``.

CSV is UTF-8 with a byte-order mark so that Excel on Chinese Windows reads it correctly.
Every function reads the archive only.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click

from archive.db import Archive
from parsers import keys

FORMATS = ("csv", "jsonl", "parquet")
SHAPES = ("wide", "long")
CSV_ENCODING = "utf-8-sig"  # the BOM tells Excel the file is UTF-8
LIST_SEPARATOR = "; "  # joins list fields (failed checks, inferred keys) in one cell

Progress = Callable[[Iterable[Any]], Iterable[Any]]


@dataclass(frozen=True)
class Field:
    """A non-key column of the tables: its name, type and what it means."""

    name: str
    type: str  # integer | decimal | text
    description: str


# What each of the record's metadata fields (``keys.RECORD_METADATA_FIELDS``, which decides
# which there are and in what order) means in the tables; a field added there without a
# description here fails at import.
RECORD_METADATA_DESCRIPTIONS: dict[str, Field] = {field.name: field for field in (
    Field("title", "text", "Title of the report as printed"),
    Field("organ", "text", "The administrative organ that published the report"),
    Field("organ_level", "text", "county, department, township or unknown"),
    Field("report_year", "integer", "The calendar year the report is about"),
    Field("published_on", "text", "Publication date (ISO), from the report or its page"),
    Field("signed_on", "text", "Date printed under the report (ISO)"),
    Field("table_format", "text", "Template of the tables: 2021 or 2019"),
)}
METADATA_FIELDS: tuple[Field, ...] = (
    Field("report_id", "integer", "Id of this parse in the archive's reports table"),
    Field("document_id", "integer", "Id of the document (one URL) in the archive"),
    Field("kind", "text", "report, not_report, image_only, unsupported or unreadable"),
    Field("status", "text", "live; gone once the URL answered 404/410, redirected away or left its list; "
                            "moved when the same bytes went live at a new URL"),
    *(RECORD_METADATA_DESCRIPTIONS[name] for name in keys.RECORD_METADATA_FIELDS),
    Field("portal_code", "text", "Division code of the portal the report was found on"),
    Field("province", "text", "Province of that portal"),
    Field("checks_failed", "integer", "Number of arithmetic checks the printed numbers fail"),
    Field("failed_checks", "text", "The failed checks as name:scope, '; '-separated"),
    Field("inferred_keys", "text", "Keys not printed but implied by the checks, '; '-separated"),
)
PROVENANCE_FIELDS: tuple[Field, ...] = (
    Field("parser_version", "text", "Version of the parser that produced this row"),
    Field("source_url", "text", "URL of the document"),
    Field("final_url", "text", "URL after redirects of the fetch that gave the bytes"),
    Field("fetched_at", "text", "When those bytes were fetched (UTC)"),
    Field("sha256", "text", "SHA-256 of the exact bytes parsed (the archive's bodies table)"),
    Field("content_type", "text", "Content-Type the bytes were served with"),
    Field("attachment_of", "text", "URL of the page that links this attachment"),
    Field("version", "integer", "Number of distinct bodies seen at this URL"),
    Field("first_seen", "text", "First day the document was seen (UTC)"),
    Field("last_seen", "text", "Last day the document was seen (UTC)"),
)
LONG_FIELDS: tuple[Field, ...] = (
    Field("report_id", "integer", "Id of the report (the report_id of the wide table)"),
    Field("key", "text", "Canonical key, as in the codebook"),
    Field("value", "decimal", "The number printed; empty where the cell is blank"),
    Field("inferred", "integer", "1 if not printed but implied with certainty by the checks"),
)


def column_name(key: str) -> str:
    """The wide-table column of a canonical key: ``t3.new.total`` -> ``t3_new_total``."""
    return key.replace(".", "_")


KEY_COLUMNS: dict[str, str] = {column_name(key): key for key in keys.KEYS}
WIDE_FIELDS: tuple[Field, ...] = METADATA_FIELDS + PROVENANCE_FIELDS + tuple(
    Field(column, keys.value_type(key), keys.KEYS[key].english)
    for column, key in KEY_COLUMNS.items()
)


@dataclass(frozen=True)
class Filters:
    """Keep only records matching every given field (any of its values); empty keeps all."""

    province: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    level: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    status: tuple[str, ...] = ()

    def keep(self, record: dict[str, Any]) -> bool:
        return all(
            not wanted or record.get(field) in wanted
            for field, wanted in (
                ("province", self.province),
                ("report_year", self.year),
                ("organ_level", self.level),
                ("kind", self.kind),
                ("status", self.status),
            )
        )


def records(
    db: Archive, filters: Filters = Filters(), progress: Progress = iter
) -> Iterator[dict[str, Any]]:
    """The newest parse of every document as a ``report-schema.md`` record, filtered.

    Adds ``report_id``, ``document_id``, ``portal_code`` and ``province`` (from the
    portal registry) to each record.
    """
    places = {
        row["url"]: row
        for row in db.query(
            "SELECT current.id AS report_id, current.document_id, documents.url,"
            " documents.portal_code, portals.province"
            " FROM current JOIN documents ON documents.id = current.document_id"
            " LEFT JOIN portals ON portals.code = documents.portal_code"
        )
    }
    kind = filters.kind[0] if len(filters.kind) == 1 else None
    for record in progress(db.export_records(kind=kind)):
        place = places.get(record["source"]["url"])
        if place is None:
            continue  # recorded by a crawl after this export began: the next export has it
        record.update(
            report_id=place["report_id"],
            document_id=place["document_id"],
            portal_code=place["portal_code"],
            province=place["province"],
        )
        if filters.keep(record):
            yield record


def failed_checks(record: dict[str, Any]) -> list[str]:
    """``name:scope`` of every check the record fails (blank terms are not failures)."""
    return [f"{c['name']}:{c['scope']}" for c in record.get("checks") or [] if c.get("ok") is False]


def wide_row(record: dict[str, Any]) -> dict[str, Any]:
    """One report as a row of the wide table (every key column present, maybe empty)."""
    source = record.get("source") or {}
    failed = failed_checks(record)
    row: dict[str, Any] = {
        "report_id": record["report_id"],
        "document_id": record["document_id"],
        "kind": record.get("kind"),
        "status": record.get("status"),
        **{name: record.get(name) for name in keys.RECORD_METADATA_FIELDS},
        "portal_code": record.get("portal_code"),
        "province": record.get("province"),
        "checks_failed": len(failed),
        "failed_checks": LIST_SEPARATOR.join(failed),
        "inferred_keys": LIST_SEPARATOR.join(record.get("inferred") or []),
        "parser_version": record.get("parser_version"),
        "source_url": source.get("url"),
        "final_url": source.get("final_url"),
        "fetched_at": source.get("fetched_at"),
        "sha256": source.get("sha256"),
        "content_type": source.get("content_type"),
        "attachment_of": source.get("attachment_of"),
        "version": record.get("version"),
        "first_seen": record.get("first_seen"),
        "last_seen": record.get("last_seen"),
    }
    values = record.get("values") or {}
    for column, key in KEY_COLUMNS.items():
        row[column] = values.get(key)
    return row


def long_rows(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per key the report prints, in the registry's order."""
    values = record.get("values") or {}
    inferred = set(record.get("inferred") or ())
    ordered = [key for key in keys.KEYS if key in values]
    ordered += sorted(set(values) - set(keys.KEYS))  # never drop a value, even unregistered
    for key in ordered:
        yield {
            "report_id": record["report_id"],
            "key": key,
            "value": values[key],
            "inferred": int(key in inferred),
        }


def table_rows(recs: Iterable[dict[str, Any]], shape: str) -> Iterator[dict[str, Any]]:
    if shape == "wide":
        yield from (wide_row(record) for record in recs)
    elif shape == "long":
        for record in recs:
            yield from long_rows(record)
    else:
        raise ValueError(f"unknown shape {shape!r}: choose one of {', '.join(SHAPES)}")


def fields_for(shape: str) -> tuple[Field, ...]:
    return WIDE_FIELDS if shape == "wide" else LONG_FIELDS


def write_jsonl(recs: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    count = 0
    for record in recs:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


# A spreadsheet reads a cell beginning with these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` so it shows as
    text; numbers (including negative ones) stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], fields: tuple[Field, ...], stream: IO[str]) -> int:
    """Rows to ``stream`` (opened with ``newline=''``); ``None`` becomes an empty cell and
    text that would be a formula is neutralised."""
    writer = csv.DictWriter(stream, fieldnames=[f.name for f in fields], lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({name: neutralised(value) for name, value in row.items()})
        count += 1
    return count


def _arrow_schema(fields: tuple[Field, ...]):
    import pyarrow as pa

    types = {"integer": pa.int64(), "decimal": pa.float64(), "text": pa.string()}
    return pa.schema(
        [
            pa.field(f.name, types[f.type], metadata={"description": f.description})
            for f in fields
        ]
    )


def write_parquet(
    rows: Iterable[dict[str, Any]], fields: tuple[Field, ...], path: Path,
    batch_rows: int = 5000,
) -> int:
    """Rows to a Parquet file with typed columns and each column's description."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(fields)
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def export(
    db: Archive,
    out: Path | str,
    output_format: str = "jsonl",
    shape: str = "wide",
    filters: Filters = Filters(),
    progress: Progress = iter,
) -> int:
    """Write one export file (``-`` is stdout for CSV and JSONL); return the rows written."""
    if output_format not in FORMATS:
        raise ValueError(f"unknown format {output_format!r}: choose one of {', '.join(FORMATS)}")
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: choose one of {', '.join(SHAPES)}")
    recs = records(db, filters, progress)
    if output_format == "parquet":
        if str(out) == "-":
            raise ValueError("Parquet cannot be written to stdout: give --out FILE")
        with _removed_if_unfinished(out):
            return write_parquet(table_rows(recs, shape), fields_for(shape), Path(out))
    if output_format == "jsonl" and shape != "wide":
        raise ValueError("JSONL holds whole records: --shape long is for csv and parquet")
    encoding = "utf-8" if output_format == "jsonl" else CSV_ENCODING
    with _removed_if_unfinished(out):
        stream, close = _open_text(out, encoding)
        try:
            if output_format == "jsonl":
                return write_jsonl(recs, stream)
            return write_csv(table_rows(recs, shape), fields_for(shape), stream)
        finally:
            close()


@contextlib.contextmanager
def _removed_if_unfinished(out: Path | str) -> Iterator[None]:
    """A file this export started and could not finish (a full disk) is removed, never left
    looking like a complete export."""
    try:
        yield
    except BaseException:
        if str(out) != "-" and Path(out).is_file():
            Path(out).unlink()
        raise


def _open_text(out: Path | str, encoding: str) -> tuple[IO[str], Callable[[], None]]:
    if str(out) == "-":
        # A pipe gets plain UTF-8: the BOM is for files that Excel opens.
        stream = click.open_file("-", "w", encoding="utf-8")
        return stream, stream.flush
    stream = open(out, "w", encoding=encoding, newline="")  # noqa: SIM115 - closed by caller
    return stream, stream.close
