"""The project's own signals, beside Scrapy's (``scrapy.signals``): who sends each, with what.

Connect with ``crawler.signals.connect(handler, signal=...)``; handlers take the keyword
arguments named here (and ``**kwargs`` for any added later).
"""

# A download attempt failed (also every redirect loop and over-long redirect chain), retried
# or not. Sent by crawler.middlewares.AttemptAuditMiddleware with kwargs request, url (the URL
# the crawl asked for), cause, detail, status, response (or None), duration. The archive
# pipeline records each as a fetch.
attempt_failed = object()

# A portal has no outstanding request or unarchived document left. Sent by
# crawler.progress.PortalProgress with kwargs code, status, reason, pages. The archive
# pipeline records it with Archive.finish_portal.
portal_finished = object()

# A document item is parsed and committed to the archive. Sent by the archive pipeline with
# kwarg token (the item's ``progress_token``); PortalProgress counts the document off.
document_stored = object()
