"""The canned queries of `ogi serve`, run through Datasette's own test client on the
replica-built archive, each checked against what the archive holds (the researchers'
views of archive/research.py, computed in Python from the same archive)."""

from __future__ import annotations

import asyncio
import html
from collections import defaultdict
from pathlib import Path

import pytest
from test_research_archive import research_archive  # noqa: F401 - shared fixture

from archive import Archive, research
from archive.browse import BODY_ROUTE, CANNED_QUERIES, RESEARCH_DB, build_research_db, make_datasette


@pytest.fixture(scope="module")
def datasette(research_archive: Path, tmp_path_factory):  # noqa: F811
    snapshot = tmp_path_factory.mktemp("queries") / "research.db"
    with Archive(research_archive) as db:
        build_research_db(db, snapshot)
    return make_datasette(research_archive, snapshot)


@pytest.fixture(scope="module")
def units(research_archive: Path) -> list[dict]:  # noqa: F811
    with Archive(research_archive) as db:
        return research.load(db)


@pytest.fixture(scope="module")
def views(research_archive: Path) -> dict:  # noqa: F811
    with Archive(research_archive) as db:
        return research.views(db)


def get(datasette, path: str):
    return asyncio.run(datasette.client.get(path))


def rows(datasette, query: str) -> list[dict]:
    reply = get(datasette, f"/{RESEARCH_DB}/{query}.json?_shape=array&_size=max")
    assert reply.status_code == 200, reply.text
    found = reply.json()
    assert found, f"{query} returned nothing on the replica archive"
    return found


def test_every_canned_query_has_a_title_and_description(datasette) -> None:
    listed = get(datasette, f"/{RESEARCH_DB}.json").json()
    names = {query["name"]: query for query in listed["queries"]}
    assert set(names) == set(CANNED_QUERIES)
    for name, query in CANNED_QUERIES.items():
        assert query["title"] and len(query["description"]) > 40
        assert names[name]["title"] == query["title"]
    page = get(datasette, f"/{RESEARCH_DB}/late_reports").text
    assert html.escape(CANNED_QUERIES["late_reports"]["description"], quote=False)[:60] in page


def test_home_opens_on_the_research_database_with_facets(datasette) -> None:
    home = get(datasette, "/")
    assert home.status_code == 302 and home.headers["location"] == f"/{RESEARCH_DB}"
    table = get(datasette, f"/{RESEARCH_DB}/report_units.json?_size=0").json()
    assert {"province", "report_year", "organ_level", "kind", "table_format"} <= set(
        table["facet_results"])


def test_reports_per_county_and_year(datasette, views) -> None:
    organs: dict[tuple[str, int], set[str]] = defaultdict(set)
    for portal in views["coverage"]["portals"]:
        for year, names in portal["organs"].items():
            organs[(portal["code"][:6], int(year))].update(names)
    found = {(row["county_code"], row["report_year"]): row["organs_reporting"]
             for row in rows(datasette, "reports_per_county_and_year")}
    assert found == {unit: len(names) for unit, names in organs.items()}
    assert len({county for county, _ in found}) > 1


def test_late_reports(datasette, views) -> None:
    expected = {(r["organ"], r["report_year"], r["published_on"], r["deadline"], r["days_late"])
                for r in views["timeliness"]["late"]}
    found = rows(datasette, "late_reports")
    assert {(r["organ"], r["report_year"], r["published_on"], r["deadline"], r["days_late"])
            for r in found} == expected
    assert len(found) == len(expected)
    assert {r["organ_level"] for r in found} > {"county"}  # both deadlines in play


def test_reports_failing_a_check(datasette, views) -> None:
    expected = {(r["url"], "; ".join(r["failed"])) for r in views["failed_checks"]["failing"]}
    found = rows(datasette, "reports_failing_a_check")
    assert {(r["source_url"], r["failed_checks"]) for r in found} == expected
    assert all(r["checks_failed"] == len(r["failed_checks"].split("; ")) for r in found)


def test_carried_in_not_last_years_carried_out(datasette, views) -> None:
    expected = {(m["organ"], m["report_year"], m["column"], m["carried_in"],
                 m["previous_carried_out"]) for m in views["cross_year"]["mismatches"]}
    found = rows(datasette, "carried_in_not_last_years_carried_out")
    assert {(r["organ"], r["report_year"], r["column_key"], r["carried_in"],
             r["previous_carried_out"]) for r in found} == expected


def test_organs_without_a_report(datasette, units) -> None:
    organs, years, published = defaultdict(set), defaultdict(set), set()
    for unit in units:
        if unit["unit"] is None:
            continue
        organs[unit["portal_code"]].add(unit["organ"])
        years[unit["portal_code"]].add(unit["report_year"])
        published.add(unit["unit"])
    expected = {(code, organ, year) for code in organs for organ in organs[code]
                for year in years[code] if (organ, year) not in published}
    found = rows(datasette, "organs_without_a_report")
    assert {(r["portal_code"], r["organ"], r["missing_year"]) for r in found} == expected


def test_query_rows_link_to_archived_bytes_and_original(datasette) -> None:
    row = rows(datasette, "late_reports")[0]
    page = get(datasette, f"/{RESEARCH_DB}/late_reports").text
    assert f'href="{BODY_ROUTE}{row["sha256"]}"' in page
    assert f'href="{html.escape(row["source_url"])}"' in page
    body = get(datasette, f"{BODY_ROUTE}{row['sha256']}")
    assert body.status_code == 200 and len(body.content) > 0
