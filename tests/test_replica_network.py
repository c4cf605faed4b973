"""The replica portal network serves what its truth says, the way real portals serve it.

A small walker written here (not the crawler's discovery code) follows links, the TRS
JavaScript page counter, hanweb CDATA records and their paging endpoint, and 下一页 links,
so that "reachable" is checked against the served bytes, independently of the crawler.
"""

from __future__ import annotations

import ast
import csv
import gzip
import html
import io
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pdfplumber
import pytest

from conftest import unavailable
from crawler.replica import builder as replica_builder
from crawler.replica import network as replica_network
from crawler.replica.network import build_network
from crawler.replica.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
HREF = re.compile(r"""href\s*=\s*["']([^"'#]+)["']""", re.I)
TRS_PAGER = re.compile(r"createPageHTML\(\s*(?:countPage|(\d+))\s*,", re.I)
TRS_COUNT = re.compile(r"var\s+countPage\s*=\s*(\d+)")
HANWEB_PROXY = re.compile(r"proxyUrl:\s*'([^']+)'.*?perPage:\s*(\d+),\s*totalRecord:\s*(\d+).*?columnid:\s*(\d+).*?unitid:\s*'(\d+)'", re.S)


class Client:
    def __init__(self, proxy_url: str):
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url}),
                                                  _NoRedirect())

    def get(self, url: str, headers: dict[str, str] | None = None, method: str = "GET",
            data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def decode(headers: dict[str, str], body: bytes) -> str:
    charset = re.search(r"charset=([\w-]+)", headers.get("Content-Type", ""))
    codec = (charset.group(1) if charset else "gbk").lower()
    codec = "gbk" if codec in ("gb2312", "gbk") else codec
    return body.decode(codec, errors="replace")


def walk(client: Client, start: str, *, hosts: set[str], skip: tuple[str, ...] = ("/calendar/", "/search/"),
         limit: int = 5000) -> dict[str, tuple[int, dict, bytes]]:
    """Every page reachable from `start` on `hosts`, with the paging conventions expanded."""
    seen: dict[str, tuple[int, dict, bytes]] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop()
        if url in seen:
            continue
        status, headers, body = client.get(url)
        seen[url] = (status, headers, body)
        if status in (301, 302) and "Location" in headers:
            queue.append(urljoin(url, headers["Location"]))
        if status != 200 or "html" not in headers.get("Content-Type", "") and "xml" not in headers.get("Content-Type", ""):
            continue
        text = html.unescape(decode(headers, body))
        links = [urljoin(url, href) for href in HREF.findall(text)]
        count = TRS_COUNT.search(text)
        if count and TRS_PAGER.search(text):
            directory = url.rsplit("/", 1)[0]
            links += [f"{directory}/index_{n}.html" for n in range(1, int(count.group(1)))]
        jpage = HANWEB_PROXY.search(text)
        if jpage:
            proxy, per_page, total, column, unit = jpage.groups()
            group = int(per_page) * 2
            links += [urljoin(url, f"{proxy}?startrecord={s + 1}&endrecord={s + group}&perpage={per_page}"
                                   f"&columnid={column}&unitid={unit}") for s in range(group, int(total), group)]
        for link in links:
            parts = urlsplit(link)
            if parts.scheme == "http" and parts.hostname in hosts and not parts.path.startswith(skip):
                queue.append(link.split("#")[0])
    return seen


@pytest.fixture(scope="module")
def walked(replica):
    client = Client(replica.proxy_url)
    hosts = set(replica.network.sites)
    pages: dict[str, tuple[int, dict, bytes]] = {}
    for portal in replica.truth["portals"]:
        if portal["level"] == "province":
            pages.update(walk(client, portal["url"], hosts=hosts))
    return pages


# ------------------------------------------------------------------ the proxy


def test_a_portal_home_page_comes_through_the_proxy_and_unknown_hosts_fail_like_dns(replica):
    client = Client(replica.proxy_url)
    county = next(p for p in replica.truth["portals"] if p["level"] == "county")
    status, headers, body = client.get(county["url"])
    assert status == 200
    assert county["name"] in decode(headers, body)
    status, headers, body = client.get("http://www.no-such-county.gov.cn/")
    assert status == 502 and headers.get("X-Replica-Error") == "dns"


def test_curl_through_the_proxy_returns_the_home_page(replica):
    county = next(p for p in replica.truth["portals"] if p["level"] == "county")
    out = subprocess.run(["curl", "-s", "-x", replica.proxy_url, county["url"]], capture_output=True, timeout=20)
    if out.returncode == 127:
        unavailable("curl is not installed")
    assert b"SiteIDCode" in out.stdout and b"</html>" in out.stdout


def test_requests_are_logged_with_host_and_path(replica):
    client = Client(replica.proxy_url)
    county = next(p for p in replica.truth["portals"] if p["level"] == "county")
    client.get(county["url"] + "robots.txt", headers={"User-Agent": "log-probe"})
    entry = [e for e in replica.request_log if e["headers"].get("User-Agent") == "log-probe"][-1]
    assert (entry["host"], entry["path"], entry["status"]) == (county["host"], "/robots.txt", 200)


# ------------------------------------------------------------------ structure and paging


def test_every_report_and_portal_is_reachable_by_walking_from_the_provinces(replica, walked):
    truth = replica.truth
    for report in truth["reports"]:
        assert report["url"] in walked, f"unreachable report {report['url']}"
        assert walked[report["url"]][0] == 200
    for portal in truth["portals"]:
        assert portal["url"] in walked
    for lookalike in truth["lookalikes"]:
        assert lookalike["url"] in walked


def test_three_cms_families_page_the_way_real_ones_do(replica, walked):
    families = {p["host"]: p["cms"] for p in replica.truth["portals"] if p["level"] in ("county", "township")}
    assert set(families.values()) == {"trs", "hanweb", "dynamic"}
    seen = Counter()
    for url, (status, headers, body) in walked.items():
        family = families.get(urlsplit(url).hostname)
        text = decode(headers, body)
        if family == "trs" and re.search(r"/index_\d+\.html$", url):
            seen["trs_page_n"] += 1
            first = walked[url.rsplit("/", 1)[0] + "/index.html"]
            first_text = decode(first[1], first[2])
            assert "createPageHTML(" in first_text and "index_1.html" not in first_text  # count lives only in JS
        if family == "hanweb" and "dataproxy.jsp" in url:
            seen["hanweb_proxy"] += 1
            assert "<recordset>" in text and ("<![CDATA[" in text or "<totalrecord>0<" in text)
        if family == "hanweb" and '<script type="text/xml">' in text:
            seen["hanweb_cdata"] += 1
        if family == "dynamic" and "page=" in url:
            seen["query_paging"] += 1
            assert "下一页" in text or "尾页" not in text
    assert seen["trs_page_n"] and seen["hanweb_proxy"] and seen["hanweb_cdata"] and seen["query_paging"], seen


def test_jpage_paging_endpoint_answers_post_as_well_as_get(replica, walked):
    proxied = [url for url in walked if "dataproxy.jsp" in url]
    assert proxied
    url = proxied[0]
    base, query = url.split("?", 1)
    status, _, body = Client(replica.proxy_url).get(base, method="POST", data=query.encode())
    assert status == 200 and body == walked[url][2]


def test_reports_sit_in_year_and_organ_subcolumns_and_townships_on_their_own_subdomains(replica, walked):
    truth = replica.truth
    levels = Counter(r["organ_level"] for r in truth["reports"])
    assert levels["county"] and levels["department"] and levels["township"]
    townships = [p for p in truth["portals"] if p["level"] == "township"]
    assert townships
    for township in townships:
        county = next(p for p in truth["portals"] if p["host"] == township["parent"])
        assert township["host"].split(".", 1)[1] == county["host"].split(".", 1)[1]
        assert any(r["url"].startswith(township["url"]) for r in truth["reports"])
    # the report columns (by the ColumnName they print) list year sub-columns on some portals,
    # organ sub-columns (本级/部门/乡镇年报) on others
    names = "|".join(map(re.escape, replica_builder.REPORT_COLUMN_NAMES))
    column_name = re.compile(rf'<meta name="ColumnName" content="(?:{names})"/>')
    columns = [text for text in (decode(h, b) for _, h, b in walked.values()) if column_name.search(text)]
    assert any(re.search(r">20\d\d年(?:度|度报告)?</a>", text) for text in columns)
    assert any("部门年报</a>" in text for text in columns)


# ------------------------------------------------------------------ report pages


def test_report_pages_wear_real_chrome_and_government_meta_tags(replica, walked):
    html_reports = [r for r in replica.truth["reports"] if r["kind"] == "html"]
    for report in html_reports:
        status, headers, body = walked[report["url"]]
        text = decode(headers, body)
        for needle in ("SiteName", "SiteIDCode", "ColumnName", "ArticleTitle", "PubDate", "ContentSource",
                       "当前位置", "主办单位", "ICP备", "网站标识码", "打印", "分享"):
            assert needle in text, (needle, report["url"])
        assert re.search(rf'name="PubDate" content="{report["published_on"]} \d\d:\d\d"', text)
        assert ("发布日期" in text and "索引号" in text) or "发布时间" in text


def test_reports_come_in_every_layout_format_and_shape(replica_factory):
    reports = [r for seed in (1, 2, 3) for r in replica_factory(seed=seed).truth["reports"]]
    layouts = Counter(r["layout"] for r in reports)
    assert {"html_table", "cell_per_line", "pipe", "tab_text", "pdf_ruled", "pdf_unruled", "docx", "image_only"} <= set(layouts)
    assert {r["table_format"] for r in reports} == {"2019", "2021"}
    rows = Counter("t3.other_handling.total" in r["values"] for r in reports if r["table_format"] == "2021")
    assert rows[True] and rows[False]  # one-row and three-row 其他处理
    assert any(v is None for r in reports for v in r["values"].values())  # missing cells
    assert any(isinstance(r["values"].get("t2.fees.amount"), float) for r in reports)  # decimals
    assert any(r["failed_checks"] for r in reports)


def test_traditional_labels_are_printed_where_the_truth_says(replica_factory):
    for seed in range(1, 6):
        net = replica_factory(seed=seed).network
        for report in net.truth()["reports"]:
            if report["kind"] == "html":
                spec = replica_network._spec(seed, report["organ"], report["organ_level"], report["report_year"], False)
                if spec.traditional:
                    reply = net.respond("GET", report["url"])
                    text = decode(dict(reply.headers), reply.body)
                    assert "數" in text or "處" in text or "開" in text
                    return
    pytest.fail("no report printed in Traditional characters in seeds 1-5")


def test_attachments_are_real_pdf_and_docx_and_some_reports_exist_only_as_attachments(replica):
    truth = replica.truth
    client = Client(replica.proxy_url)
    by_kind = {kind: [r for r in truth["reports"] if r["kind"] == kind] for kind in ("pdf", "docx", "image_only")}
    assert all(by_kind.values())
    pdf = by_kind["pdf"][0]
    status, headers, body = client.get(pdf["url"])
    assert status == 200 and body.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(body)) as document:
        assert "政府信息公开" in "".join(page.extract_text() or "" for page in document.pages)
    status, headers, body = client.get(by_kind["docx"][0]["url"])
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(body)).namelist()
    status, headers, body = client.get(by_kind["image_only"][0]["url"])
    with pdfplumber.open(io.BytesIO(body)) as document:
        assert not "".join(page.extract_text() or "" for page in document.pages).strip()
        assert document.pages[0].images
    for report in by_kind["pdf"]:
        assert report["attachment_of"] and report["url"] != report["attachment_of"]
        status, headers, page = client.get(report["attachment_of"])
        links = [urljoin(report["attachment_of"], href) for href in HREF.findall(html.unescape(decode(headers, page)))]
        assert report["url"] in links


