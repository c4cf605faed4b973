"""The portal registry: which portals to crawl, read from a CSV.

Columns ``code,name,level,province,city,url`` are required; extra columns are kept (the
bundled registry says in ``source`` where each row came from, and ``hosts`` lists further
hosts that belong to the portal, separated by spaces). The file is read line by line: a
malformed row, an over-long line or bytes that are not UTF-8 are reported with their line
number and skipped, so one bad row never stops a crawl. Rows whose host is an internal IP
address or localhost are refused (`crawler.addresses`): a crawl never requests them.

The bundled registry is the national one (`data/county_portals.csv`: the 2,844 county-level
portals, each citing its source) overlaid by the curated portals of `data/portals.csv`,
which keep their own rows and sources.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.addresses import host_refusal

REQUIRED_COLUMNS = ("code", "name", "level", "province", "city", "url")
LEVELS = ("province", "city", "county", "township")
CRAWLED_LEVELS = ("county", "township")  # provinces and cities publish no county reports
NATIONAL_REGISTRY = Path(__file__).parent / "data" / "county_portals.csv"
CURATED_REGISTRY = Path(__file__).parent / "data" / "portals.csv"
# No registry row is longer than a few hundred bytes; a longer line is an error, not a field.
MAX_LINE_BYTES = 16 * 1024
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
    line: int = field(default=0, compare=False)  # where the row is in its registry file

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


def _row_problem(row: dict[str, str | None], seen: set[str], seen_urls: dict[str, str]) -> str | None:
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
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return f"url {url!r} has a port that is not a number"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url {url!r} is not an http(s) URL with a host"
    refused = host_refusal(parts.hostname)
    if refused:
        return f"url {url}: {refused} (refused)"
    if _url_key(url) in seen_urls:
        return f"url {url} is also the portal of {seen_urls[_url_key(url)]} (the first row is kept)"
    return None


def _url_key(url: str) -> str:
    """One portal whatever its scheme, case or trailing slash."""
    parts = urlsplit(url.strip())
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}{parts.path.rstrip('/')}?{parts.query}"


def _decoded_lines(data: bytes, problems: list[RowProblem]) -> Iterator[str]:
    """The file's lines as text, one per physical line; a line too long or not UTF-8 is
    reported and read as blank, so the CSV reader's line numbers stay the file's."""
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True), 1):
        if len(raw) > MAX_LINE_BYTES:
            problems.append(RowProblem(number, f"line of {len(raw):,} bytes, longer than {MAX_LINE_BYTES:,}"))
            yield "\n"
            continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(RowProblem(number, f"byte {raw[error.start]:#04x} at column {error.start + 1}"
                                               " is not UTF-8"))
            yield "\n"


def parse_registry(data: str | bytes) -> Registry:
    """Read registry CSV; malformed rows land in ``problems`` with their line number."""
    problems: list[RowProblem] = []
    lines = _decoded_lines(data.encode("utf-8") if isinstance(data, str) else data, problems)
    reader = csv.DictReader(lines, restkey="__overflow__")
    try:
        header = [name.strip() for name in (reader.fieldnames or [])]
    except csv.Error as error:
        raise RegistryError(f"registry header cannot be read: {error}") from None
    absent = [name for name in REQUIRED_COLUMNS if name not in header]
    if absent:
        raise RegistryError(f"registry lacks the column(s) {', '.join(absent)}; header is {header}")
    reader.fieldnames = header
    portals: list[Portal] = []
    seen: set[str] = set()
    seen_urls: dict[str, str] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # e.g. a quoted field that never ends
            problems.append(RowProblem(reader.line_num, f"not a CSV row: {error}"))
            continue
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
        reason = _row_problem(row, seen, seen_urls)
        if reason:
            problems.append(RowProblem(line, reason))
            continue
        values = {key: (value or "").strip() for key, value in row.items()}
        seen.add(values["code"])
        seen_urls[_url_key(values["url"])] = values["code"]
        portals.append(Portal(
            code=values["code"], name=values["name"], level=values["level"],
            province=values["province"], city=values["city"], url=values["url"],
            extra={k: v for k, v in values.items() if k not in REQUIRED_COLUMNS}, line=line,
        ))
    problems.sort(key=lambda problem: problem.line)
    return Registry(portals, problems)


def read_registry_file(path: str | Path) -> Registry:
    """The registry in one file; a file that cannot be read is a `RegistryError`."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise RegistryError(f"registry {path}: {error.strerror or error}") from None
    try:
        return parse_registry(data)
    except RegistryError as error:
        raise RegistryError(f"registry {path}: {error}") from None


