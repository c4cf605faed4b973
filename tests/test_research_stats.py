"""`ogi stats` researcher views: their numbers on the replica equal the replica's truth."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections import Counter
from pathlib import Path

import matplotlib.image
import pytest
from click.testing import CliRunner
from test_research_archive import (  # noqa: F401 - shared fixture
    replica_truths,
    research_archive,
    run_cli,
)

from archive import Archive, research
from archive import cli as archive_cli
from parsers import keys


@pytest.fixture(scope="module")
def views(research_archive: Path) -> dict:  # noqa: F811
    result = run_cli(archive_cli.stats, "--archive", str(research_archive), "--view", "all",
                     "--json")
    return json.loads(result.output)


@pytest.fixture(scope="module")
def truth_units() -> dict[tuple[str, int], dict]:
    """Every report the replica published in either epoch, one per organ and year (the
    second epoch's version where both have it)."""
    units: dict[tuple[str, int], dict] = {}
    for _, truth in sorted(replica_truths().items()):
        for report in truth["reports"]:
            units[(report["organ"], report["report_year"])] = report
    return units


def test_coverage_matches_truth(views: dict, truth_units: dict) -> None:
    expected = Counter((r["portal_code"], str(r["report_year"])) for r in truth_units.values())
    published = Counter({(p["code"], year): n for p in views["coverage"]["portals"]
                         for year, n in p["published"].items() if n})
    assert published == expected
    organs = {(p["code"], year, organ) for p in views["coverage"]["portals"]
              for year, names in p["organs"].items() for organ in names}
    assert organs == {(r["portal_code"], str(r["report_year"]), r["organ"])
                      for r in truth_units.values()}
    assert all(p["year_unknown"] == 0 for p in views["coverage"]["portals"])


def test_timeliness_matches_truth(views: dict, truth_units: dict) -> None:
    expected: dict[str, Counter] = {}
    late = set()
    for report in truth_units.values():
        # Articles 49-50: a county government by 31 March, everyone else by 31 January
        month = 3 if report["organ_level"] == "county" else 1
        due = dt.date(report["report_year"] + 1, month, 31)
        on_time = dt.date.fromisoformat(report["published_on"]) <= due
        expected.setdefault(report["organ_level"], Counter())["on_time" if on_time else "late"] += 1
        if not on_time:
            late.add((report["organ"], report["report_year"]))
    assert views["timeliness"]["by_level"] == {k: dict(v) for k, v in expected.items()}
    assert {(r["organ"], r["report_year"]) for r in views["timeliness"]["late"]} == late
    assert late  # the replica publishes some reports late


def test_failed_checks_match_truth(views: dict, truth_units: dict) -> None:
    readable = [r for r in truth_units.values() if r["kind"] != "image_only"]
    expected = Counter(check for r in readable for check in r["failed_checks"])
    assert views["failed_checks"]["by_check"] == dict(expected) and expected
    assert views["failed_checks"]["reports"] == len(readable)
    assert views["failed_checks"]["reports_failing"] == sum(1 for r in readable if r["failed_checks"])


def test_cross_year_mismatches_match_truth(views: dict, truth_units: dict) -> None:
    expected, pairs = set(), 0
    for (organ, year), report in truth_units.items():
        previous = truth_units.get((organ, year - 1))
        if report["kind"] == "image_only" or not previous or previous["kind"] == "image_only":
            continue
        pairs += 1
        for column in keys.T3_COLUMN_KEYS:
            carried_in = report["values"].get(f"t3.carried_in.{column}")
            carried_out = previous["values"].get(f"t3.carried_out.{column}")
            if carried_in is not None and carried_out is not None and carried_in != carried_out:
                expected.add((organ, year, column, carried_in, carried_out))
    found = {(m["organ"], m["report_year"], m["column"], m["carried_in"],
              m["previous_carried_out"]) for m in views["cross_year"]["mismatches"]}
    assert found == expected and expected
    assert views["cross_year"]["pairs"] == pairs


def test_format_conformity_counts_templates_by_year(views: dict, truth_units: dict) -> None:
    expected: dict[str, Counter] = {}
    for report in truth_units.values():
        if report["kind"] != "image_only":
            expected.setdefault(str(report["report_year"]), Counter())[report["table_format"]] += 1
    assert views["format"]["by_year"] == {k: dict(v) for k, v in sorted(expected.items())}
    assert views["format"]["old_template_from_2021"] == sum(
        n for year, counts in expected.items() if int(year) >= 2021
        for fmt, n in counts.items() if fmt == "2019")
    assert set(views["format"]["sections_missing"]) == {
        "overview", "active_disclosure", "applications", "review_litigation", "problems",
        "other_matters"}


def test_text_reuse_measures_copied_sentences(views: dict) -> None:
    previous = ("2022年，本县严格落实政府信息公开条例，扎实推进政务公开工作。"
                "全年主动公开政府信息154条，涉及乡村振兴、社会保障等方面。"
                "存在的主要问题是信息更新不够及时。")
    current = ("2023年，本县严格落实政府信息公开条例，扎实推进政务公开工作。"  # year changed only
               "全年主动公开政府信息201条，涉及乡村振兴、社会保障等方面。"  # number changed only
               "下一步将加强培训，提升工作人员业务能力。")  # new
    assert research.reuse_share(current, previous) == (2, 3)
    assert research.reuse_share(current, "") == (0, 3)
    assert research.sentences("一、总体情况\n自然人\n12") == []  # headings and cells are not prose

    reuse = views["text_reuse"]
    assert reuse["pairs"] == len(reuse["reports"]) > 0
    assert all(0 <= r["share"] <= 1 and r["copied"] <= r["sentences"] for r in reuse["reports"])
    assert 0 < reuse["mean_share"] < 1


def test_deadline_follows_articles_49_and_50() -> None:
    assert research.deadline("county", 2023) == dt.date(2024, 3, 31)
    assert research.deadline("township", 2023) == dt.date(2024, 1, 31)
    assert research.deadline("department", 2020) == dt.date(2021, 1, 31)


def test_attachment_without_date_takes_its_page_date(tmp_path: Path) -> None:
    page_url, pdf_url = "http://www.xx.gov.cn/art/1.html", "http://www.xx.gov.cn/up/1.pdf"
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, code_version="test-sha")
        page = db.record_fetch(run_id=run, url=page_url, status=200, body=b"<html>page</html>",
                               fetched_at="2024-12-01T00:00:00Z")
        db.record_document(fetch_id=page, url=page_url, record={
            "parser_version": "t", "kind": "not_report", "published_on": "2024-02-05",
            "attachments": [{"url": pdf_url, "text": "年报"}]})
        pdf = db.record_fetch(run_id=run, url=pdf_url, status=200, body=b"%PDF-1.4 report",
                              fetched_at="2024-12-01T00:00:00Z")
        db.record_document(fetch_id=pdf, url=pdf_url, attachment_of=page_url, record={
            "parser_version": "t", "kind": "report", "organ": "某县某镇人民政府",
            "organ_level": "township", "report_year": 2023, "published_on": None,
            "table_format": "2021", "values": {}, "checks": []})
        timeliness = research.views(db, ["timeliness"])["timeliness"]
    assert timeliness["by_level"] == {"township": {"late": 1}}
    assert timeliness["late"][0]["published_on"] == "2024-02-05"
    assert timeliness["late"][0]["days_late"] == 5


