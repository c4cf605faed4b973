"""Names for why a fetch failed, shared by the middlewares, the spider and the archive.

Every failure is recorded as ``"<cause>: <detail>"``; the cause is one of ``dns``,
``connection_refused``, ``connection_reset``, ``timeout``, ``http_<status>``, ``too_large``,
``decompression_bomb``, ``redirect_loop``, ``redirect_chain``, ``too_many_redirects``,
``waf_challenge``, ``robots``, ``out_of_scope``, ``refused_address``, ``cancelled`` or ``error``.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import error as tx_error
from twisted.internet.defer import CancelledError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler import cues


class RedirectLoop(IgnoreRequest):
    """A redirect back to a URL already visited in the same chain."""


class RefusedAddress(IgnoreRequest):
    """A redirect to, or a name resolving to, an internal IP address or localhost (crawler.guard)."""


class OutOfScope(IgnoreRequest):
    """A request outside its portal's registrable domain, or to an internal IP address."""


def cause_of_response(status: int, body: bytes = b"") -> str:
    """The cause of a failed HTTP answer (a proxy's gateway error for a dead host is ``dns``)."""
    if waf_challenge(status, body):
        return "waf_challenge"
    head = body[: cues.WAF_BODY_SCAN_BYTES].decode("utf-8", errors="replace")
    if status in cues.PROXY_GATEWAY_STATUSES and cues.PROXY_DNS_FAILURE.search(head):
        return "dns"
    return f"http_{status}"


def cause_of_exception(exception: BaseException) -> str:
    """The cause of a download that raised ``exception``."""
    message = str(exception)
    if isinstance(exception, RedirectLoop):
        return "redirect_loop"
    if isinstance(exception, OutOfScope):
        return "out_of_scope"
    if isinstance(exception, RefusedAddress):
        return "refused_address"
    if isinstance(exception, IgnoreRequest):
        if cues.ROBOTS_REFUSAL_MESSAGE in message:
            return "robots"
        if cues.DECOMPRESSION_MESSAGE.search(message):
            return "decompression_bomb"
        if cues.MAX_SIZE_MESSAGE.search(message):
            return "too_large"
        if cues.MAX_REDIRECTS_MESSAGE.search(message):
            return "too_many_redirects"
        return "ignored"
    if isinstance(exception, (CannotResolveHostError, tx_error.DNSLookupError)):
        return "dns"
    if isinstance(exception, (DownloadConnectionRefusedError, tx_error.ConnectionRefusedError)):
        return "connection_refused"
    if isinstance(exception, (DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError)):
        return "timeout"
    if isinstance(exception, (DownloadCancelledError, CancelledError)):
        return "too_large" if cues.MAX_SIZE_MESSAGE.search(message) else "cancelled"
    if isinstance(exception, (ResponseFailed, ResponseNeverReceived, ResponseDataLossError,
                              tx_error.ConnectionLost, tx_error.ConnectionDone,
                              tx_error.ConnectionAborted, DownloadFailedError, ConnectionResetError)):
        return "connection_reset"
    if isinstance(exception, tx_error.ConnectError):
        return "connection_refused"
    return "error"


def waf_challenge(status: int, body: bytes) -> str | None:
    """Why this response is a WAF challenge and not the page, or ``None``."""
    head = body[: cues.WAF_BODY_SCAN_BYTES].decode("utf-8", errors="replace")
    if status in cues.WAF_STATUSES:
        return f"HTTP {status} challenge page"
    is_html = head.lstrip()[:1] == "<"
    marker = cues.WAF_BODY.search(head) if is_html else None
    if status in (200, 403, 503) and len(body) < cues.WAF_PAGE_MAX_BYTES and marker:
        return f"HTTP {status} with a challenge page ({marker.group(0)})"
    return None


def describe(cause: str, detail: str | None = None) -> str:
    """The text stored in a fetch's ``error``: the cause, then what happened."""
    return f"{cause}: {detail}" if detail else cause


def cause_of(error: str | None) -> str | None:
    """The cause part of a stored ``error`` text."""
    return error.split(":", 1)[0] if error else None