def test_pages_come_in_utf8_gbk_mislabelled_gb2312_and_undeclared(replica):
    client = Client(replica.proxy_url)
    seen = set()
    for portal in replica.truth["portals"]:
        if portal["level"] != "county" or portal["status"] != "ok":
            continue
        report = next(r for r in replica.truth["reports"] if r["portal_host"] == portal["host"] and r["kind"] == "html")
        status, headers, body = client.get(report["url"])
        content_type = headers["Content-Type"]
        charset = portal["charset"]
        seen.add(charset)
        if charset == "utf-8":
            assert "charset=utf-8" in content_type
            body.decode("utf-8")
        elif charset == "gbk":
            assert "GBK" in content_type and b'charset=gbk' in body
            body.decode("gbk")
        elif charset == "gb2312":
            assert "gb2312" in content_type and b"charset=gb2312" in body
            with pytest.raises(UnicodeDecodeError):
                body.decode("gb2312")  # the declaration is wrong: the bytes need GBK
            body.decode("gbk")
        else:
            assert "charset" not in content_type and b"charset" not in body
            body.decode("gbk")
    assert seen == {"utf-8", "gbk", "gb2312", "none"}


# ------------------------------------------------------------------ directories and registry


def test_provinces_and_cities_link_down_to_counties_and_counties_to_townships(replica, walked):
    truth = replica.truth
    by_host = {p["host"]: p for p in truth["portals"]}
    for portal in truth["portals"]:
        if portal["parent"]:
            parent = by_host[portal["parent"]]
            linking = [url for url, (_, h, b) in walked.items()
                       if urlsplit(url).hostname == parent["host"] and portal["url"].encode() in b]
            assert linking, f"{portal['name']} is not linked from {parent['name']}"
    for township in (p for p in truth["portals"] if p["level"] == "township"):
        directory = [decode(h, b) for url, (_, h, b) in walked.items()
                     if urlsplit(url).hostname == township["parent"] and township["url"].encode() in b]
        assert any(township["code"] in text for text in directory)  # 区划代码 printed beside the link


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_truth_registry_and_served_pages_agree(seed, replica_factory):
    replica = replica_factory(seed=seed)
    truth = replica.truth
    rows = list(csv.DictReader(io.StringIO(replica.network.registry_csv())))
    assert list(rows[0]) == ["code", "name", "level", "province", "city", "url"]
    expected = {(p["code"], p["name"], p["level"], p["url"]) for p in truth["portals"] if p["level"] in ("county", "township")}
    assert {(r["code"], r["name"], r["level"], r["url"]) for r in rows} == expected
    assert len({r["code"] for r in rows}) == len(rows)
    client = Client(replica.proxy_url)
    for row in rows:
        status, headers, body = client.get(row["url"])
        assert status == 200 and row["name"] in decode(headers, body)
    for report in truth["reports"]:
        reply = replica.network.respond("GET", report["page_url"])
        assert reply.status == 200
        page = decode(dict(reply.headers), reply.body)
        assert report["page_title"] in html.unescape(page)
        if report["kind"] == "html":
            assert report["organ"] in page or report["organ"] in html.unescape(page)
    for lookalike in truth["lookalikes"]:
        reply = replica.network.respond("GET", lookalike["url"])
        assert reply.status == 200 and lookalike["title"] in html.unescape(decode(dict(reply.headers), reply.body))
    urls = [r["url"] for r in truth["reports"]]
    assert len(urls) == len(set(urls))


