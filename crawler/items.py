"""What the county_portals spider yields: one item per fetch, of three kinds.

- ``DocumentItem``: a candidate document, archived with its bytes and parsed;
- ``PageItem``: a navigation page (or a 304, or a redirect of a known document), whose
  fetch is archived (a page with its body, so a re-crawl can read its links again);
- ``FailureItem``: a fetch that failed, with its cause in ``error``.

Scrapy handles dataclass items natively (itemadapter). Their ``repr`` shows a body as its
size: Scrapy logs items ("Scraped from", "Error processing"), and a log line must never
carry a document's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(kw_only=True)
class FetchItem:
    """One HTTP fetch, as the archive records it (``Archive.record_fetch``)."""

    portal: str | None           # the registry code of the portal it belongs to
    url: str                     # the URL the crawl asked for (the first of a redirect chain)
    final_url: str               # where the bytes came from
    status: int | None = None
    request_headers: dict = field(default_factory=dict)
    response_headers: dict = field(default_factory=dict)
    body: bytes | None = field(default=None, repr=False)
    fetched_at: str | None = None
    duration: float | None = None
    error: str | None = None

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr]
        if self.body is not None:
            shown.append(f"body=<{len(self.body)} bytes>")
        return f"{type(self).__name__}({', '.join(shown)})"


@dataclass(kw_only=True, repr=False)
class PageItem(FetchItem):
    """A navigation page; ``kind`` says how it answered: ``page``, ``not_modified`` or ``redirect``."""

    kind: str = "page"


@dataclass(kw_only=True, repr=False)
class DocumentItem(FetchItem):
    """A candidate document and the link that led to it."""

    content_type: str | None = None
    role: str | None = None              # what the link looked like (crawler.discovery roles)
    link_text: str | None = None
    parent_title: str | None = None      # the title of the page that linked it, for an attachment
    attachment_of: str | None = None     # that page's URL
    # Set by crawler.progress while the document counts in its portal's outstanding work.
    progress_token: str | None = None


@dataclass(kw_only=True, repr=False)
class FailureItem(FetchItem):
    """A fetch that failed and that no audit recorded yet."""
