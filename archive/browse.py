"""Browse the archive in Datasette, read-only, with the codebook as its metadata.

Two databases are served:

- ``archive``: the archive itself, opened read-only (``mode=ro``): every raw table,
  and full-text search of report text (``report_text``, trigram FTS).
- ``research``: a snapshot derived from it at start-up (never written back): ``reports``
  (one row per document's newest parse with province, year, level, kind and
  provenance, faceted), ``report_units`` (one row per organ and year), ``report_values``
  (one row per printed cell, with its labels), ``portals`` and ``codebook``; and the
  canned queries a transparency study starts from (``CANNED_QUERIES``: reports per county
  and year, late reports, failed checks, carried-over mismatches, missing years).

A small plugin opens the site on the research database, serves the exact archived bytes
at ``/-/ogi/body/<sha256>`` and links every SHA-256 cell there; source URLs are links
already.
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
from archive.research import REPORT_KINDS
from parsers import keys

ARCHIVE_DB = "archive"
RESEARCH_DB = "research"
BODY_ROUTE = "/-/ogi/body/"
PLUGIN_NAME = "ogi-archive-browse"
FACETS = ["province", "report_year", "organ_level", "kind", "table_format"]
PORTAL_COLUMNS = ("code", "name", "level", "province", "city", "url", "status")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[Iterable[Any]], Iterable[Any]]


# One row per report (one organ's report on one year): where the archive holds the same
# report at several URLs, the copy seen most recently, as in archive/research.py.
UNITS_VIEW = f"""
CREATE VIEW report_units AS
SELECT * FROM reports AS r
WHERE r.kind IN {REPORT_KINDS!r} AND r.organ IS NOT NULL AND r.report_year IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM reports AS o
    WHERE o.kind IN {REPORT_KINDS!r} AND o.organ = r.organ AND o.report_year = r.report_year
      AND (o.last_seen > r.last_seen
           OR (o.last_seen = r.last_seen AND o.document_id > r.document_id)))
"""

# The publication date of a report, else of the page its attachment hangs from.
_PUBLISHED = ("COALESCE(u.published_on, (SELECT page.published_on FROM reports AS page"
              " WHERE page.source_url = u.attachment_of))")
# Articles 49-50: a county government's own report by 31 March of the next year, every
# other organ's (departments, townships) by 31 January (archive.research.deadline).
_DEADLINE = ("(u.report_year + 1) || CASE u.organ_level WHEN 'county' THEN '-03-31'"
             " ELSE '-01-31' END")

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "reports_per_county_and_year": {
        "title": "Reports per county and year / 各县每年报告数",
        "description": "For each county (its own portal and its townships' portals) and"
                       " year reported on: how many organs published a report, and how many"
                       " documents hold one. A county missing from a year published nothing"
                       " the crawl could find.",
        "sql": """
SELECT substr(u.portal_code, 1, 6) AS county_code, county.name AS county,
       county.province, u.report_year,
       COUNT(DISTINCT u.organ) AS organs_reporting, COUNT(*) AS reports
FROM report_units AS u LEFT JOIN portals AS county ON county.code = substr(u.portal_code, 1, 6)
GROUP BY county_code, u.report_year
ORDER BY county.province, county_code, u.report_year""",
    },
    "late_reports": {
        "title": "Late reports / 逾期发布的年度报告",
        "description": "Reports published after the legal deadline (Regulations on Open"
                       " Government Information, Articles 49-50): a county government's own"
                       " report by 31 March of the following year, every other organ's by 31"
                       " January. The publication date is the report's own, else that of the"
                       " page it is attached to; reports without one are not listed.",
        "sql": f"""
SELECT u.report_id, u.organ, u.organ_level, u.report_year, {_PUBLISHED} AS published_on,
       {_DEADLINE} AS deadline,
       CAST(julianday({_PUBLISHED}) - julianday({_DEADLINE}) AS INTEGER) AS days_late,
       u.province, u.source_url, u.sha256
FROM report_units AS u
WHERE {_PUBLISHED} > {_DEADLINE}
ORDER BY u.report_year, u.organ""",
    },
    "reports_failing_a_check": {
        "title": "Reports failing a check / 未通过校验的报告",
        "description": "Reports whose printed numbers fail an arithmetic check of the"
                       " tables (totals, sums of blocks; see the codebook's checks column),"
                       " with the checks failed as name:scope. Reports whose organ or year"
                       " could not be read are listed too.",
        "sql": """