def load_registry(path: str | Path | None = None) -> Registry:
    """The registry at ``path``; when ``None``, the bundled one (national + curated rows)."""
    if path is not None:
        return read_registry_file(path)
    national, curated = read_registry_file(NATIONAL_REGISTRY), read_registry_file(CURATED_REGISTRY)
    ours = curated.by_code()
    merged = [ours.pop(p.code, p) for p in national.portals] + list(ours.values())
    return Registry(merged, national.problems + curated.problems)


def division_problems(portals: Iterable[Portal]) -> list[RowProblem]:
    """Rows whose code is no division of the division data, or lies in another province."""
    from crawler import divisions  # the division data is read only when a registry is checked

    known = divisions.all_divisions()
    problems = []
    for portal in portals:
        county = portal.code[:6]
        if county not in known:
            problems.append(RowProblem(portal.line, f"code {portal.code} is no division in the division data"))
            continue
        province = divisions.name_of(county[:2] + "0000")
        if portal.province and not _matches(province, "", portal.province):
            problems.append(RowProblem(portal.line, f"code {portal.code} is in {province}, not {portal.province}"))
    return problems


def registry_digest(portals: Iterable[Portal]) -> str:
    """A digest of the rows that matter to a crawl (code and URL), in code order."""
    lines = sorted(f"{p.code},{p.url}" for p in portals)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


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
    city: str | Iterable[str] | None = None,
    sample: int | str | None = None,
) -> list[Portal]:
    """Filter portals: ``codes`` exact division codes; ``province`` names or 2-digit codes;
    ``city`` names or 4-digit codes; then ``sample`` of them at random.

    A name matches with or without its suffix (``内蒙古`` matches ``内蒙古自治区``). The
    sample is reproducible: seeded by its size and the digest of the rows it is drawn from,
    so a pilot crawl of ``sample=50`` takes the same 50 portals until the registry changes.
    """
    wanted_codes = set(_split(codes))
    provinces = _split(province)
    cities = _split(city)
    chosen = []
    for portal in portals:
        if wanted_codes and portal.code not in wanted_codes:
            continue
        if provinces and not any(_matches(portal.province, portal.code[:2], p) for p in provinces):
            continue
        if cities and not any(_matches(portal.city, portal.code[:4], c) for c in cities):
            continue
        chosen.append(portal)
    if sample is None or sample == "":
        return chosen
    size = int(sample) if str(sample).strip().isdigit() else 0
    if size < 1:
        raise ValueError(f"sample must be a positive number of portals, not {sample!r}")
    rng = random.Random(f"sample:{size}:{registry_digest(chosen)}")
    drawn = {p.code for p in rng.sample(sorted(chosen, key=lambda p: p.code), min(size, len(chosen)))}
    return [p for p in chosen if p.code in drawn]


def _matches(name: str, code_prefix: str, wanted: str) -> bool:
    if wanted.isdigit():
        return code_prefix.startswith(wanted[:len(code_prefix)])
    return bool(name) and (name == wanted or name.startswith(wanted) or wanted.startswith(name))


DIFF_COLUMNS = ("change", "code", "name", "level", "province", "old_url", "new_url")


def registry_diff(found: Iterable[dict[str, str]], bundled: Iterable[Portal]) -> list[dict[str, str]]:
    """What a registry walk changes in ``bundled``: ``new`` and ``changed_url`` rows, and
    ``gone`` rows of the provinces and levels the walk covered but did not find again."""
    found_by_code = {row["code"]: row for row in found}
    covered = {(code[:2], row["level"]) for code, row in found_by_code.items()}
    out = []
    old_by_code = {portal.code: portal for portal in bundled}
    for code, row in sorted(found_by_code.items()):
        old = old_by_code.get(code)
        if old is None:
            out.append({"change": "new", **_diff_row(row), "old_url": "", "new_url": row["url"]})
        elif _url_key(old.url) != _url_key(row["url"]) or urlsplit(old.url).scheme != urlsplit(row["url"]).scheme:
            out.append({"change": "changed_url", **_diff_row(row), "old_url": old.url, "new_url": row["url"]})
    for code, old in sorted(old_by_code.items()):
        if code not in found_by_code and (code[:2], old.level) in covered:
            out.append({"change": "gone", **_diff_row(old.as_row()), "old_url": old.url, "new_url": ""})
    return out


def _diff_row(row: dict[str, str]) -> dict[str, str]:
    return {key: row.get(key, "") for key in ("code", "name", "level", "province")}


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
