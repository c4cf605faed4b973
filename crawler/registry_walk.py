"""Pure readers for building a portal registry from government site directories.

A provincial portal's 政府网站导航 lists its cities' portals, a city's 市县政府 page its
counties', a county's 乡镇街道 / 行政区划 page its townships' (with their codes beside
them). These functions read one page; the ``portal_registry`` spider walks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsel import Selector

from crawler import cues, divisions
from crawler.discovery import clean_url


@dataclass(frozen=True)
class SiteLink:
    url: str          # the linked site's home, http://host/
    text: str         # the link text
    row_text: str     # the text of the table row or list item around the link


def _home(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _is_government_host(host: str) -> bool:
    return host.endswith(".gov.cn")


def directory_links(url: str, text: str) -> list[str]:
    """Same-site links to the pages that list lower governments' sites."""
    selector = Selector(text=text or "<html></html>")
    host = urlsplit(url).hostname
    found = []
    for node in selector.xpath(cues.LINK_XPATH):
        link = clean_url(url, node.attrib.get("href", ""))
        if link is None or urlsplit(link).hostname != host:
            continue
        label = " ".join(node.xpath(".//text()").getall()).strip()
        if (cues.SITE_DIRECTORY_TEXT.search(label) or cues.TOWNSHIP_DIRECTORY_TEXT.search(label)
                or cues.SITE_DIRECTORY_URL.search(urlsplit(link).path)):
            found.append(link)
    return list(dict.fromkeys(found))


def site_links(url: str, text: str) -> list[SiteLink]:
    """Links to the home pages of other government sites, with the row text around each."""
    selector = Selector(text=text or "<html></html>")
    host = urlsplit(url).hostname
    out: dict[str, SiteLink] = {}
    for node in selector.xpath(cues.LINK_XPATH):
        link = clean_url(url, node.attrib.get("href", ""))
        if link is None:
            continue
        target = urlsplit(link).hostname or ""
        if target == host or not _is_government_host(target):
            continue
        label = re.sub(r"\s+", "", "".join(node.xpath(".//text()").getall()))
        row = node.xpath("ancestor::tr[1]") or node.xpath("ancestor::li[1]")
        row_text = re.sub(r"\s+", " ", " ".join(row[0].xpath(".//text()").getall())) if row else label
        out.setdefault(_home(link), SiteLink(_home(link), label, row_text.strip()))
    return list(out.values())


def site_name(text: str) -> str | None:
    """The site's own name: the SiteName meta tag, else the last part of the page title."""
    selector = Selector(text=text or "<html></html>")
    meta = (selector.xpath(cues.SITE_NAME_XPATH).get() or "").strip()
    if meta:
        return meta
    title = (selector.xpath("normalize-space(//title)").get() or "").strip()
    parts = [p for p in re.split(cues.TITLE_SEPARATOR, title) if p]
    return parts[-1] if parts else None


def township_code(link: SiteLink, county_code: str) -> str | None:
    """The 9- or 12-digit code printed beside a township's link, if it lies in the county."""
    for code in cues.TOWNSHIP_CODE.findall(link.row_text):
        if code.startswith(county_code):
            return code[:9]
    return None


def classify(link: SiteLink, parent: divisions.Division | None) -> divisions.Division | None:
    """The division a linked government site belongs to, searched inside its parent's."""
    return divisions.match(link.text, within=parent.code if parent else None)