SELECT u.report_id, u.organ, u.organ_level, u.report_year, u.table_format,
       u.checks_failed, u.failed_checks, u.province, u.source_url, u.sha256
FROM reports AS u
WHERE u.kind = 'report' AND u.checks_failed > 0
  AND (u.organ IS NULL OR u.report_year IS NULL
       OR u.report_id IN (SELECT report_id FROM report_units))
ORDER BY u.report_year, u.organ""",
    },
    "carried_in_not_last_years_carried_out": {
        "title": "Carried in ≠ last year's carried out / 上年结转与上年度结转下年度不一致",
        "description": "Table 3: applications carried over from the previous year"
                       " (二、上年结转政府信息公开申请数量) that differ from the same organ's"
                       " previous report's applications carried over to the next year"
                       " (四、结转下年度继续办理), column by column (applicant type).",
        "sql": """
SELECT u.report_id, u.organ, u.organ_level, u.report_year,
       substr(now.key, length('t3.carried_in.') + 1) AS column_key,
       now.value AS carried_in, before.value AS previous_carried_out,
       previous.report_id AS previous_report_id, u.source_url, u.sha256
FROM report_units AS u
JOIN report_units AS previous
  ON previous.organ = u.organ AND previous.report_year = u.report_year - 1
     AND previous.kind = 'report'
JOIN report_values AS now ON now.report_id = u.report_id AND now.key LIKE 't3.carried_in.%'
JOIN report_values AS before
  ON before.report_id = previous.report_id
     AND before.key = 't3.carried_out.' || substr(now.key, length('t3.carried_in.') + 1)
WHERE u.kind = 'report' AND now.value != before.value
ORDER BY u.report_year, u.organ, now.key""",
    },
    "organs_without_a_report": {
        "title": "Organs with no report for a year / 某年未发布报告的机关",
        "description": "Organs that published a report on some year, missing for a year in"
                       " which other organs on the same portal did publish (so the portal"
                       " was read for that year).",
        "sql": """
WITH organs AS (SELECT DISTINCT portal_code, organ, organ_level FROM report_units),
     years AS (SELECT DISTINCT portal_code, report_year FROM report_units)
SELECT organs.portal_code, portals.name AS portal, organs.organ, organs.organ_level,
       years.report_year AS missing_year
FROM organs JOIN years ON years.portal_code IS organs.portal_code
LEFT JOIN portals ON portals.code = organs.portal_code
WHERE NOT EXISTS (SELECT 1 FROM report_units AS u WHERE u.organ = organs.organ
                  AND u.report_year = years.report_year)
ORDER BY organs.portal_code, organs.organ, missing_year""",
    },
}


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
        out.execute(f"CREATE TABLE portals ({', '.join(PORTAL_COLUMNS)}, PRIMARY KEY (code))")
        out.executemany(
            f"INSERT INTO portals VALUES ({', '.join('?' * len(PORTAL_COLUMNS))})",
            [tuple(row[c] for c in PORTAL_COLUMNS) for row in db.query(
                f"SELECT {', '.join(PORTAL_COLUMNS)} FROM portals")])
        out.execute(UNITS_VIEW)
        for table, index_columns in (("reports", FACETS + ["organ"]), ("report_values", ["key"])):
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
                "description_html": "A read-only snapshot of the newest parse of every"
                                    " document, built when <code>ogi serve</code> started."
                                    " Start from the queries below; the raw tables and"
                                    " full-text search are in the"
                                    f' <a href="/{ARCHIVE_DB}">{ARCHIVE_DB}</a> database.',
                "title": "Research database / 研究数据库",
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
                    "report_units": {
                        "description": "One row per report (one organ's report on one"
                                       " year): of copies at several URLs, the one seen most"
                                       " recently. The canned queries start from it.",
                        "columns": {c: descriptions[c] for c in report_columns},
                        "facets": FACETS,
                        "label_column": "title",
                    },
                    "portals": {"description": "The portal registry and each portal's last"
                                               " crawl status.",
                                "facets": ["level", "province", "status"]},
                },
                "queries": CANNED_QUERIES,
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


async def home(datasette):
    """The home page is the research database: its tables, facets and canned queries."""
    from datasette.utils.asgi import Response

    return Response.redirect(datasette.urls.database(RESEARCH_DB))


@hookimpl
def register_routes():
    return [(f"^{BODY_ROUTE}" + r"(?P<sha256>[0-9a-f]{64})$", archived_body), (r"^/$", home)]


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