# ------------------------------------------------------------------ look-alikes, duplicates, robots, traps


def test_lookalikes_of_every_kind_are_served_next_to_reports(replica_factory):
    kinds = Counter(l["kind"] for seed in (1, 2, 3) for l in replica_factory(seed=seed).truth["lookalikes"])
    assert set(kinds) == {"compilation_notice", "disclosure_guide", "work_plan", "report_list", "spam_mirror"}


def test_the_same_report_is_served_at_two_urls(replica):
    doubled = [r for r in replica.truth["reports"] if r["also_at"]]
    assert doubled
    for report in doubled:
        for alias in report["also_at"]:
            assert replica.network.respond("GET", alias).body == replica.network.respond("GET", report["url"]).body


def test_robots_txt_disallows_an_area_and_traps_never_end(replica):
    truth = replica.truth
    client = Client(replica.proxy_url)
    county = next(p for p in truth["portals"] if p["level"] == "county")
    status, _, robots = client.get(county["url"] + "robots.txt")
    disallowed = [d for d in truth["disallowed"] if d.startswith(county["url"])]
    for prefix in disallowed:
        assert f"Disallow: {urlsplit(prefix).path}".encode() in robots
    trap_hosts = [t for t in truth["traps"] if t.endswith("/calendar/")]
    assert trap_hosts
    url = trap_hosts[0] + "index.html?date=2024-03-08"
    for _ in range(30):
        status, headers, body = client.get(url)
        assert status == 200
        url = urljoin(url, re.search(r'href="([^"]+)">后一天', decode(headers, body)).group(1))
    assert "date=2024-04-07" in url
    status, headers, body = client.get(county["url"] + "search/index.html?q=x&page=99")
    assert status == 200 and "page=100" in decode(headers, body)


