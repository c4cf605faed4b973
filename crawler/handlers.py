"""The HTTP download handler, with Twisted's silent retry of reset connections turned off.

Twisted's connection pool quietly resends a GET whose reused keep-alive connection was
reset. A portal that resets connections then looks healthy and the reset is never on
record; without that retry the reset reaches the retry middleware (which backs off and
retries) and the audit (which records it).
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler


class AuditedHTTPDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool.retryAutomatically = False