def test_stats_text_and_plots(research_archive: Path, tmp_path: Path) -> None:  # noqa: F811
    charts = tmp_path / "charts"
    result = run_cli(archive_cli.stats, "--archive", str(research_archive), "--view",
                     "timeliness", "--view", "cross_year", "--plot", str(charts))
    assert "timeliness:\n  rule: county government" in result.output
    assert "consecutive-year pairs disagree" in result.output
    assert "coverage:" not in result.output
    pngs = sorted(charts.glob("*.png"))
    assert [p.name for p in pngs] == ["applications_by_year.png",
                                      "coverage_by_province_and_year.png",
                                      "reports_by_year_and_level.png", "timeliness_by_year.png"]
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_coverage_chart_counts_reports_per_county_portal(research_archive: Path,  # noqa: F811
                                                         tmp_path: Path) -> None:
    with Archive(research_archive) as db:
        units = [r for r in research.load(db) if r["unit"] is not None]
        portals = list(db.query("SELECT * FROM portals"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a glyph missing from the font is a warning
            charts = research.plot(db, tmp_path)
    counties = Counter(p["province"] for p in portals if p["level"] == "county")
    found = Counter((r["province"], r["report_year"]) for r in units)
    provinces, years, per_county = research.coverage_by_province(units, portals)
    assert provinces == sorted(counties) and len(provinces) > 1
    assert years == sorted({r["report_year"] for r in units})
    assert per_county == [[found[(p, y)] / counties[p] for y in years] for p in provinces]
    assert len({value for row in per_county for value in row}) > 1

    chart = tmp_path / "coverage_by_province_and_year.png"
    assert chart in charts
    pixels = matplotlib.image.imread(chart)[..., :3]
    assert abs(pixels - pixels.mean(axis=2, keepdims=True)).max() < 0.02  # grey scale
    assert pixels.min() < 0.2 and pixels.max() > 0.9  # from black to white


def test_coverage_chart_without_a_cjk_font_is_a_clear_error(research_archive: Path,  # noqa: F811
                                                            tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(research, "CJK_FONTS", ("No Such Font",))
    result = CliRunner().invoke(archive_cli.stats, ["--archive", str(research_archive),
                                                    "--plot", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "fonts-wqy-zenhei" in result.output
