"""`scrapy crawl portal_registry` builds the registry by walking site directories."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import divisions, registry_walk
from crawler.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
        "-s", "DOWNLOAD_TIMEOUT=10", "-s", "RETRY_TIMES=1"]


def walk(replica, out: Path) -> list[dict[str, str]]:
    provinces = ",".join(p["url"] for p in replica.truth["portals"] if p["level"] == "province")
    env = dict(os.environ, http_proxy=replica.proxy_url)
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "portal_registry", "-a", f"provinces={provinces}",
                           "-a", f"out={out}", *FAST], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return list(csv.DictReader(out.open(encoding="utf-8")))


def key(row: dict[str, str]) -> tuple[str, str, str, str, str, str]:
    return (row["code"], row["name"], row["level"], row["province"], row["city"], row["url"])


@pytest.mark.parametrize("seed, faults", [(1, False), (2, False), (3, False), (2, True)])
def test_the_walk_finds_every_county_and_township_portal_and_nothing_else(seed, faults, replica_factory, tmp_path):
    replica = replica_factory(seed=seed, faults=faults)
    before = len(replica.request_log)
    found = walk(replica, tmp_path / "portals.csv")
    expected = list(csv.DictReader(io.StringIO(replica.network.registry_csv())))
    assert {key(r) for r in found} == {key(r) for r in expected}
    assert all(r["source"].startswith("portal_registry walk") for r in found)
    hosts = {p["host"] for p in replica.truth["portals"]}
    asked = {entry["host"] for entry in replica.request_log[before:]}
    assert asked <= hosts  # the walk stayed on government sites of the network
    changes = list(csv.DictReader((tmp_path / "portals.diff.csv").open(encoding="utf-8")))
    by_kind = {kind: {c["code"] for c in changes if c["change"] == kind} for kind in ("new", "changed_url", "gone")}
    bundled = load_registry().by_code()
    found_codes = {row["code"] for row in found}
    assert {row["code"] for row in found if row["level"] == "township"} <= by_kind["new"]
    for row in found:  # the replica's portals are real counties, mostly on made-up hosts
        old = bundled.get(row["code"])
        if old is not None:
            assert (row["code"] in by_kind["changed_url"]) == (old.url.rstrip("/") != row["url"].rstrip("/")), row
    walked = {row["code"][:2] for row in found}
    assert by_kind["gone"] and not by_kind["gone"] & found_codes
    assert {code[:2] for code in by_kind["gone"]} <= walked


def test_names_repeated_across_the_country_match_only_inside_their_directory():
    gulou = [d for d in divisions.all_divisions().values() if d.name == "鼓楼区"]
    assert len(gulou) > 1
    assert divisions.match("鼓楼区") is None
    fuzhou = next(d for d in divisions.all_divisions().values() if d.name == "福州市")
    match = divisions.match("鼓楼区人民政府", within=fuzhou.code)
    assert match is not None and match.code.startswith(fuzhou.code[:4]) and match.level == "county"


def test_a_township_takes_the_code_printed_beside_its_link():
    page = """<html><body><table>
      <tr><th>乡镇（街道）</th><th>区划代码</th><th>网站</th></tr>
      <tr><td>寿乐街道</td><td>150424002</td><td><a href="http://shoule.linxi.gov.cn/">shoule.linxi.gov.cn</a></td></tr>
      <tr><td>他县某镇</td><td>150425100</td><td><a href="http://mouzhen.other.gov.cn/">网站</a></td></tr>
      <tr><td>新城镇</td><td></td><td><a href="http://xincheng.linxi.gov.cn/">网站</a></td></tr>
    </table><a href="http://www.gov.cn/">中国政府网</a><a href="/xzqh/index.html">行政区划</a></body></html>"""
    links = {link.url: link for link in registry_walk.site_links("http://www.linxi.gov.cn/xzqh/index.html", page)}
    assert registry_walk.township_code(links["http://shoule.linxi.gov.cn/"], "150424") == "150424002"
    assert registry_walk.township_code(links["http://mouzhen.other.gov.cn/"], "150424") is None
    assert registry_walk.township_code(links["http://xincheng.linxi.gov.cn/"], "150424") is None
    assert registry_walk.directory_links("http://www.linxi.gov.cn/", page) == ["http://www.linxi.gov.cn/xzqh/index.html"]


def test_site_name_prefers_the_government_meta_tag():
    assert registry_walk.site_name('<meta name="SiteName" content="林西县人民政府"><title>首页_林西</title>') == "林西县人民政府"
    assert registry_walk.site_name("<title>首页_林西县人民政府</title>") == "林西县人民政府"
