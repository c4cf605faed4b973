"""Scope: which URLs a portal's crawl may request.

A portal's crawl stays inside its registrable domain (``www.xx.gov.cn`` → ``xx.gov.cn``, so
a township on ``czz.xx.gov.cn`` is in, ``www.gov.cn`` is out) plus the hosts the registry
lists for it. Links to IP literals in private, loopback, link-local or reserved ranges and
to ``localhost`` are refused unless the portal itself lives there (`crawler.addresses`).
The public-suffix list is tldextract's bundled snapshot: no network.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

from crawler.addresses import host_refusal, ip_literal
from crawler.registry import Portal

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """``xx.gov.cn`` for ``www.xx.gov.cn``; an IP literal or a bare name is its own domain."""
    host = host.lower().strip(".").strip("[]")
    if ip_literal(host) is not None:
        return host
    result = _EXTRACT(host)
    return result.top_domain_under_public_suffix or host


@dataclass
class PortalScope:
    """The hosts one portal's crawl may request."""

    code: str
    domain: str
    hosts: frozenset[str] = field(default_factory=frozenset)   # registry-listed extra hosts
    own_host: str = ""

    def refusal(self, url: str) -> str | None:
        """Why ``url`` is out of this portal's scope, or ``None`` when it is in."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"scheme {parts.scheme!r} is not http(s)"
        host = (parts.hostname or "").lower()
        if not host:
            return "no host"
        if host == self.own_host or host in self.hosts:
            return None
        refused = host_refusal(host)
        if refused:
            return refused
        if registrable_domain(host) != self.domain:
            return f"host {host} is outside {self.domain}"
        return None


def portal_scope(portal: Portal) -> PortalScope:
    return PortalScope(
        code=portal.code,
        domain=registrable_domain(portal.host),
        hosts=frozenset(portal.extra_hosts),
        own_host=portal.host,
    )


class Scope:
    """The scopes of every portal of a crawl, by code."""

    def __init__(self, portals: Iterable[Portal]):
        self.by_code = {portal.code: portal_scope(portal) for portal in portals}

    def refusal(self, url: str, portal_code: str | None) -> str | None:
        """Why ``url`` may not be requested for ``portal_code`` (``None``: any portal's scope)."""
        if portal_code is not None and portal_code in self.by_code:
            return self.by_code[portal_code].refusal(url)
        reasons = [scope.refusal(url) for scope in self.by_code.values()]
        if any(reason is None for reason in reasons):
            return None
        return reasons[0] if reasons else "no portal in this crawl"
