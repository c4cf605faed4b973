"""The portal registry: which portals to crawl, read from a CSV.

Columns ``code,name,level,province,city,url`` are required; extra columns are kept (the
bundled registry says in ``source`` where each row came from, and ``hosts`` lists further
hosts that belong to the portal, separated by spaces). A malformed row is reported with its
line number and skipped, so one bad row never stops a crawl.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REQUIRED_COLUMNS = ("code", "name", "level", "province", "city", "url")
LEVELS = ("province", "city", "county", "township")
BUNDLED_REGISTRY = Path(__file__).parent / "data" / "portals.csv"
# Division codes: 6 digits (province, city, county) or 9/12 digits (township).
_CODE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


class RegistryError(ValueError):
    """The registry file as a whole cannot be read (missing columns, not a CSV)."""


@dataclass(frozen=True)
class Portal:
    code: str
    name: str
    level: str
    province: str
    city: str
    url: str
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def extra_hosts(self) -> tuple[str, ...]:
        """Hosts outside the portal's own domain that the registry says belong to it."""
        return tuple(h.lower() for h in (self.extra.get("hosts") or "").split() if h)

    def as_row(self) -> dict[str, str]:
        return {
            "code": self.code, "name": self.name, "level": self.level,
            "province": self.province, "city": self.city, "url": self.url, **self.extra,
        }


@dataclass
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Registry:
    portals: list[Portal]
    problems: list[RowProblem]

    def by_code(self) -> dict[str, Portal]:
        return {portal.code: portal for portal in self.portals}


def _row_problem(row: dict[str, str | None], seen: set[str]) -> str | None:
    missing = [name for name in ("code", "name", "level", "url") if not (row.get(name) or "").strip()]
    if missing:
        return f"empty {', '.join(missing)}"
    code = row["code"].strip()
    if not _CODE.match(code):
        return f"code {code!r} is not a 6, 9 or 12 digit division code"
    if code in seen:
        return f"code {code} appears twice (the first row is kept)"
    level = row["level"].strip()
    if level not in LEVELS:
        return f"level {level!r} is not one of {', '.join(LEVELS)}"
    url = row["url"].strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url {url!r} is not an http(s) URL with a host"
    return None


def parse_registry(text: str) -> Registry:
    """Read registry CSV text; malformed rows land in ``problems`` with their line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), restkey="__overflow__")
    header = [name.strip() for name in (reader.fieldnames or [])]
    absent = [name for name in REQUIRED_COLUMNS if name not in header]
    if absent:
        raise RegistryError(f"registry lacks the column(s) {', '.join(absent)}; header is {header}")
    reader.fieldnames = header
    portals: list[Portal] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not any((value or "").strip() for key, value in row.items() if key != "__overflow__"):
            continue  # a blank line is not a row
        if row.get("__overflow__"):
            problems.append(RowProblem(line, f"{len(header) + len(row['__overflow__'])} fields"
                                              f" for {len(header)} columns"))
            continue
        if any(value is None for value in row.values()):
            short = sum(value is not None for value in row.values())
            problems.append(RowProblem(line, f"{short} fields for {len(header)} columns"))
            continue
        reason = _row_problem(row, seen)
        if reason:
            problems.append(RowProblem(line, reason))
            continue
        values = {key: (value or "").strip() for key, value in row.items()}
        seen.add(values["code"])
        portals.append(Portal(
            code=values["code"], name=values["name"], level=values["level"],
            province=values["province"], city=values["city"], url=values["url"],
            extra={k: v for k, v in values.items() if k not in REQUIRED_COLUMNS},
        ))
    return Registry(portals, problems)


def load_registry(path: str | Path | None = None) -> Registry:
    """The registry at ``path`` (the bundled one when ``None``)."""
    path = Path(path) if path is not None else BUNDLED_REGISTRY
    return parse_registry(path.read_text(encoding="utf-8-sig"))


def _split(values: str | Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = re.split(r"[,\s，]+", values)
    return [v.strip() for v in values if v and v.strip()]


def select(
    portals: Iterable[Portal],
    codes: str | Iterable[str] | None = None,
    province: str | Iterable[str] | None = None,
) -> list[Portal]:
    """Filter portals: ``codes`` exact division codes; ``province`` names or 2-digit codes.

    A province name matches with or without its suffix (``内蒙古`` matches ``内蒙古自治区``).
    """
    wanted_codes = set(_split(codes))
    provinces = _split(province)
    chosen = []
    for portal in portals:
        if wanted_codes and portal.code not in wanted_codes:
            continue
        if provinces and not any(_province_matches(portal, p) for p in provinces):
            continue
        chosen.append(portal)
    return chosen


def _province_matches(portal: Portal, wanted: str) -> bool:
    if wanted.isdigit():
        return portal.code.startswith(wanted[:2])
    return bool(portal.province) and (
        portal.province == wanted or portal.province.startswith(wanted) or wanted.startswith(portal.province)
    )


def write_registry(portals: Iterable[Portal | dict[str, str]], out: io.TextIOBase) -> int:
    """Write portals as registry CSV (required columns first, extras after); return the count."""
    rows = [p.as_row() if isinstance(p, Portal) else dict(p) for p in portals]
    extras: list[str] = []
    for row in rows:
        extras += [k for k in row if k not in REQUIRED_COLUMNS and k not in extras]
    writer = csv.DictWriter(out, fieldnames=[*REQUIRED_COLUMNS, *extras], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)