# ------------------------------------------------------------------ faults


@pytest.fixture(scope="module")
def faulty():
    """A replica of its own: faults recover after a number of hits, which other tests must not spend."""
    running = serve_in_thread(build_network(seed=1, faults=True))
    yield running
    running.stop()


def _planted(replica, kind):
    return next(f for f in replica.truth["faults_planted"] if f["kind"] == kind)


def test_faulty_portals_dead_walled_and_refused(faulty):
    client = Client(faulty.proxy_url)
    statuses = {p["status"]: p for p in faulty.truth["portals"] if p["level"] == "county"}
    assert {"dead", "waf", "robots_refused", "ok"} <= set(statuses)
    assert client.get(statuses["dead"]["url"])[0] == 502
    status, headers, body = client.get(statuses["waf"]["url"])
    assert status == 412 and b"$_ts" in body
    assert client.get(statuses["robots_refused"]["url"] + "robots.txt")[2] == b"User-agent: *\nDisallow: /\n"
    causes = {f["cause"] for f in faulty.truth["faults_planted"]}
    assert {"dns", "waf_challenge", "robots", "http_404", "http_503", "http_500", "timeout", "connection_reset",
            "redirect_chain", "redirect_loop", "too_large", "decompression_bomb"} <= causes


def test_5xx_faults_recover_on_retry(faulty):
    client = Client(faulty.proxy_url)
    for kind, code in (("retry_503", 503), ("retry_500", 500)):
        url = _planted(faulty, kind)["url"]
        assert [client.get(url)[0] for _ in range(3)] == [code, code, 200]


