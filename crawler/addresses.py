"""Which hosts and addresses a crawl never requests: one rule for the registry, scope and downloader.

A public government portal lives on a public address. IP literals and resolved addresses in
private, loopback, link-local, reserved, multicast or unspecified ranges, and the name
``localhost`` (with its ``*.localhost`` sub-names, RFC 6761), point into the crawling
machine's own network, whatever a registry row, a link or a redirect says.
"""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_literal(host: str) -> Address | None:
    """The address ``host`` spells (``10.0.0.5``, ``[::1]``), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def internal_range(address: Address) -> str | None:
    """The internal range ``address`` lies in (``loopback``, ``private``…), or None when public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for name in ("loopback", "link_local", "private", "reserved", "multicast", "unspecified"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    return None


def is_internal_ip(host: str) -> bool:
    """An IP literal no public portal links to: private, loopback, link-local, reserved…"""
    address = ip_literal(host)
    return address is not None and internal_range(address) is not None


def host_refusal(host: str) -> str | None:
    """Why a crawl never requests ``host`` (an internal IP literal or localhost), or None."""
    host = host.lower().strip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"host {host} is the crawling machine itself"
    address = ip_literal(host)
    if address is not None:
        where = internal_range(address)
        if where is not None:
            return f"host {host} is an internal IP address ({where})"
    return None


def address_refusal(host: str, address: str) -> str | None:
    """Why a name that resolved to ``address`` is not requested (an internal answer), or None."""
    where = internal_range(ipaddress.ip_address(address))
    return f"host {host} resolves to {address}, an internal IP address ({where})" if where else None
