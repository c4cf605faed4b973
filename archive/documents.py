"""Documents and their parses: the lifecycle of a document, the link that led to it, and
the one completion that turns a parser's record into the archived record.

A document is ``live`` while its URL serves it, ``gone`` once a fetch or a crawl shows it
is not served there any more, and ``moved`` when its bytes are live at another URL. Those
transitions are decided here only: ``observe_fetch`` (what one fetch says), ``mark_gone``
and ``mark_moved``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

import parsers
from archive.schema import DOCUMENT_LINKS, DOCUMENTS, REPORTS, insert_sql
from archive.store import ArchiveError, Store, utc_now

GONE_STATUSES = (404, 410)  # HTTP statuses that say a document is not served any more
NOT_MODIFIED = 304
RECORD_FIELDS_KEPT_OUT = ("text",)  # stored once, in report_text (searchable)
# A document's columns that follow the newest parse of its newest body.
SUMMARY_COLUMNS = ("kind", "reason", "title", "organ", "organ_level", "report_year")
DOCUMENT_INSERT = insert_sql("documents", (name for name in DOCUMENTS if name != "id"))
REPORT_INSERT_COLUMNS = tuple(name for name in REPORTS if name != "id")
REPORT_INSERT = insert_sql("reports", REPORT_INSERT_COLUMNS, conflict="IGNORE")
LINK_INSERT = insert_sql("document_links", DOCUMENT_LINKS, conflict="REPLACE")


@dataclass(frozen=True)
class Link:
    """What led the crawl to a document: the page it hangs from (``page_url``, None for one
    found in a list, whose list is its fetch's Referer), the text of the link to it and that
    page's title as the crawl read it."""

    page_url: str | None = None
    link_text: str | None = None
    page_title: str | None = None

    def __post_init__(self) -> None:
        for field in fields(self):  # an empty text says nothing: None
            if not getattr(self, field.name):
                object.__setattr__(self, field.name, None)

    @classmethod
    def of(cls, link: Link | dict[str, Any] | None) -> Link:
        if isinstance(link, Link):
            return link
        link = link or {}
        return cls(**{field.name: link.get(field.name) for field in fields(cls)})


class Documents(Store):
    """The document half of the archive (see the module docstring)."""

    # -- the lifecycle: live, gone, moved ------------------------------------------

    def observe_fetch(self, *, url: str, final_url: str | None, status: int | None, fetch_id: int,
                      at: str) -> None:
        """What one fetch of ``url`` says about the document known there.

        A 404/410 marks it gone; a 304 confirms it is still there; a redirect means it is
        not served at its address any more (and may have moved).
        """
        if status in GONE_STATUSES:
            self.mark_gone(url, f"HTTP {status} (fetch {fetch_id})", at=at)
        elif status == NOT_MODIFIED:
            self._write(
                "UPDATE documents SET status = 'live', last_seen = ?, gone_at = NULL,"
                " gone_evidence = NULL WHERE url = ?",
                (at, url),
            )
        elif final_url and final_url != url:
            self.mark_gone(url, f"redirects to {final_url} (fetch {fetch_id})", at=at)

    def mark_gone(self, url: str, evidence: str, at: str | None = None) -> bool:
        """Mark the live document at ``url`` gone, keeping when it was last seen and why
        (moved, if its bytes are live elsewhere).

        Nothing is deleted: its bodies and parses stay. Returns whether a document changed.
        """
        at = at or utc_now()
        document = self.one("SELECT id FROM documents WHERE url = ? AND status = 'live'", (url,))
        if document is None:
            return False
        self._write("UPDATE documents SET status = 'gone', gone_at = ?, gone_evidence = ? WHERE id = ?",
                    (at, evidence, document["id"]))
        self.mark_moved(document["id"], at)
        self._wrote()
        return True

    def mark_moved(self, document_id: int, at: str) -> bool:
        """A document no longer served at its URL whose bytes are live at another URL has moved.

        A report published at two URLs at once is not a move: both stay live. Returns
        whether the document was marked moved.
        """
        old = self.one("SELECT id, sha256, first_seen FROM documents WHERE id = ? AND status = 'gone'",
                       (document_id,))
        if old is None:
            return False
        new = self.one(
            "SELECT id FROM documents WHERE sha256 = ? AND id != ? AND status = 'live'"
            " AND first_seen >= ? ORDER BY first_seen DESC LIMIT 1",
            (old["sha256"], document_id, old["first_seen"]),
        )
        if new is None:
            return False
        self._write("UPDATE documents SET status = 'moved', moved_to_id = ?, moved_at = ? WHERE id = ?",
                    (new["id"], at, document_id))
        return True

    # -- documents, links and parses ----------------------------------------------

    def record_document(
        self,
        *,
        fetch_id: int,
        url: str,
        record: dict[str, Any],
        attachment_of: str | None = None,
        portal_code: str | None = None,
        link: Link | dict[str, Any] | None = None,
    ) -> int:
        """Record the document behind a fetch, the link that led to it and its parsed
        ``record`` (completed by ``complete``); return its id.

        ``link`` (a ``Link`` or a dict with ``page_url``, ``link_text``, ``page_title``) is
        kept per fetch, so ``ogi reparse`` completes the record as the crawl did; its
        ``page_url`` is the page an attachment hangs from (``attachment_of``, if not given).
        """
        link = Link.of(link)
        attachment_of = attachment_of or link.page_url
        fetch = self.fetch(fetch_id)
        if fetch["sha256"] is None:
            raise ArchiveError(f"fetch {fetch_id} of {url} has no body to make a document of")
        digest = fetch["sha256"]
        seen = fetch["fetched_at"]
        portal_code = portal_code or fetch["portal_code"]
        parent = (
            self.one("SELECT id FROM documents WHERE url = ?", (attachment_of,))
            if attachment_of
            else None
        )
        summary = {name: record.get(name) for name in SUMMARY_COLUMNS}
        existing = self.one("SELECT id, sha256 FROM documents WHERE url = ?", (url,))
        if existing is None:
            document_id = self._write(DOCUMENT_INSERT, dict(
                summary, url=url, portal_code=portal_code, attachment_of=attachment_of,
                attachment_of_id=parent and parent["id"], status="live", version=1, first_seen=seen,
                last_seen=seen, last_fetch_id=fetch_id, sha256=digest)).lastrowid
        else:
            document_id = existing["id"]
            self._write(
                "UPDATE documents SET portal_code = COALESCE(:portal_code, portal_code), "
                + ", ".join(f"{name} = :{name}" for name in SUMMARY_COLUMNS) + ","
                " attachment_of = COALESCE(:attachment_of, attachment_of),"
                " attachment_of_id = COALESCE(:attachment_of_id, attachment_of_id), status = 'live',"
                " gone_at = NULL, gone_evidence = NULL, moved_to_id = NULL, moved_at = NULL,"
                " last_seen = :last_seen, last_fetch_id = :last_fetch_id, sha256 = :sha256 WHERE id = :id",
                dict(summary, portal_code=portal_code, attachment_of=attachment_of,
                     attachment_of_id=parent and parent["id"], last_seen=seen, last_fetch_id=fetch_id,
                     sha256=digest, id=document_id),
            )
        self._write(
            "INSERT OR IGNORE INTO document_bodies (document_id, sha256, first_fetch_id,"
            " first_seen) VALUES (?, ?, ?, ?)",
            (document_id, digest, fetch_id, seen),
        )
        self._write(
            "UPDATE documents SET version ="
            " (SELECT COUNT(*) FROM document_bodies WHERE document_id = ?) WHERE id = ?",
            (document_id, document_id),
        )
        self._write(LINK_INSERT, dict(asdict(link), fetch_id=fetch_id, document_id=document_id, page_url=attachment_of))
        for attached in record.get("attachments") or []:
            self._write(
                "INSERT OR IGNORE INTO attachments (document_id, url, text) VALUES (?, ?, ?)",
                (document_id, attached.get("url"), attached.get("text")),
            )
        if existing is None:  # new bytes here may be where a gone document went
            for gone in self.query("SELECT id FROM documents WHERE sha256 = ? AND status = 'gone' AND id != ?",
                                   (digest, document_id)):
                self.mark_moved(gone["id"], seen)
        self._insert_report(document_id, fetch, record)
        self._wrote()
        return document_id

    def link(self, document_id: int, sha256: str) -> Link:
        """The newest link that led to this document with these bytes (an empty one if none)."""
        row = self.one(
            "SELECT l.page_url, l.link_text, l.page_title FROM document_links l"
            " JOIN fetches f ON f.id = l.fetch_id WHERE l.document_id = ? AND f.sha256 = ?"
            " ORDER BY l.fetch_id DESC LIMIT 1",
            (document_id, sha256),
        )
        return Link.of(row)

    def link_for(self, url: str, link: Link | dict[str, Any] | None) -> Link:
        """The link that led to the document at ``url`` on this fetch: ``link``, or, when the
        request was not made from a link (a known document asked again carries no link
        text), the newest link archived for that document."""
        link = Link.of(link)
        if link.link_text:
            return link
        row = self.one(
            "SELECT l.page_url, l.link_text, l.page_title FROM document_links l"
            " JOIN documents d ON d.id = l.document_id WHERE d.url = ? AND l.link_text IS NOT NULL"
            " ORDER BY l.fetch_id DESC LIMIT 1",
            (url,),
        )
        return Link.of(row) if row else link

    def complete(self, record: dict[str, Any], link: Link | dict[str, Any] | None) -> dict[str, Any]:
        """The archived record of a parse: the parser's ``record`` completed from the link that
        led to it and the archived record of the page it hangs from, stamped with the parser
        version. The crawl's pipeline, ``ogi reparse`` and ``ogi reparse --url`` all use it."""
        link = Link.of(link)
        page = self.page_record(link.page_url) if link.page_url else None
        completed = parsers.complete_from_links(record, page, link.link_text, link.page_title)
        return dict(completed, parser_version=parsers.PARSER_VERSION)

    def page_record(self, url: str) -> dict[str, Any] | None:
        """The newest record of the current body of the document at ``url``, with its ``source.url``."""
        row = self.one(
            "SELECT reports.record FROM documents"
            " JOIN reports ON reports.document_id = documents.id AND reports.sha256 = documents.sha256"
            " WHERE documents.url = ? ORDER BY reports.id DESC LIMIT 1",
            (url,),
        )
        if row is None:
            return None
        page = json.loads(row["record"])
        page["source"] = dict(page.get("source") or {}, url=url)
        return page

    def _insert_report(
        self, document_id: int, fetch: dict[str, Any], record: dict[str, Any], replace: bool = False
    ) -> int | None:
        """Store one parse; ``None`` if this parser version already parsed this body (unless
        ``replace``: then the older parse of this version is replaced, the newest wins)."""
        parser_version = record.get("parser_version")
        if not parser_version:
            raise ArchiveError("record has no parser_version: cannot tell parses apart")
        if replace:
            self._delete_report(document_id, fetch["sha256"], parser_version)
        stored = {k: v for k, v in record.items() if k not in RECORD_FIELDS_KEPT_OUT}
        row = {name: record.get(name) for name in REPORT_INSERT_COLUMNS}
        row.update(document_id=document_id, fetch_id=fetch["id"], sha256=fetch["sha256"], run_id=fetch["run_id"],
                   parsed_at=utc_now(), record=json.dumps(stored, ensure_ascii=False))
        cursor = self._write(REPORT_INSERT, row)
        if cursor.rowcount == 0:
            return None
        report_id = cursor.lastrowid
        inferred = set(record.get("inferred") or ())
        # One statement for all of a report's values (and one for its checks): statement by
        # statement, a report's hundred-odd cells cost as many round trips into SQLite.
        self._write_many(
            "INSERT INTO report_values (report_id, key, value, inferred) VALUES (?, ?, ?, ?)",
            [(report_id, key, value, int(key in inferred))
             for key, value in (record.get("values") or {}).items()],
        )
        self._write_many(
            "INSERT INTO report_checks (report_id, name, scope, ok, detail) VALUES (?, ?, ?, ?, ?)",
            [(report_id, check.get("name"), check.get("scope"),
              None if check.get("ok") is None else int(bool(check.get("ok"))), check.get("detail"))
             for check in record.get("checks") or []],
        )
        if record.get("text"):
            self._write(
                "INSERT INTO report_text (report_id, title, organ, text) VALUES (?, ?, ?, ?)",
                (report_id, record.get("title"), record.get("organ"), record["text"]),
            )
        return report_id

    def _delete_report(self, document_id: int, sha256: str, parser_version: str) -> None:
        """Remove one parse (a derived row: the bytes it was read from stay)."""
        row = self.one("SELECT id FROM reports WHERE document_id = ? AND sha256 = ? AND parser_version = ?",
                       (document_id, sha256, parser_version))
        if row is None:
            return
        for table in ("report_values", "report_checks", "report_text"):
            self._write(f"DELETE FROM {table} WHERE report_id = ?", (row["id"],))
        self._write("DELETE FROM reports WHERE id = ?", (row["id"],))

    def record_parse(
        self, *, document_id: int, fetch_id: int, record: dict[str, Any], replace: bool = False
    ) -> int | None:
        """Add a (re-)parse of a stored body; ``None`` if that version already parsed it
        (with ``replace``, the new parse replaces that version's)."""
        fetch = self.fetch(fetch_id)
        report_id = self._insert_report(document_id, fetch, record, replace=replace)
        if report_id is not None:
            # The document's summary columns follow the newest parse of its newest body.
            self._write(
                "UPDATE documents SET " + ", ".join(f"{name} = :{name}" for name in SUMMARY_COLUMNS)
                + " WHERE id = :id AND sha256 = :sha256",
                dict({name: record.get(name) for name in SUMMARY_COLUMNS}, id=document_id, sha256=fetch["sha256"]),
            )
        self._wrote()
        return report_id

    # -- reparse ------------------------------------------------------------------

    def stored_bodies(self, url: str | None = None) -> list[dict[str, Any]]:
        """Every (document, body) pair with the first fetch that brought that body; pages
        before the attachments that are completed from them. Only ``url``'s, if given."""
        where, params = ("WHERE documents.url = ? OR fetches.final_url = ?", (url, url)) if url else ("", ())
        return list(
            self.query(
                "SELECT document_bodies.document_id, document_bodies.sha256,"
                " document_bodies.first_fetch_id AS fetch_id, documents.url,"
                " documents.attachment_of_id, fetches.final_url, fetches.content_type"
                " FROM document_bodies"
                " JOIN documents ON documents.id = document_bodies.document_id"
                " JOIN fetches ON fetches.id = document_bodies.first_fetch_id"
                f" {where}"
                " ORDER BY documents.attachment_of_id IS NOT NULL, document_bodies.document_id,"
                " document_bodies.first_fetch_id",
                params,
            )
        )

    def reparse(
        self,
        parse: Callable[..., dict[str, Any]],
        progress: Callable[[Iterable[Any]], Iterable[Any]] = iter,
        *,
        force: bool = False,
        url: str | None = None,
    ) -> dict[str, int]:
        """Parse every stored body again with ``parse``; no network, bytes come from here.

        Each new record is completed (``complete``) from the link archived with its body, as
        the crawl completed it. Bodies the current parser version already parsed are
        skipped unless ``force`` (then the new parse replaces that version's); older
        versions' rows stay. ``url``: only the document at that URL.
        """
        counts = {"parsed": 0, "skipped": 0}
        for pair in progress(self.stored_bodies(url)):
            done = self.conn.execute(
                "SELECT 1 FROM reports WHERE document_id = ? AND sha256 = ?"
                " AND parser_version = ?",
                (pair["document_id"], pair["sha256"], parsers.PARSER_VERSION),
            ).fetchone()
            if done and not force:
                counts["skipped"] += 1
                continue
            record = self.complete(
                parse(self.body(pair["sha256"]), url=pair["final_url"] or pair["url"],
                      content_type=pair["content_type"]),
                self.link(pair["document_id"], pair["sha256"]),
            )
            self.record_parse(document_id=pair["document_id"], fetch_id=pair["fetch_id"], record=record,
                              replace=force)
            counts["parsed"] += 1
        self.flush()
        return counts

    def reparsed(self, parse: Callable[..., dict[str, Any]], url: str) -> dict[str, Any]:
        """The record a reparse of the newest body stored for ``url`` gives, stored nowhere.

        ``url`` may be a document URL or the final URL a fetch was redirected to; a body
        with no document behind it (a fetch only) is parsed without link context.
        """
        body, content_type, final_url = self.body_for_url(url)
        document = self.one("SELECT id, sha256 FROM documents WHERE url IN (?, ?) ORDER BY url = ? DESC",
                            (url, final_url, url))
        link = self.link(document["id"], document["sha256"]) if document else None
        return self.complete(parse(body, url=final_url or url, content_type=content_type), link)