def test_slow_response_and_connection_reset(faulty):
    slow = _planted(faulty, "timeout")["url"]
    assert faulty.network.respond("GET", slow).delay >= 30
    assert faulty.network.respond("GET", slow).delay == 0  # the retry is answered at once
    reset = _planted(faulty, "reset")["url"]
    host = urlsplit(faulty.proxy_url)
    with socket.create_connection((host.hostname, host.port), timeout=5) as conn:
        conn.sendall(f"GET {reset} HTTP/1.1\r\nHost: {urlsplit(reset).hostname}\r\n\r\n".encode())
        with pytest.raises((ConnectionResetError, ConnectionAbortedError)):
            data = conn.recv(1024)
            if not data:
                raise ConnectionResetError("closed without an answer")
    assert Client(faulty.proxy_url).get(reset)[0] == 200


def test_redirect_chain_loop_404_oversized_and_gzip_bomb(faulty):
    client = Client(faulty.proxy_url)
    chain = _planted(faulty, "redirect_chain")
    url, hops = chain["url"], 0
    while True:
        status, headers, _ = client.get(url)
        if status not in (301, 302):
            break
        url, hops = urljoin(url, headers["Location"]), hops + 1
    assert (status, url, hops) == (200, chain["final"], 3)
    loop = _planted(faulty, "redirect_loop")["url"]
    first = client.get(loop)[1]["Location"]
    assert client.get(first)[1]["Location"] == loop
    assert client.get(_planted(faulty, "http_404")["url"])[0] == 404
    big = faulty.network.respond("GET", _planted(faulty, "too_large")["url"])
    assert len(big.body) >= 64 * 1024 * 1024
    bomb = faulty.network.respond("GET", _planted(faulty, "decompression_bomb")["url"])
    assert ("Content-Encoding", "gzip") in bomb.headers and len(bomb.body) < 2 * 1024 * 1024
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert len(inflater.decompress(bomb.body, 200 * 1024 * 1024)) >= 128 * 1024 * 1024


# ------------------------------------------------------------------ epochs


