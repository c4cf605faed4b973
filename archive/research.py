"""Researchers' views of the archive: coverage, timeliness, format conformity, failed
checks, cross-year mismatches and text reuse; and charts of them.

The unit is one report: one organ's report on one year. When the archive holds the same
report at several URLs (moved, republished, mirrored), the copy seen most recently
stands for it. Every view is a plain dict (JSON-ready) computed from the newest parse of
each document; nothing is written.

- Timeliness follows Articles 49-50 of the regulations (report-format.md): a county
  government's own report (``organ_level`` county) is due by 31 March of the following
  year, every other report (departments, townships) by 31 January. The publication date
  is the report's own, else that of the page the attachment hangs from.
- Format conformity: reports on 2021 onwards should use the 2021 template, earlier ones
  the 2019 template; a section is missing when the parser found no text under it.
- Cross-year mismatches: this year's table 3 ``carried_in`` should equal last year's
  ``carried_out`` of the same organ, column by column.
- Text reuse: the share of a report's sentences that also occur in the same organ's
  report on the previous year. Digits are masked first, so a sentence copied with only
  its year or numbers updated counts as copied; sentences shorter than
  ``MIN_SENTENCE_CHARS`` (table cells, headings) are left out.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from archive.db import Archive
from archive.export import failed_checks, records
from parsers import keys

REPORT_KINDS = ("report", "image_only")  # published reports, read or not
VIEWS = ("coverage", "timeliness", "format", "failed_checks", "cross_year", "text_reuse")
NEW_TEMPLATE_FROM = 2021
MIN_SENTENCE_CHARS = 10
_SENTENCE_END = re.compile(r"[。！？；!?;\n]+")
_DIGITS = re.compile(r"[0-9０-９]+(?:\.[0-9]+)?")
_SPACE = re.compile(r"\s+")

Progress = Callable[[Iterable[Any]], Iterable[Any]]


def deadline(organ_level: str | None, report_year: int) -> dt.date:
    """The last day to publish: 31 March for a county government, else 31 January."""
    if organ_level == "county":
        return dt.date(report_year + 1, 3, 31)
    return dt.date(report_year + 1, 1, 31)


def load(db: Archive, progress: Progress = iter) -> list[dict[str, Any]]:
    """One record per report (organ and year), the most recently seen copy, with its
    publication date completed from its page and its text."""
    everything = list(records(db, progress=progress))
    published_by_url = {r["source"]["url"]: r.get("published_on") for r in everything}
    texts = {row["report_id"]: row["text"] for row in db.query(
        "SELECT report_id, text FROM report_text WHERE report_id IN (SELECT id FROM current)")}
    chosen: dict[tuple[str, int], dict[str, Any]] = {}
    unmatched: list[dict[str, Any]] = []  # no organ or year: cannot be told apart from copies
    for record in everything:
        if record.get("kind") not in REPORT_KINDS:
            continue
        record["published_on"] = record.get("published_on") or published_by_url.get(
            record["source"].get("attachment_of"))
        record["text"] = texts.get(record["report_id"])
        if not record.get("organ") or not record.get("report_year"):
            record["unit"] = None
            unmatched.append(record)
            continue
        unit = (record["organ"], record["report_year"])
        record["unit"] = unit
        held = chosen.get(unit)
        if held is None or (record["last_seen"], record["document_id"]) > (
                held["last_seen"], held["document_id"]):
            chosen[unit] = record
    return sorted([*chosen.values(), *unmatched], key=lambda r: r["report_id"])


def _identity(record: dict[str, Any]) -> dict[str, Any]:
    return {"organ": record.get("organ"), "organ_level": record.get("organ_level"),
            "report_year": record.get("report_year"), "url": record["source"]["url"]}


def coverage(reports: list[dict[str, Any]], portals: list[dict[str, Any]]) -> dict[str, Any]:
    """Portals x years: how many organs published a report, and which."""
    organs: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    unknown: Counter[str] = Counter()
    for record in reports:
        code = record.get("portal_code") or "(none)"
        if record["unit"] is None:
            unknown[code] += 1
        else:
            organs[code][record["report_year"]].add(record["organ"])
    years = sorted({year for by_year in organs.values() for year in by_year})
    listed = {p["code"]: p for p in portals}
    rows = []
    for code in sorted(set(listed) | set(organs) | set(unknown)):
        portal = listed.get(code, {})
        if code not in organs and code not in unknown and portal.get("level") not in (
                "county", "township"):
            continue  # provincial and city portals carry no county reports of their own
        rows.append({
            "code": code, "name": portal.get("name"), "level": portal.get("level"),
            "province": portal.get("province"),
            "published": {str(y): len(organs[code].get(y, ())) for y in years},
            "organs": {str(y): sorted(organs[code][y]) for y in years if organs[code].get(y)},
            "year_unknown": unknown[code],
        })
    return {"years": years, "portals": rows}


def timeliness(reports: list[dict[str, Any]]) -> dict[str, Any]:
    by_level: dict[str, Counter[str]] = defaultdict(Counter)
    by_year: dict[str, Counter[str]] = defaultdict(Counter)
    late = []
    for record in reports:
        if record["unit"] is None:
            continue
        level, year = record.get("organ_level") or "unknown", record["report_year"]
        due = deadline(level, year)
        if not record.get("published_on"):
            outcome = "unknown"
        else:
            published = dt.date.fromisoformat(record["published_on"])
            outcome = "on_time" if published <= due else "late"
            if outcome == "late":
                late.append({**_identity(record), "published_on": record["published_on"],
                             "deadline": due.isoformat(), "days_late": (published - due).days})
        by_level[level][outcome] += 1
        by_year[str(year)][outcome] += 1
    return {
        "rule": "county government: 31 March of the next year; others: 31 January",
        "by_level": {k: dict(v) for k, v in sorted(by_level.items())},
        "by_year": {k: dict(v) for k, v in sorted(by_year.items())},
        "late": sorted(late, key=lambda r: (r["report_year"], r["organ"])),
    }


def format_conformity(reports: list[dict[str, Any]]) -> dict[str, Any]:
    by_year: dict[str, Counter[str]] = defaultdict(Counter)
    missing: Counter[str] = Counter()
    departures = []
    read = [r for r in reports if r.get("kind") == "report" and r["unit"] is not None]
    for record in read:
        year, used = record["report_year"], record.get("table_format") or "none"
        expected = "2021" if year >= NEW_TEMPLATE_FROM else "2019"
        by_year[str(year)][used] += 1
        sections = record.get("sections") or {}
        absent = [key for key in keys.SECTION_KEYS if not (sections.get(key) or "").strip()]
        missing.update(absent)
        if used != expected or absent:
            departures.append({**_identity(record), "table_format": used, "expected": expected,
                               "missing_sections": absent})
    return {
        "by_year": {k: dict(v) for k, v in sorted(by_year.items())},
        "old_template_from_2021": sum(
            1 for r in read if r["report_year"] >= NEW_TEMPLATE_FROM and r.get("table_format") == "2019"),
        "sections_missing": {key: missing[key] for key in keys.SECTION_KEYS},
        "reports": len(read),
        "reports_missing_sections": sum(1 for d in departures if d["missing_sections"]),
        "departures": departures,
    }


def failed_check_view(reports: list[dict[str, Any]]) -> dict[str, Any]:
    by_check: Counter[str] = Counter()
    by_level: dict[str, Counter[str]] = defaultdict(Counter)
    failing = []
    read = [r for r in reports if r.get("kind") == "report"]
    for record in read:
        failed = failed_checks(record)
        by_check.update(failed)
        level = record.get("organ_level") or "unknown"
        by_level[level]["failing" if failed else "passing"] += 1
        if failed:
            failing.append({**_identity(record), "failed": failed})
    return {
        "reports": len(read),
        "reports_failing": len(failing),
        "by_check": dict(sorted(by_check.items())),
        "by_level": {k: dict(v) for k, v in sorted(by_level.items())},
        "failing": failing,
    }


def cross_year(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """This year's carried_in against the same organ's carried_out of the year before."""
    read = {r["unit"]: r for r in reports if r.get("kind") == "report" and r["unit"]}
    pairs, mismatches = 0, []
    for (organ, year), record in sorted(read.items()):
        previous = read.get((organ, year - 1))
        if previous is None:
            continue
        pairs += 1
        now, before = record.get("values") or {}, previous.get("values") or {}
        for column in keys.T3_COLUMN_KEYS:
            carried_in = now.get(f"t3.carried_in.{column}")
            carried_out = before.get(f"t3.carried_out.{column}")
            if carried_in is not None and carried_out is not None and carried_in != carried_out:
                mismatches.append({**_identity(record), "column": column,
                                   "carried_in": carried_in,
                                   "previous_carried_out": carried_out})
    return {
        "pairs": pairs,
        "pairs_mismatched": len({(m["organ"], m["report_year"]) for m in mismatches}),
        "mismatches": mismatches,
    }


def sentences(text: str) -> list[str]:
    """Normalised sentences of ``text``: whitespace dropped, digits masked, short ones out."""
    out = []
    for piece in _SENTENCE_END.split(text):
        sentence = _DIGITS.sub("#", _SPACE.sub("", piece))
        if len(sentence) >= MIN_SENTENCE_CHARS:
            out.append(sentence)
    return out


def reuse_share(text: str, previous_text: str) -> tuple[int, int]:
    """(sentences of ``text`` also in ``previous_text``, sentences of ``text``)."""
    current, earlier = sentences(text), set(sentences(previous_text))
    return sum(1 for s in current if s in earlier), len(current)


def text_reuse(reports: list[dict[str, Any]]) -> dict[str, Any]:
    read = {r["unit"]: r for r in reports if r.get("text") and r["unit"]}
    rows = []
    for (organ, year), record in sorted(read.items()):
        previous = read.get((organ, year - 1))
        if previous is None:
            continue
        copied, total = reuse_share(record["text"], previous["text"])
        if total:
            rows.append({**_identity(record), "sentences": total, "copied": copied,
                         "share": round(copied / total, 4)})

    def mean_by(field: str) -> dict[str, float]:
        groups: dict[str, list[float]] = defaultdict(list)
        for row in rows:
            groups[str(row[field])].append(row["share"])
        return {k: round(statistics.fmean(v), 4) for k, v in sorted(groups.items())}

    return {
        "pairs": len(rows),
        "mean_share": round(statistics.fmean(r["share"] for r in rows), 4) if rows else None,
        "by_level": mean_by("organ_level"),
        "by_year": mean_by("report_year"),
        "reports": rows,
    }


def views(db: Archive, names: Iterable[str] = VIEWS, progress: Progress = iter) -> dict[str, Any]:
    """The named views of the archive, computed from one read of it."""
    reports = load(db, progress)
    out: dict[str, Any] = {}
    for name in names:
        if name == "coverage":
            out[name] = coverage(reports, list(db.query("SELECT * FROM portals")))
        elif name == "timeliness":
            out[name] = timeliness(reports)
        elif name == "format":
            out[name] = format_conformity(reports)
        elif name == "failed_checks":
            out[name] = failed_check_view(reports)
        elif name == "cross_year":
            out[name] = cross_year(reports)
        elif name == "text_reuse":
            out[name] = text_reuse(reports)
        else:
            raise ValueError(f"unknown view {name!r}: choose from {', '.join(VIEWS)}")
    return out


# -- text -------------------------------------------------------------------------


def _counts_table(rows: dict[str, dict[str, int]], columns: list[str]) -> list[str]:
    lines = ["  " + "\t".join(["", *columns])]
    lines += ["  " + "\t".join([name, *(str(counts.get(c, 0)) for c in columns)])
              for name, counts in rows.items()]
    return lines


def render_text(name: str, view: dict[str, Any]) -> str:
    """A short plain-text summary of one view (``--json`` gives every detail)."""
    if name == "coverage":
        lines = ["  " + "\t".join(["portal", "level", *map(str, view["years"]), "year?"])]
        lines += ["  " + "\t".join([f"{p['code']} {p['name'] or ''}".strip(), p["level"] or "?",
                                    *(str(p["published"][str(y)]) for y in view["years"]),
                                    str(p["year_unknown"])]) for p in view["portals"]]
    elif name == "timeliness":
        lines = [f"  rule: {view['rule']}"]
        lines += _counts_table(view["by_level"], ["on_time", "late", "unknown"])
        lines += _counts_table(view["by_year"], ["on_time", "late", "unknown"])
    elif name == "format":
        formats = sorted({f for counts in view["by_year"].values() for f in counts})
        lines = _counts_table(view["by_year"], formats)
        lines.append(f"  2019 template on {NEW_TEMPLATE_FROM} or later: "
                     f"{view['old_template_from_2021']} of {view['reports']}")
        lines.append("  sections missing: " + ", ".join(
            f"{key} {count}" for key, count in view["sections_missing"].items()))
    elif name == "failed_checks":
        lines = [f"  {view['reports_failing']} of {view['reports']} reports fail a check"]
        lines += [f"  {check}\t{count}" for check, count in view["by_check"].items()]
    elif name == "cross_year":
        lines = [(f"  {view['pairs_mismatched']} of {view['pairs']} consecutive-year pairs"
                  " disagree on carried-over applications")]
        lines += [f"  {m['organ']} {m['report_year']} {m['column']}: carried_in"
                  f" {m['carried_in']} vs {m['previous_carried_out']} carried out"
                  for m in view["mismatches"]]
    elif name == "text_reuse":
        lines = [(f"  {view['pairs']} reports with a previous-year report;"
                  f" mean share of sentences copied: {view['mean_share']}")]
        lines += [f"  {level}\t{share}" for level, share in view["by_level"].items()]
        lines += [f"  {year}\t{share}" for year, share in view["by_year"].items()]
    else:
        raise ValueError(f"unknown view {name!r}")
    return "\n".join(lines)


# -- charts -------------------------------------------------------------------------


# Fonts with the Chinese glyphs of the coverage chart's labels and province names, in the
# order they are tried (Debian: fonts-wqy-zenhei, fonts-noto-cjk).
CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")


def cjk_font() -> tuple[str, int | str]:
    """The first of ``CJK_FONTS`` matplotlib finds, with a weight it has (WenQuanYi Zen
    Hei has only 500); a clear error when there is none."""
    from matplotlib import font_manager

    for family in CJK_FONTS:
        weights = [entry.weight for entry in font_manager.fontManager.ttflist
                   if entry.name == family]
        if weights:  # the weight nearest to regular (400)
            return family, min(weights, key=lambda weight: abs(
                font_manager.weight_dict.get(weight, weight) - 400))
    raise ValueError("no font with Chinese glyphs for the coverage chart: install"
                     " fonts-wqy-zenhei or fonts-noto-cjk")


def coverage_by_province(reports: list[dict[str, Any]], portals: list[dict[str, Any]]
                         ) -> tuple[list[str], list[int], list[list[float]]]:
    """(provinces, years, reports found per county portal of each province and year):
    every report on a county's portal or its townships' portals counts for the county."""
    counties = Counter(p["province"] for p in portals if p.get("level") == "county")
    view = coverage(reports, portals)
    found: Counter[tuple[str, int]] = Counter()
    for portal in view["portals"]:
        if portal["province"] in counties:
            for year, count in portal["published"].items():
                found[(portal["province"], int(year))] += count
    provinces = sorted(counties)
    years = view["years"]
    return provinces, years, [[found[(province, year)] / counties[province] for year in years]
                              for province in provinces]


def plot(db: Archive, directory: Path, progress: Progress = iter) -> list[Path]:
    """PNG charts: coverage by province and year, reports by year and level, application
    totals over time, timeliness."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    font, weight = cjk_font()
    directory.mkdir(exist_ok=True)  # its parent must exist: a mistyped path is refused, not created
    reports = [r for r in load(db, progress) if r["unit"] is not None]
    years = sorted({r["report_year"] for r in reports})
    levels = sorted({r.get("organ_level") or "unknown" for r in reports})
    written = []

    def save(figure, name: str) -> None:
        path = directory / name
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)

    provinces, coverage_years, per_county = coverage_by_province(
        reports, list(db.query("SELECT * FROM portals")))
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"],
                         "font.weight": weight, "axes.titleweight": weight,
                         "axes.labelweight": weight}):
        figure, axes = plt.subplots(figsize=(1.6 + 0.9 * max(1, len(coverage_years)),
                                             1.6 + 0.55 * max(1, len(provinces))))
        # Grey scale: darker is more; every cell also prints its number.
        image = axes.imshow(per_county or [[0]], cmap="Greys", vmin=0, aspect="auto")
        peak = max((v for row in per_county for v in row), default=0) or 1
        for i, row in enumerate(per_county):
            for j, value in enumerate(row):
                axes.text(j, i, f"{value:.1f}", ha="center", va="center",
                          color="white" if value > peak / 2 else "black")
        axes.set_xticks(range(len(coverage_years)), [str(y) for y in coverage_years])
        axes.set_yticks(range(len(provinces)), provinces)
        axes.set(title="各省各年每个县级门户的报告数\nReports found per county portal,"
                       " by province and year",
                 xlabel="报告年度 / report year", ylabel="省份 / province")
        figure.colorbar(image, ax=axes, label="报告数 / reports per county portal")
        save(figure, "coverage_by_province_and_year.png")

    counts = Counter((r["report_year"], r.get("organ_level") or "unknown") for r in reports)
    figure, axes = plt.subplots(figsize=(7, 4))
    bottom = [0] * len(years)
    for level in levels:
        heights = [counts[(year, level)] for year in years]
        axes.bar([str(y) for y in years], heights, bottom=bottom, label=level)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set(title="Reports archived, by year reported on and organ level",
             xlabel="report year", ylabel="reports")
    axes.legend()
    save(figure, "reports_by_year_and_level.png")

    totals: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for record in reports:
        new = (record.get("values") or {}).get("t3.new.total")
        if new is not None:
            totals[record.get("organ_level") or "unknown"][record["report_year"]] += new
    figure, axes = plt.subplots(figsize=(7, 4))
    for level in levels:
        axes.plot([str(y) for y in years], [totals[level].get(y, 0) for y in years],
                  marker="o", label=level)
    axes.set(title="New applications received (t3.new.total), summed",
             xlabel="report year", ylabel="applications")
    axes.legend()
    save(figure, "applications_by_year.png")

    on_time = timeliness(reports)["by_year"]
    figure, axes = plt.subplots(figsize=(7, 4))
    labels = list(on_time)
    shares = [100 * on_time[y].get("on_time", 0) / max(1, sum(on_time[y].values()))
              for y in labels]
    axes.bar(labels, shares)
    axes.set(title="Reports published by the legal deadline", xlabel="report year",
             ylabel="% on time", ylim=(0, 100))
    save(figure, "timeliness_by_year.png")
    return written
