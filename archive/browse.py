"""Browse the archive in Datasette, read-only, with the codebook as its metadata.

Two databases are served:

- ``archive``: the archive itself, opened read-only (``mode=ro``): every raw table,
  and full-text search of report text (``report_text``, trigram FTS).
- ``research``: a snapshot derived from it at start-up (never written back): ``reports``
  (one row per document's newest parse with province, year, level, kind and
  provenance, faceted), ``report_values`` (one row per printed cell, with its labels)
  and ``codebook``.

A small plugin serves the exact archived bytes at ``/-/ogi/body/<sha256>`` and links
every SHA-256 cell there; source URLs are links already.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from archive import codebook
from archive.db import Archive, decompress
from archive.export import METADATA_FIELDS, PROVENANCE_FIELDS, records, wide_row
from parsers import keys

ARCHIVE_DB = "archive"
RESEARCH_DB = "research"
BODY_ROUTE = "/-/ogi/body/"
PLUGIN_NAME = "ogi-archive-browse"
FACETS = ["province", "report_year", "organ_level", "kind"]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[Iterable[Any]], Iterable[Any]]


def build_research_db(db: Archive, path: Path, progress: Progress = iter) -> dict[str, int]:
    """Write the ``research`` snapshot of ``db`` to ``path`` (replacing it); return counts."""
    path.unlink(missing_ok=True)
    columns = [f.name for f in METADATA_FIELDS + PROVENANCE_FIELDS]
    out = sqlite3.connect(path)
    try:
        out.execute(
            "CREATE TABLE reports (" + ", ".join(
                f"[{name}] {'INTEGER PRIMARY KEY' if name == 'report_id' else ''}"
                for name in columns) + ")"
        )
        out.execute(
            "CREATE TABLE report_values (report_id INTEGER REFERENCES reports(report_id),"
            " key TEXT REFERENCES codebook([key]), label_zh TEXT, label_en TEXT,"
            " value NUMERIC, inferred INTEGER, PRIMARY KEY (report_id, key))"
        )
        entries = codebook.entries()
        out.execute(
            "CREATE TABLE codebook (" + ", ".join(
                f"[{name}] {'PRIMARY KEY' if name == 'column' else ''}"
                for name in asdict(entries[0])) + ")"
        )
        out.executemany(
            f"INSERT INTO codebook VALUES ({', '.join('?' * len(asdict(entries[0])))})",
            [tuple(asdict(e).values()) for e in entries],
        )
        counts = {"reports": 0, "values": 0}
        for record in progress(records(db)):
            row = wide_row(record)
            out.execute(
                f"INSERT INTO reports VALUES ({', '.join('?' * len(columns))})",
                [row[name] for name in columns],
            )
            inferred = set(record.get("inferred") or ())
            for key, value in (record.get("values") or {}).items():
                spec = keys.KEYS.get(key)
                out.execute(
                    "INSERT INTO report_values VALUES (?, ?, ?, ?, ?, ?)",
                    (row["report_id"], key, spec.label if spec else None,
                     spec.english if spec else None, value, int(key in inferred)),
                )
                counts["values"] += 1
            counts["reports"] += 1
        for table, index_columns in (("reports", FACETS), ("report_values", ["key"])):
            for column in index_columns:
                out.execute(f"CREATE INDEX {table}_{column} ON {table} ([{column}])")
        out.commit()
    finally:
        out.close()
    return counts


def metadata() -> dict[str, Any]:
    """Datasette metadata: titles, descriptions from the codebook, facets, search."""
    descriptions = codebook.column_descriptions()
    report_columns = [f.name for f in METADATA_FIELDS + PROVENANCE_FIELDS]
    return {
        "title": "ogi-archive: annual reports on government information disclosure",
        "description": "政府信息公开工作年度报告 of county and township governments: parsed"
                       " numbers with provenance, and the archived bytes they came from.",
        "databases": {
            RESEARCH_DB: {
                "description": "A read-only snapshot of the newest parse of every document,"
                               " built when `ogi serve` started.",
                "tables": {
                    "reports": {
                        "description": "One row per document (its newest parse). sha256 links"
                                       " to the archived bytes, source_url to the original.",
                        "columns": {c: descriptions[c] for c in report_columns},
                        "facets": FACETS,
                        "label_column": "title",
                    },
                    "report_values": {
                        "description": "One row per cell a report prints: key, labels as"
                                       " printed and in English, value, inferred (1 if implied"
                                       " by the checks rather than printed).",
                        "facets": ["key"],
                    },
                    "codebook": {
                        "description": "Every column of the exports (ogi codebook).",
                        "label_column": "label_en",
                    },
                },
            },
            ARCHIVE_DB: {
                "description": "The archive itself, opened read-only.",
                "tables": {
                    "report_text": {
                        "description": "Main text of every parse; search it (trigram"
                                       " full-text index: any 3+ characters).",
                        "fts_table": "report_text_fts",
                        "fts_pk": "report_id",
                    },
                    "reports": {"description": "Every parse of every body, per parser version.",
                                "facets": ["kind", "organ_level", "report_year",
                                           "parser_version"]},
                    "fetches": {"description": "Every HTTP exchange; sha256 links to the"
                                               " bytes received.",
                                "facets": ["status", "run_id"]},
                    "documents": {"description": "Each URL that held a report candidate.",
                                  "facets": ["kind", "status", "portal_code"]},
                    "portals": {"description": "The portal registry with each portal's"
                                               " last status.",
                                "facets": ["level", "province", "status"]},
                },
            },
        },
    }


# -- the Datasette plugin: archived bytes and links to them ----------------------------


async def archived_body(datasette, request):
    from datasette.utils.asgi import Response

    sha256 = request.url_vars["sha256"]
    database = datasette.get_database(ARCHIVE_DB)
    body_row = (await database.execute(
        "SELECT compression, compressed FROM bodies WHERE sha256 = ?", [sha256])).first()
    if body_row is None:
        return Response.text(f"no archived body with sha256 {sha256}", status=404)
    type_row = (await database.execute(
        "SELECT content_type FROM fetches WHERE sha256 = ? ORDER BY id DESC LIMIT 1",
        [sha256])).first()
    content_type = (type_row and type_row["content_type"]) or "application/octet-stream"
    return Response(
        decompress(body_row["compression"], body_row["compressed"]),
        content_type=content_type,
        # Archived pages may carry scripts: never run them in the archive's origin.
        headers={"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"},
    )


# Datasette hooks: this module is the plugin (registered once per process by make_datasette).


@hookimpl
def register_routes():
    return [(f"^{BODY_ROUTE}" + r"(?P<sha256>[0-9a-f]{64})$", archived_body)]


@hookimpl
def render_cell(value, column):
    if column == "sha256" and isinstance(value, str) and _SHA256.match(value):
        return Markup(f'<a href="{BODY_ROUTE}{escape(value)}">{escape(value[:12])}…</a>')
    return None


def make_datasette(archive_path: Path, research_path: Path):
    """A Datasette app over the archive (read-only) and its research snapshot."""
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import pm

    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(sys.modules[__name__], name=PLUGIN_NAME)
    datasette = Datasette(metadata=metadata(), settings={"default_page_size": 50})
    datasette.add_database(Database(datasette, path=str(research_path), is_mutable=False),
                           name=RESEARCH_DB)
    datasette.add_database(Database(datasette, path=str(archive_path), is_mutable=True),
                           name=ARCHIVE_DB)
    return datasette


def serve(archive_path: Path, research_path: Path, host: str, port: int,
          progress: Progress = iter) -> None:
    """Build the snapshot, then serve both databases until interrupted."""
    import uvicorn

    with Archive(archive_path) as db:
        build_research_db(db, research_path, progress)
    uvicorn.run(make_datasette(archive_path, research_path).app(), host=host, port=port,
                log_level="warning")