def test_epoch_two_adds_corrects_deletes_and_moves_reports(replica_factory):
    first, second = replica_factory(seed=1), replica_factory(seed=1, epoch=2)
    before = {r["url"]: r for r in first.truth["reports"]}
    after = {r["url"]: r for r in second.truth["reports"]}
    changes = second.truth["changes"]
    assert all(changes.values()), changes
    assert all(after[url]["report_year"] == 2024 for url in changes["added"])
    for url in changes["republished"]:  # reports, and the second URL of a report served at two
        if url in before:
            assert before[url]["values"] != after[url]["values"]
        assert first.network.respond("GET", url).body != second.network.respond("GET", url).body
    for url in changes["deleted"]:  # the page answers 404; an attachment may stay, linked from nowhere
        page = before[url]["attachment_of"] or url
        assert second.network.respond("GET", page).status == 404
    for move in changes["moved"]:
        reply = second.network.respond("GET", move["from"])
        assert reply.status == 301 and dict(reply.headers)["Location"] == move["to"]
        assert second.network.respond("GET", move["to"]).status == 200


def test_unchanged_pages_answer_conditional_requests_with_304(replica_factory):
    first, second = replica_factory(seed=1), replica_factory(seed=1, epoch=2)
    client = Client(second.proxy_url)
    republished = set(second.truth["changes"]["republished"])
    report = next(r for r in first.truth["reports"] if r["url"] not in republished and r["kind"] == "html")
    _, headers, body = Client(first.proxy_url).get(report["url"])
    assert client.get(report["url"], headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert client.get(report["url"], headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    changed = second.truth["changes"]["republished"][0]
    _, old_headers, _ = Client(first.proxy_url).get(changed)
    assert client.get(changed, headers={"If-None-Match": old_headers["ETag"]})[0] == 200


def test_same_seed_same_bytes_and_scaling_to_many_portals():
    assert build_network(seed=7).registry_csv() == build_network(seed=7).registry_csv()
    large = build_network(seed=7, portals=300)
    counties = [p for p in large.truth()["portals"] if p["level"] == "county"]
    assert len(counties) == 300 and len({p["host"] for p in counties}) == 300


# ------------------------------------------------------------------ separation and command line


def test_the_replica_never_imports_the_parser():
    for path in (ROOT / "crawler" / "replica").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(name.split(".")[0] == "parsers" for name in names), path


def test_ogi_replica_serve_answers_curl_like_requests():
    process = subprocess.Popen([sys.executable, "-m", "ogi.cli", "replica", "serve", "--port", "0", "--seed", "2"],
                               stdout=subprocess.PIPE, text=True)
    try:
        process.stdout.readline()
        proxy = re.search(r"proxy: (\S+)\s+e\.g\. curl -x \S+ (\S+)", process.stdout.readline())
        status, headers, body = Client(proxy.group(1)).get(proxy.group(2))
        assert status == 200 and b"SiteIDCode" in body
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ogi_replica_truth_and_registry_print_json_and_csv():
    truth = subprocess.run([sys.executable, "-m", "ogi.cli", "replica", "truth", "--seed", "3"],
                           capture_output=True, text=True, check=True).stdout
    registry = subprocess.run([sys.executable, "-m", "ogi.cli", "replica", "registry", "--seed", "3"],
                              capture_output=True, text=True, check=True).stdout
    assert '"reports"' in truth and registry.startswith("code,name,level,province,city,url\n")
    assert registry == build_network(seed=3).registry_csv()


def test_attachment_files_rendered_ahead_are_served_byte_for_byte():
    ahead, lazy = (build_network(seed=2, portals=5, faults=True) for _ in range(2))
    rendered = ahead.prerender_files()
    truth = lazy.truth()
    files = [r["url"] for r in truth["reports"] if r["url"] != r["page_url"]]
    assert files and rendered >= len(files)
    for url in files + [r["page_url"] for r in truth["reports"]][:20]:
        assert ahead.respond("GET", url).body == lazy.respond("GET", url).body, url
    # planted faults are not rendered ahead: the oversized scan stays what it is, made on demand
    too_large = [f["url"] for f in truth["faults_planted"] if f["cause"] == "too_large"]
    assert too_large and not any(url.endswith(path) for url in too_large for (_, path) in ahead._files)


def test_a_county_disclosure_area_holds_many_more_everyday_documents_than_reports(replica, walked):
    county = next(p for p in replica.truth["portals"] if p["level"] == "county" and p["status"] == "ok")
    on_county = [url for url in walked if urlsplit(url).hostname == county["host"]]
    reports = [r for r in replica.truth["reports"] if r["portal_host"] == county["host"]]
    assert len(on_county) > 10 * len(reports), (len(on_county), len(reports))
