"""Reading the archive: search, provenance, exports of records, re-crawl plans, changes, stats.

Nothing here writes (a writer's pending batch is committed first where a crawl reads its
own writes); every method works on a read-only archive (``Archive(path, read_only=True)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from archive.store import ArchiveError, Store


class Queries(Store):
    """The reading half of the archive."""

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Reports whose title, organ or text contains ``query``.

        The trigram index answers queries of 3+ characters; shorter ones (two-character
        Chinese words are common) fall back to a scan.
        """
        columns = (
            "SELECT reports.id AS report_id, reports.document_id, reports.title,"
            " reports.organ, reports.report_year, reports.parser_version"
        )
        if len(query) >= 3:
            sql = (
                f"{columns} FROM report_text_fts"
                " JOIN reports ON reports.id = report_text_fts.rowid"
                " WHERE report_text_fts MATCH ? ORDER BY rank LIMIT ?"
            )
            params: tuple[Any, ...] = (_fts_phrase(query), limit)
        else:
            sql = (
                f"{columns} FROM report_text JOIN reports ON reports.id = report_text.report_id"
                " WHERE instr(COALESCE(report_text.title, '') || ' '"
                " || COALESCE(report_text.organ, '') || ' ' || report_text.text, ?) > 0"
                " ORDER BY reports.id LIMIT ?"
            )
            params = (query, limit)
        return list(self.query(sql, params))

    # -- reading back -------------------------------------------------------------

    def provenance(self, report_id: int) -> dict[str, Any]:
        """The chain behind one report: document, fetch, body, crawl run, parser version."""
        row = self.one(
            "SELECT reports.id AS report_id, reports.parser_version, reports.parsed_at,"
            " documents.id AS document_id, documents.url AS document_url,"
            " fetches.id AS fetch_id, fetches.url, fetches.final_url, fetches.fetched_at,"
            " fetches.status, bodies.sha256, bodies.size, crawl_runs.id AS run_id,"
            " crawl_runs.code_version, crawl_runs.started_at AS run_started_at"
            " FROM reports"
            " JOIN documents ON documents.id = reports.document_id"
            " JOIN fetches ON fetches.id = reports.fetch_id"
            " JOIN bodies ON bodies.sha256 = reports.sha256"
            " JOIN crawl_runs ON crawl_runs.id = reports.run_id"
            " WHERE reports.id = ?",
            (report_id,),
        )
        if row is None:
            raise ArchiveError(f"report {report_id} has a broken provenance chain or none")
        return row

    def export_records(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """The newest parse of every document's newest body, as ``report-schema.md`` records."""
        sql = (
            "SELECT current.record, documents.url, documents.status, documents.version,"
            " documents.first_seen, documents.last_seen, documents.attachment_of,"
            " fetches.final_url, fetches.fetched_at, fetches.content_type, current.sha256"
            " FROM current"
            " JOIN documents ON documents.id = current.document_id"
            " JOIN fetches ON fetches.id = current.fetch_id"
        )
        params: tuple[Any, ...] = ()
        if kind:
            sql += " WHERE current.kind = ?"
            params = (kind,)
        sql += " ORDER BY documents.id"
        for row in self.query(sql, params):
            record = json.loads(row["record"])
            record["source"] = {
                "url": row["url"],
                "final_url": row["final_url"],
                "fetched_at": row["fetched_at"],
                "sha256": row["sha256"],
                "content_type": row["content_type"],
                "attachment_of": row["attachment_of"],
            }
            record["status"] = row["status"]
            record["version"] = row["version"]
            record["first_seen"] = row["first_seen"][:10]
            record["last_seen"] = row["last_seen"][:10]
            yield record

    def known_documents(self, portal_code: str | None = None) -> list[dict[str, Any]]:
        """Documents to revalidate on a re-crawl: URL, validators of the newest body, when last seen."""
        sql = ("SELECT d.url, d.portal_code, d.status, d.kind, d.last_seen, d.attachment_of, d.sha256,"
               " f.content_type, f.etag, f.last_modified,"
               # the page whose link led to it last (its list): where its absence can be seen
               " (SELECT json_extract(r.request_headers, '$.Referer') FROM fetches r WHERE r.url = d.url"
               "  AND json_extract(r.request_headers, '$.Referer') IS NOT NULL ORDER BY r.id DESC LIMIT 1) AS listed_on"
               " FROM documents d LEFT JOIN fetches f ON f.id = d.last_fetch_id WHERE d.status = 'live'")
        params: tuple[Any, ...] = ()
        if portal_code is not None:
            sql += " AND d.portal_code = ?"
            params = (portal_code,)
        return list(self.query(sql, params))

    def stored_pages(self, portal_codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The newest stored 2xx body of every URL fetched without a redirect, with its validators."""
        self.flush()
        rows = self.query(
            "SELECT url, etag, last_modified, sha256, content_type, portal_code FROM fetches"
            " WHERE id IN (SELECT MAX(id) FROM fetches WHERE sha256 IS NOT NULL AND status BETWEEN 200 AND 299"
            " AND final_url = url GROUP BY url)")
        wanted = set(portal_codes) if portal_codes is not None else None
        return [row for row in rows if wanted is None or row["portal_code"] in wanted]

    def changes(self, since: str, kinds: tuple[str, ...] = ("report", "image_only")) -> dict[str, list[dict[str, Any]]]:
        """New, changed, gone and moved documents of ``kinds`` since ``since`` (an ISO date or time)."""
        self.flush()
        marks = ", ".join("?" * len(kinds))
        moved_here = "SELECT moved_to_id FROM documents WHERE moved_to_id IS NOT NULL"
        return {
            "new": list(self.query(
                f"SELECT url, kind, organ, report_year, first_seen FROM documents WHERE first_seen >= ?"
                f" AND kind IN ({marks}) AND status = 'live' AND id NOT IN ({moved_here}) ORDER BY url",
                (since, *kinds))),
            "changed": list(self.query(
                f"SELECT d.url, d.kind, d.organ, d.report_year, b.first_seen AS changed_at, d.version"
                f" FROM document_bodies b JOIN documents d ON d.id = b.document_id"
                f" WHERE b.first_seen >= ? AND d.kind IN ({marks}) AND b.first_seen > d.first_seen ORDER BY d.url",
                (since, *kinds))),
            "gone": list(self.query(
                f"SELECT url, kind, organ, report_year, last_seen, gone_at, gone_evidence FROM documents"
                f" WHERE status = 'gone' AND gone_at >= ? AND kind IN ({marks}) ORDER BY url", (since, *kinds))),
            "moved": list(self.query(
                f"SELECT d.url AS from_url, n.url AS to_url, d.kind, d.organ, d.report_year, d.moved_at"
                f" FROM documents d JOIN documents n ON n.id = d.moved_to_id"
                f" WHERE d.status = 'moved' AND d.moved_at >= ? AND d.kind IN ({marks}) ORDER BY d.url",
                (since, *kinds))),
        }

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts: portals by status, documents by kind, reports by year and level, checks failed."""

        def counts(sql: str) -> dict[str, int]:
            return {
                str(name if name is not None else "(none)"): count
                for name, count in self.conn.execute(sql)
            }

        return {
            "portals by status": counts(
                "SELECT status, COUNT(*) FROM portals GROUP BY status ORDER BY status"
            ),
            "documents by kind": counts(
                "SELECT kind, COUNT(*) FROM documents GROUP BY kind ORDER BY kind"
            ),
            "reports by year and level": counts(
                "SELECT COALESCE(report_year, '?') || ' ' || COALESCE(organ_level, '?'),"
                " COUNT(*) FROM current WHERE kind = 'report'"
                " GROUP BY report_year, organ_level ORDER BY report_year, organ_level"
            ),
            "checks failed": counts(
                "SELECT report_checks.name, COUNT(*) FROM report_checks"
                " JOIN current ON current.id = report_checks.report_id"
                " WHERE report_checks.ok = 0 GROUP BY report_checks.name ORDER BY 1"
            ),
        }


def _fts_phrase(query: str) -> str:
    """Quote the query as one FTS5 phrase so punctuation cannot break the syntax."""
    return '"' + query.replace('"', '""') + '"'
