"""What a perfect crawler and parser would find in a replica network: its truth and registry."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from crawler.replica.model import Site

if TYPE_CHECKING:
    from crawler.replica.network import Network


def truth(net: Network) -> dict:
    portals = [portal_row(site) for site in net.sites.values()]
    return {
        "seed": net.seed, "epoch": net.epoch, "faults": net.faults,
        "portals": portals,
        "reports": net.reports,
        "lookalikes": net.lookalikes,
        "faults_planted": net.planted,
        "disallowed": sorted({f"{site.origin}{prefix}" for site in net.sites.values()
                              for prefix in site.disallow}),
        "traps": sorted({f"{site.origin}{prefix}" for site in net.sites.values() for prefix in site.traps}),
        "changes": net.changes,
    }


def portal_row(site: Site) -> dict:
    return {"code": site.code, "name": site.name, "level": site.level, "province": site.province,
            "city": site.city, "url": site.url, "host": site.host, "cms": site.family.name,
            "charset": site.charset, "status": site.status, "parent": site.parent}


def registry_csv(net: Network) -> str:
    """The county and township portals as a registry CSV (code,name,level,province,city,url)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("code", "name", "level", "province", "city", "url"))
    for site in net.sites.values():
        if site.level in ("county", "township"):
            writer.writerow((site.code, site.name, site.level, site.province, site.city, site.listed_url))
    return out.getvalue()
