"""Incremental re-crawls: what to revalidate, what to skip, what vanished, how to resume.

A crawl against an archive that already knows documents revalidates them with conditional
requests (``changed``, the default), refetches them whole (``all``), or leaves them alone
until they are older than a maximum age (``new``). A known document that no page links any
more, on a portal crawled to the end, has vanished from its list.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from archive import Archive, default_archive_path

logger = logging.getLogger(__name__)

POLICIES = ("new", "changed", "all")
DEFAULT_POLICY = "changed"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
RUNNING_MARKER = "ogi-running"  # in JOBDIR while a crawl runs; left behind by a killed one


@dataclass
class KnownDocument:
    url: str
    portal_code: str | None
    etag: str | None
    last_modified: str | None
    last_seen: str
    attachment_of: str | None
    sha256: str
    content_type: str | None
    listed_on: str | None  # the page that linked it when it was last fetched through a link


@dataclass
class StoredPage:
    """A list or navigation page as last archived: its validators and its stored body."""
    url: str
    etag: str | None
    last_modified: str | None
    sha256: str
    content_type: str | None


@dataclass
class RecrawlPlan:
    policy: str
    max_age: timedelta
    known: dict[str, KnownDocument] = field(default_factory=dict)
    pages: dict[str, StoredPage] = field(default_factory=dict)
    archive_path: Path | None = None
    linked: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)  # pages whose links this run read (fetched, or archived and unchanged)
    gone: set[str] = field(default_factory=set)  # pages that answered 404/410 this run: their links went with them
    # False when a resumed JOBDIR skips pages an earlier process read: absence then proves nothing
    sees_every_link: bool = True
    _reader: Archive | None = field(default=None, repr=False)

    @classmethod
    def from_archive(cls, archive_path: str | None, policy: str, max_age_days: int,
                     portal_codes: set[str]) -> RecrawlPlan:
        if policy not in POLICIES:
            raise ValueError(f"recrawl must be one of {', '.join(POLICIES)}, not {policy!r}")
        plan = cls(policy, timedelta(days=max_age_days))
        path = Path(archive_path) if archive_path else default_archive_path()
        if not path.exists():
            return plan
        plan.archive_path = path
        with Archive(path, create=False) as db:  # an existing file: refused if empty or damaged
            for row in db.known_documents():
                if row["portal_code"] in portal_codes:
                    plan.known[row["url"]] = KnownDocument(
                        row["url"], row["portal_code"], row["etag"], row["last_modified"],
                        row["last_seen"], row["attachment_of"], row["sha256"], row["content_type"],
                        row["listed_on"])
            if policy != "all":
                for row in db.stored_pages(portal_codes):
                    if row["url"] not in plan.known:
                        plan.pages[row["url"]] = StoredPage(row["url"], row["etag"], row["last_modified"],
                                                            row["sha256"], row["content_type"])
        return plan

    def stored_copy(self, response: Response) -> Response:
        """The archived copy of a page or document that answered 304, as a response to read links from."""
        stored = self.pages.get(response.url) or self.known[response.url]
        if self._reader is None:  # one connection for the whole crawl, opened at the first 304
            self._reader = Archive(self.archive_path)
        body = self._reader.body(stored.sha256)
        headers = {"Content-Type": stored.content_type} if stored.content_type else {}
        kind: type[Response] = responsetypes.from_args(headers=headers, url=response.url, body=body)
        return kind(response.url, status=200, headers=headers, body=body, request=response.request)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _stale(self, document: KnownDocument, now: datetime) -> bool:
        seen = datetime.fromisoformat(document.last_seen.replace("Z", "+00:00"))
        return now - seen > self.max_age

    def revalidations(self, portal_code: str, now: datetime | None = None) -> list[KnownDocument]:
        """Known documents of a portal to ask for at the start, linked from its pages or not."""
        now = now or datetime.now(UTC)
        return [d for d in self.known.values()
                if d.portal_code == portal_code and not (self.policy == "new" and not self._stale(d, now))]

    def skip(self, url: str, now: datetime | None = None) -> bool:
        """Under ``new``, a known document is not fetched again until it is older than the maximum age."""
        document = self.known.get(url)
        return (self.policy == "new" and document is not None
                and not self._stale(document, now or datetime.now(UTC)))

    def note_gone(self, page_url: str) -> None:
        self.gone.add(page_url)

    def note_read(self, page_url: str, linked: Iterable[str]) -> None:
        self.read.add(page_url)
        self.linked.update(linked)

    def vanished(self, portal_code: str) -> list[str]:
        """Known documents gone from their list: the page that linked them was read (or is gone
        itself) and no page read links them.

        A document whose list was not reached this run proves nothing by its absence.
        """
        if self.policy == "new" or not self.sees_every_link:  # pages were skipped: absence proves nothing
            return []
        return sorted(
            d.url for d in self.known.values()
            if d.portal_code == portal_code and d.url not in self.linked
            and ((d.listed_on or d.attachment_of) in self.read or (d.listed_on or d.attachment_of) in self.gone)
        )


def conditional_headers(document: KnownDocument | StoredPage) -> dict[str, str]:
    headers = {}
    if document.etag:
        headers["If-None-Match"] = document.etag
    if document.last_modified:
        headers["If-Modified-Since"] = document.last_modified
    return headers


def resumes(jobdir: str | None) -> bool:
    """Whether a crawl with this JOBDIR continues a paused one (its seen-set is not empty)."""
    seen = Path(jobdir) / "requests.seen" if jobdir else None
    return bool(seen and seen.exists() and seen.stat().st_size > 0)


def prepare_jobdir(jobdir: str | None) -> bool:
    """Mark a JOBDIR as in use; if a killed crawl left it, drop its queue and seen-set first.

    A crawl stopped with SIGINT saves its queue and resumes from it. One killed with SIGKILL
    loses the requests it had in flight while its seen-set still holds them, so they would
    never be fetched: the resumed crawl starts its frontier afresh instead, and the archive
    (revalidated with conditional requests) keeps it from downloading again what it has.
    Returns whether a killed crawl was found.
    """
    if not jobdir:
        return False
    directory = Path(jobdir)
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / RUNNING_MARKER
    killed = marker.exists()
    if killed:
        logger.warning("JOBDIR %s was left by a crawl that did not stop cleanly: starting its frontier afresh", jobdir)
        shutil.rmtree(directory / "requests.queue", ignore_errors=True)
        for name in ("requests.seen", "spider.state"):
            (directory / name).unlink(missing_ok=True)
    marker.write_text(datetime.now(UTC).isoformat(), encoding="utf-8")
    return killed


def release_jobdir(jobdir: str | None) -> None:
    """A crawl that stopped cleanly (finished, or paused with SIGINT) leaves a resumable JOBDIR."""
    if jobdir:
        (Path(jobdir) / RUNNING_MARKER).unlink(missing_ok=True)
