"""Title, organ, organ level, report year, publication and signature dates."""

from __future__ import annotations

import re

from parsers import labels


def _iso(match: re.Match[str]) -> str | None:
    year, month, day = (int(g) for g in match.groups()[:3])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _clean_title(text: str) -> str:
    text = re.split(r"[_|｜]|--| - ", text)[0]
    return re.sub(r"\s+", " ", text).strip()


def find_title(lines: list[str], meta: dict[str, str], html_title: str | None) -> str | None:
    candidates = [meta.get(name, "") for name in labels.META_TITLE_NAMES]
    for i, line in enumerate(lines[:12]):
        previous = re.sub(r"\s+", "", lines[i - 1]) if i else ""
        if re.match(r"^\s*20\d{2}", line) and previous and labels.ORGAN_NAME.fullmatch(previous):
            line = previous + line.strip()  # a title broken after the organ (PDF, seed hongze)
        if len(line) < 90:
            candidates.append(line)
    candidates.append(html_title or "")
    for candidate in candidates:
        candidate = _clean_title(candidate)
        if labels.GENERIC_TITLE.match(candidate):
            continue
        if labels.TITLE_ENDING.search(candidate) and ("信息公开" in candidate or "政务公开" in candidate):
            return candidate
    return None


def organ_from_title(title: str) -> str | None:
    text = re.sub(r"\s+", "", title)
    before = re.match(r"^(.*?)(?:关于)?20\d{2}", text)
    if before and len(before.group(1)) >= 3:
        return before.group(1)
    after = re.match(r"^(?:关于)?20\d{2}年?度?(.+?)(?:关于)?(?:20\d{2}|政府信息公开|政务公开)", text)
    if after and len(after.group(1)) >= 3:
        return after.group(1)
    return None


def organ_level(organ: str | None) -> str:
    if not organ:
        return "unknown"
    if labels.TOWNSHIP_ORGAN.search(organ):
        return "township"
    if labels.COUNTY_ORGAN.search(organ):
        return "county"
    if labels.DEPARTMENT_ORGAN.search(organ):
        return "department"
    return "unknown"


def report_year(title: str | None, text: str, overview: str) -> int | None:
    """The year reported on: the title's year, the statistics period, the overview's opening."""
    if title and (match := labels.TITLE_YEAR.search(title)):
        return int(match.group(1))
    if match := labels.PERIOD_YEAR.search(text):
        return int(match.group(1))
    if match := labels.OVERVIEW_YEAR.match(overview):
        return int(match.group(1))
    return None


def published_on(lines: list[str], meta: dict[str, str], first_heading: int) -> str | None:
    for name in labels.META_DATE_NAMES:
        if name in meta and (match := labels.DATE.search(meta[name])):
            return _iso(match)
    for line in lines[: max(first_heading, 0) or 15]:
        if "统计" in line:
            continue
        match = labels.PUBLISHED_LINE.search(line) or labels.LEADING_DATE_LINE.match(line)
        if match:
            found = labels.DATE.search(match.group(1))
            if found:
                return _iso(found)
    return None


def signature(lines: list[str], last_heading: int) -> tuple[str | None, str | None]:
    """(organ, date) of the signature: a date alone on a line after the last section."""
    start = max(last_heading, len(lines) * 2 // 3)
    for i in range(len(lines) - 1, start - 1, -1):
        match = labels.CHINESE_DATE.match(lines[i].strip())
        if match:
            organ = None
            if i > 0:
                previous = re.sub(r"\s+", "", lines[i - 1])
                if 3 <= len(previous) <= 30 and labels.ORGAN_NAME.fullmatch(previous):
                    organ = previous
            return organ, _iso(match)
    return None, None


def organ_from_page(lines: list[str], meta: dict[str, str], first_heading: int = 15) -> str | None:
    """The publishing organ from meta tags or a 来源/发布机构 line above the report's first heading."""
    for name in labels.META_ORGAN_NAMES:
        value = meta.get(name, "").strip()
        if value and labels.ORGAN_NAME.fullmatch(value):
            return value
    for line in lines[: max(first_heading, 15)]:
        if match := labels.ORGAN_LINE.search(line):
            if labels.ORGAN_NAME.fullmatch(match.group(1)):
                return match.group(1)
    return None


def extract(lines: list[str], text: str, meta: dict[str, str], html_title: str | None,
            first_heading: int, last_heading: int, overview: str) -> dict:
    title = find_title(lines, meta, html_title)
    signed_organ, signed_on = signature(lines, last_heading)
    organ = (organ_from_title(title) if title else None) or organ_from_page(lines, meta) or signed_organ
    return {
        "title": title,
        "organ": organ,
        "organ_level": organ_level(organ),
        "report_year": report_year(title, text, overview),
        "published_on": published_on(lines, meta, first_heading),
        "signed_on": signed_on,
    }
