"""A dataset release: the database, exports, codebook, a README of the crawl runs, and
SHA256SUMS (``sha256sum -c SHA256SUMS`` verifies it)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from archive import codebook
from archive.db import Archive, utc_now
from archive.store import sha256_file
from archive.export import Filters, export

SUMS = "SHA256SUMS"
REPORTS_ONLY = Filters(kind=("report",))
# (file, format, shape, filters, what it holds), in the order they are written
EXPORTS: tuple[tuple[str, str, str, Filters, str], ...] = (
    ("reports.csv", "csv", "wide", REPORTS_ONLY,
     "one row per report, one column per key (UTF-8 with BOM)"),
    ("values.csv", "csv", "long", REPORTS_ONLY, "one row per report and printed key"),
    ("reports.parquet", "parquet", "wide", REPORTS_ONLY, "reports.csv with typed columns"),
    ("values.parquet", "parquet", "long", REPORTS_ONLY, "values.csv with typed columns"),
    ("documents.jsonl", "jsonl", "wide", Filters(),
     "every document's newest parse, one report-schema record per line"),
)
DATABASE = "archive.db"
WARC = "archive.warc.gz"
CDXJ = "archive.cdxj"  # what archive.wacz.cdxj_path names the index of WARC

Progress = Callable[[Iterable[Any]], Iterable[Any]]


def copy_database(db: Archive, target: Path) -> None:
    """A consistent copy through SQLite's backup API (safe while a crawl writes)."""
    db.flush()
    copy = sqlite3.connect(target)
    try:
        db.conn.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()


def write_sums(directory: Path) -> Path:
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != SUMS)
    lines = [f"{sha256_file(p)}  {p.relative_to(directory).as_posix()}\n" for p in files]
    sums = directory / SUMS
    sums.write_text("".join(lines), encoding="utf-8")
    return sums


def verify_sums(directory: Path) -> list[str]:
    """Problems found checking ``SHA256SUMS`` (empty when every file matches)."""
    problems = []
    for line in (directory / SUMS).read_text(encoding="utf-8").splitlines():
        expected, name = line.split("  ", 1)
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != expected:
            problems.append(f"{name}: checksum differs")
    return problems


def readme(db: Archive, rows: dict[str, int], with_warc: bool) -> str:
    runs = list(db.query("SELECT * FROM crawl_runs ORDER BY id"))
    counts = db.stats()
    parsers = list(db.query(
        "SELECT parser_version, COUNT(*) AS n FROM current GROUP BY 1 ORDER BY 1"))
    lines = [
        "# ogi-archive dataset release",
        "",
        "Annual reports on government information disclosure (政府信息公开工作年度报告) of",
        "Chinese county and township governments: the archived bytes with provenance, and",
        "the numbers parsed from them.",
        "",
        f"Built {utc_now()[:19]}Z by `ogi bundle`. Verify with `sha256sum -c {SUMS}`.",
        "",
        "## Files",
        "",
        (f"- `{DATABASE}`: the SQLite archive (schema version {db.schema_version}):"
         " every fetch, every body (zlib, by SHA-256), documents, every parse."),
    ]
    lines += [f"- `{name}`: {what} ({rows[name]} rows)" for name, _, _, _, what in EXPORTS]
    lines += ["- `codebook.md`, `codebook.csv`: what every column means, from the key registry."]
    if with_warc:
        lines.append(f"- `{WARC}`: every HTTP exchange as WARC request/response/revisit records.")
        lines.append(f"- `{CDXJ}`: its CDXJ index (URL, time, digest, offset of each capture).")
    lines += ["", "## Crawl runs", "",
              "| run | started (UTC) | finished (UTC) | code version | worker | stats |",
              "|---|---|---|---|---|---|"]
    for run in runs:
        stats = json.loads(run["stats"]) if run["stats"] else {}
        summary = ", ".join(f"{k} {v}" for k, v in stats.items()) or "unfinished"
        lines.append(f"| {run['id']} (`{run['uid'][:8]}`) | {run['started_at']} |"
                     f" {run['finished_at'] or '—'} | `{run['code_version']}` |"
                     f" {run['worker'] or ''} | {summary} |")
    lines += ["", "Settings of each run:", ""]
    lines += [f"- run {run['id']}: `{run['settings']}`" for run in runs]
    lines += ["", "## Contents", ""]
    for section, section_counts in counts.items():
        listed = ", ".join(f"{name}: {count}" for name, count in section_counts.items())
        lines.append(f"- {section}: {listed or 'none'}")
    lines.append("- parser versions of the newest parses: " + ", ".join(
        f"`{row['parser_version']}` ({row['n']})" for row in parsers))
    lines += ["", "## Citing a number", "",
              "Every row carries `source_url`, `fetched_at` and `sha256`: the exact bytes",
              (f"are in `{DATABASE}` (table `bodies`) and re-parse with `ogi reparse --archive"
               f" {DATABASE} --url <source_url> --print`."), ""]
    return "\n".join(lines)


def bundle(
    db: Archive, directory: Path, with_warc: bool = False, progress: Progress = iter
) -> list[Path]:
    """Write a release into ``directory`` (new or empty); return the files written."""
    if directory.exists() and any(directory.iterdir()):
        raise ValueError(f"{directory} is not empty: a release goes into a new directory")
    directory.mkdir(exist_ok=True)  # its parent must exist: a mistyped path is refused, not created
    steps: list[tuple[str, Callable[[], Any]]] = [
        (DATABASE, partial(copy_database, db, directory / DATABASE))]
    steps += [(name, partial(export, db, directory / name, output_format, shape, filters))
              for name, output_format, shape, filters, _ in EXPORTS]
    steps.append(("codebook", partial(codebook.write, directory)))
    if with_warc:
        from archive.wacz import write_cdxj
        from archive.warc import write_warc

        steps.append((WARC, partial(write_warc, db, directory / WARC)))
        steps.append((CDXJ, partial(write_cdxj, directory / WARC, directory / CDXJ)))
    rows = {name: step() for name, step in progress(steps)}  # exports return their rows
    (directory / "README.md").write_text(readme(db, rows, with_warc), encoding="utf-8")
    write_sums(directory)
    return sorted(p for p in directory.iterdir() if p.is_file())
