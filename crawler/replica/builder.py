"""The replica's builder: lays out a deterministic network of portals, as data.

Real provinces, cities and counties (names and division codes from `places`), each county
portal built by one of the three CMS families of `cms`, with its own annual-report column
(flat, by year or by organ type), department and township reports, townships on their own
sub-domains, look-alikes, traps and, with faults, what `faults` plants. Every URL maps to
a `Resource` whose body is rendered lazily and deterministically from (seed, URL), so a
page that did not change between epochs keeps its bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import random
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from crawler.replica import cms, faults, places, render, reports, scripted
from crawler.replica.lookalikes import render_lookalike
from crawler.replica.model import EPOCH_DATES, Organ, Resource, Site, encode, html_content_type

if TYPE_CHECKING:
    from crawler.replica.network import Network

DEFAULT_PORTALS = 8
FIRST_YEARS = {"county": 2019, "department": 2021, "township": 2021}

DEPARTMENTS = ("财政局", "教育局", "自然资源局", "住房和城乡建设局", "农业农村局", "卫生健康局",
               "市场监督管理局", "人力资源和社会保障局", "民政局", "交通运输局", "水利局", "应急管理局")
REPORT_COLUMN_NAMES = ("政府信息公开年报", "政府信息公开工作年度报告", "信息公开年报", "年度报告", "政府信息公开年度报告")
GRID_LAYOUTS = ("pdf_ruled", "pdf_unruled", "docx", "image_only")  # tables with a fixed cell grid
KIND_WEIGHTS = {"html": 62, "pdf": 20, "docx": 12, "image_only": 6}
CONTENT_TYPES = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
# Every network shows every document kind: the first open county's own reports take them.
SHOWCASE_KINDS = {2019: "image_only", 2020: "docx", 2021: "pdf", 2022: "html"}
SCHEMES = ("http", "https", "https_redirect")
CHARSETS = ("utf-8", "gbk", "gb2312", "none")  # "gb2312": declared so, but the bytes need GBK
EDITORS = ("王喆", "李堃", "张昇", "陈珺", "刘玥")  # GBK-only characters: a gb2312 decoder fails on them


class Builder:
    def __init__(self, net: Network, portals: int):
        self.net = net
        self.count = portals
        self.rng = random.Random(f"replica:{net.seed}:structure")
        self.used_hosts: set[str] = set()
        self.today = EPOCH_DATES[net.epoch]

    def stream(self, *parts: object) -> random.Random:
        """An independent random stream per purpose, so adding a page never shifts another."""
        return random.Random(":".join(map(str, (self.net.seed, *parts))))

    # -------------------------------------------------------------- sites

    def host_for(self, name: str, extra: str = "") -> str:
        base = places.pinyin(name)
        for candidate in (base, base + places.pinyin(extra)[:4], base + extra[-2:] if extra.isdigit() else None,
                          *(f"{base}{n}" for n in range(2, 50))):
            if candidate and f"www.{candidate}.gov.cn" not in self.used_hosts:
                host = f"www.{candidate}.gov.cn"
                self.used_hosts.add(host)
                return host
        raise RuntimeError(f"no free host name for {name}")

    def new_site(self, *, name: str, level: str, code: str, province: str, city: str, host: str,
                 family: cms.Family, charset: str, parent: str | None, site_code: str) -> Site:
        site = Site(host=host, name=name, level=level, code=code, province=province, city=city,
                    family=family, charset=charset, parent=parent)
        site.disallow = ["/search/", "/preview/"]
        site.chrome = cms.SiteChrome(
            site_name=name, host=host, site_code=site_code,
            icp=f"{province[:1]}ICP备{self.stream('icp', host).randint(10**7, 10**8 - 1)}号",
            nav=[], charset_meta=None if charset == "none" else charset)
        self.net.sites[host] = site
        return site

    def choose_counties(self) -> list[places.Place]:
        pool = list(places.counties())
        self.rng.shuffle(pool)
        provinces_wanted = min(31, max(2, self.count // 40 + 1))
        provinces: list[str] = []
        chosen: list[places.Place] = []
        for county in pool:
            if county.province not in provinces:
                if len(provinces) >= provinces_wanted:
                    continue
                provinces.append(county.province)
            chosen.append(county)
            if len(chosen) == self.count:
                break
        return sorted(chosen, key=lambda place: place.code)

    def build(self) -> None:
        counties = self.choose_counties()
        families = self.spread([cms.Trs(), cms.Hanweb(self.rng.randint(1, 90), self.rng.randint(100, 900) * 10),
                                cms.Dynamic()], len(counties), "families")
        charsets = self.spread(list(CHARSETS), len(counties), "charsets")
        statuses = ["ok"] * len(counties)
        # With https, portals of every kind: plain http, https, and https listed by an http URL.
        schemes = self.spread(list(SCHEMES), len(counties), "schemes") if self.net.https else ["http"] * len(counties)
        # With scripted lists, columns whose later pages only a script lists, in each style.
        lists = (self.spread(["static", *scripted.STYLES], len(counties), "lists") if self.net.scripted
                 else ["static"] * len(counties))
        if self.net.faults:
            if len(counties) < 5:
                raise ValueError("a network with faults needs at least 5 portals")
            for index, status in zip(self.stream("fault-portals").sample(range(len(counties)), 3), ("dead", "waf", "robots_refused")):
                statuses[index] = status
        provinces: dict[str, Site] = {}
        cities: dict[str, Site] = {}
        for index, county in enumerate(counties):
            province = provinces.get(county.province) or self.province_site(county)
            provinces[county.province] = province
            city = cities.get(county.city) or self.city_site(county, province)
            cities[county.city] = city
            family = families[index]
            if isinstance(family, cms.Hanweb):  # each hanweb site has its own web id
                family = cms.Hanweb(self.rng.randint(1, 90), self.rng.randint(100, 900) * 10)
            if lists[index] != "static":
                family = scripted.Scripted(family, lists[index])
            self.county_site(county, city, family, charsets[index], statuses[index], schemes[index])
        for site in list(provinces.values()) + list(cities.values()):
            self.directory_pages(site)
        faults.plant_portal_faults(self.net)

    def spread(self, options: list, count: int, purpose: str) -> list:
        """`count` choices, every option at least once when count allows, in random order."""
        rng = self.stream("spread", purpose)
        picks = (options * (count // len(options) + 1))[:count]
        rng.shuffle(picks)
        return picks

    # -------------------------------------------------------------- province and city

    def province_site(self, county: places.Place) -> Site:
        code = places.province_code(county)
        site = self.new_site(name=f"{county.province}人民政府", level="province", code=code,
                             province=county.province, city="", host=self.host_for(county.province),
                             family=cms.Trs(), charset="utf-8", parent=None, site_code=f"{code[:2]}00000001")
        return site

    def city_site(self, county: places.Place, province: Site) -> Site:
        code = places.city_code(county)
        return self.new_site(name=f"{county.city}人民政府", level="city", code=code, province=county.province,
                             city=county.city, host=self.host_for(county.city, county.province),
                             family=cms.Trs(), charset="utf-8", parent=province.host, site_code=f"{code}0001")

    def directory_pages(self, site: Site) -> None:
        """Home and 政府网站导航 / 区县政府 pages linking down to the sites below."""
        children = [child for child in self.net.sites.values() if child.parent == site.host]
        label, path = (("政府网站导航", "/zfwzdh/index.html") if site.level == "province"
                       else (self.stream("dirlabel", site.host).choice(("市县政府", "区县政府网站", "县（市、区）政府")),
                             "/sxzf/index.html"))
        site.chrome.nav = [("首页", "/"), (label, path)]
        rows = "\n".join(f'<li><a href="{child.listed_url}" target="_blank">{html.escape(child.name)}</a></li>'
                         for child in children)
        heading = "市（州）政府网站" if site.level == "province" else "县（市、区）政府网站"
        directory = (f"<div class='zfwzdh'><h3>国务院部门网站</h3><ul><li><a href='http://www.gov.cn/'>中国政府网</a></li></ul>"
                     f"<h3>{heading}</h3><ul>{rows}</ul></div>")
        self.add_html(site, path, title=label, column=label, crumbs=[("首页", "/"), (label, path)], content=directory)
        home = (f"<div class='home'><div class='banner'>{html.escape(site.name)}</div>"
                f"<div class='links'><a href='{path}'>{label}</a> <a href='http://www.gov.cn/'>中国政府网</a></div></div>")
        self.add_html(site, "/", title="首页", column="首页", crumbs=[("首页", "/")], content=home)
        self.footer_pages(site, [(label, path)])

    # -------------------------------------------------------------- county

    def county_site(self, county: places.Place, city: Site, family: cms.Family, charset: str, status: str,
                    scheme: str) -> None:
        rng = self.stream("county", county.code)
        host = self.host_for(county.name, county.city)
        name = f"{county.name}人民政府"
        site = self.new_site(name=name, level="county", code=county.code, province=county.province,
                             city=county.city, host=host, family=family, charset=charset, parent=city.host,
                             site_code=f"{county.code}{rng.randint(1, 9):04d}")
        site.status = status
        site.scheme = scheme
        # Many https portals print links to their own pages as absolute https URLs.
        site.absolute_links = scheme != "http" and self.stream("absolute-links", host).random() < 0.5
        if status == "ok" and self.net.showcase_host is None:
            self.net.showcase_host = host
        if rng.random() < 0.6:
            site.chrome.calendar_path = "/calendar/index.html?date=2024-03-08"
            site.traps.append("/calendar/")
            if rng.random() < 0.5:
                site.disallow.append("/calendar/")
        site.traps.append("/search/")
        organs = [Organ(name, "county", county.code, list(range(FIRST_YEARS["county"], 2024)))]
        for dept in rng.sample(DEPARTMENTS, rng.randint(2, 3)):
            organs.append(Organ(f"{county.name}{dept}", "department", None, self.years(rng, "department")))
        towns = places.township_names(rng, rng.randint(2, 4))
        codes = places.township_codes(county.code, towns)
        own_site = rng.randrange(len(towns)) if status == "ok" and rng.random() < 0.7 else None
        township_sites = {}
        for index, ((town, kind), code) in enumerate(zip(towns, codes)):
            organ_name = f"{county.name}{town}{'办事处' if kind == '街道' else '人民政府'}"
            organ = Organ(organ_name, "township", code, self.years(rng, "township"))
            organs.append(organ)
            if index == own_site:
                township_sites[organ_name] = (town, code)
        CountyLayout(self, site, organs, township_sites, towns, codes, rng).build()

    def years(self, rng: random.Random, level: str) -> list[int]:
        first = rng.randint(FIRST_YEARS[level], 2022)
        return list(range(first, 2024))

    # -------------------------------------------------------------- resources

    def add_html(self, site: Site, path: str, *, title: str, column: str, crumbs: list[tuple[str, str]],
                 content: str | Callable[[], str], article: dict | None = None,
                 modified: dt.date | None = None) -> None:
        def make() -> bytes:
            body = content() if callable(content) else content
            return encode(site, cms.page(site.chrome, title=title, column_name=column, breadcrumbs=crumbs,
                                                   content=body, article=article,
                                                   rng=self.stream("chrome", site.host, path)))
        site.resources[path] = Resource(html_content_type(site), make, modified or self.today)

    def footer_pages(self, site: Site, columns: list[tuple[str, str]]) -> None:
        """网站地图, 联系我们 and 网站声明, linked from every footer."""
        sitemap = "<div class='sitemap'><ul>" + "".join(
            f"<li><a href='{html.escape(path)}'>{html.escape(name)}</a></li>" for name, path in columns) + "</ul></div>"
        self.add_html(site, "/wzdt/", title="网站地图", column="网站地图", crumbs=[("首页", "/"), ("网站地图", "/wzdt/")],
                      content=sitemap)
        self.add_html(site, "/lxwm/", title="联系我们", column="联系我们", crumbs=[("首页", "/"), ("联系我们", "/lxwm/")],
                      content=f"<p>{html.escape(site.name)}办公室　电话：0{self.stream('tel', site.host).randint(100, 999)}-"
                              f"{self.stream('tel', site.host).randint(1000000, 9999999)}</p>")
        self.add_html(site, "/wzsm/", title="网站声明", column="网站声明", crumbs=[("首页", "/"), ("网站声明", "/wzsm/")],
                      content="<p>本网站所载内容，版权归本网站所有。转载请注明来源。</p>")


class CountyLayout:
    """The pages of one county portal: home, disclosure area, report columns, articles."""

    def __init__(self, builder: Builder, site: Site, organs: list[Organ], township_sites: dict[str, tuple[str, str]],
                 towns: list[tuple[str, str]], town_codes: list[str], rng: random.Random):
        self.b, self.site, self.organs, self.rng = builder, site, organs, rng
        self.township_sites = township_sites
        self.towns, self.town_codes = towns, town_codes
        self.net = builder.net
        self.family = site.family
        self.visible = site.status == "ok"  # reports behind a dead, walled or refused portal are in no truth

    def pick(self, *key: object) -> random.Random:
        """A stream per decision: what epoch 2 adds never shifts what epoch 1 drew."""
        return self.b.stream(self.site.host, *key)

    def column(self, name: str, slug: str, parent: cms.Column | None) -> cms.Column:
        cid = self.b.stream("cid", self.family.name, self.site.host, slug, parent.slug if parent else "").randint(1000, 99999)
        column = cms.Column(name=name, slug=slug, cid=cid, path=self.family.column_path(parent, slug, cid), parent=parent)
        if parent:
            parent.children.append(column)
        return column

    def build(self) -> None:
        site, rng = self.site, self.rng
        area = self.column("政府信息公开", "zfxxgk", None)
        guide = self.column("政府信息公开指南", "zfxxgkzn", area)
        rules = self.column("政府信息公开制度", "zfxxgkzd", area)
        statutory = self.column("法定主动公开内容", "fdzdgknr", area)
        report_column = self.column(rng.choice(REPORT_COLUMN_NAMES), "zfxxgknb", area)
        plans = self.column("政务公开工作要点", "zwgkgzyd", area)
        news = self.column("要闻动态", "ywdt", None)
        towns_page = "/xzqh/index.html"
        site.chrome.nav = [("首页", "/"), ("政务公开", area.path), ("要闻动态", news.path),
                           ("办事服务", f"http://zwfw.{site.host.split('.', 1)[1]}/"),
                           ("互动交流", "/hdjl/index.html"), (f"走进{places.short_name(site.name[:-4])}", towns_page)]
        structure = rng.choice(("flat", "by_year", "by_organ"))
        sub = self.report_subcolumns(report_column, structure)
        placed: list[tuple[cms.Column, Organ, int]] = []
        township_plans = {organ.name: _TownshipPlan(self, self.township_site(organ), organ)
                          for organ in self.organs if organ.name in self.township_sites}
        for organ in self.organs:
            for year in self.years_published(organ):
                placed.append((sub(organ, year), organ, year))
        placed.sort(key=lambda item: self.published_on(item[1], item[2]), reverse=True)
        for column, organ, year in placed:
            plan = township_plans.get(organ.name)
            if plan is None:
                self.add_report(column, organ, year)
                continue
            url = plan.report_url(organ, year)
            if self.pick("list-township", organ.name, year).random() < 0.5:  # the county lists some of the township site's reports too
                column.entries.append(cms.Entry(self.cms_title(organ, year), url, self.published_on(organ, year)))
        self.add_lookalikes(report_column, guide, plans, statutory)
        self.add_alias(statutory)
        self.add_news(news)
        self.add_filler(rules, "制度")
        self.add_everyday_disclosure(area)
        if self.net.faults and site.status == "ok":
            faults.plant_faults(self, report_column)
        for column in self.all_columns(area) + [news]:
            self.publish_column(column, area)
        self.home(area, news, report_column, towns_page)
        self.b.add_html(site, "/hdjl/index.html", title="互动交流", column="互动交流",
                        crumbs=[("首页", "/"), ("互动交流", "/hdjl/index.html")],
                        content="<ul><li><a href='/hdjl/index.html'>县长信箱</a></li><li>在线访谈</li></ul>")
        self.towns_directory(towns_page, {name: plan.site for name, plan in township_plans.items()})
        for plan in township_plans.values():
            plan.finish()

    # -------------------------------------------------------------- reports

    def years_published(self, organ: Organ) -> list[int]:
        years = list(organ.years)
        if self.net.epoch >= 2:
            years.append(2024)
        return years

    def published_on(self, organ: Organ, year: int) -> str:
        return self.spec(organ, year).published_on

    def spec(self, organ: Organ, year: int) -> reports.ReportSpec:
        return _spec(self.net.seed, organ.name, organ.level, year, self.republished(organ, year))

    def republished(self, organ: Organ, year: int) -> bool:
        return (self.net.epoch >= 2 and organ.level == "county" and year == 2023
                and self.b.stream("republish", organ.name).random() < 0.5)

    def cms_title(self, organ: Organ, year: int) -> str:
        spec = self.spec(organ, year)
        return spec.title or f"{organ.name}{year}年政府信息公开工作年度报告"

    def report_subcolumns(self, report_column: cms.Column, structure: str) -> Callable[[Organ, int], cms.Column]:
        if structure == "flat":
            return lambda organ, year: report_column
        if structure == "by_year":
            years = sorted({y for organ in self.organs for y in self.years_published(organ)}, reverse=True)
            by_year = {y: self.column(self.pick("year-column", y).choice((f"{y}年度", f"{y}年", f"{y}年度报告")), f"{y}nb", report_column)
                       for y in years}
            return lambda organ, year: by_year[year]
        names = {"county": ("本级年报", "bjnb"), "department": ("部门年报", "bmnb"), "township": ("乡镇（街道）年报", "xzjdnb")}
        by_level = {level: self.column(label, slug, report_column) for level, (label, slug) in names.items()}
        return lambda organ, year: by_level[organ.level]

    def add_report(self, column: cms.Column, organ: Organ, year: int, *, site: Site | None = None) -> str:
        site = site or self.site
        spec = self.spec(organ, year)
        rng = self.b.stream("doc", organ.name, year)
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        if site.host == self.net.showcase_host and organ.level == "county" and year in SHOWCASE_KINDS:
            kind = SHOWCASE_KINDS[year]
        doc_id = site.doc_id(f"report:{organ.name}:{year}")
        date = spec.published_on
        page_path = site.family.article_path(column, date, doc_id)
        if self.deleted(organ, year):
            column_url = None
        else:
            column_url = f"{site.origin}{page_path}"
        title = self.cms_title(organ, year)
        layout = rng.choice(render.LAYOUTS) if kind == "html" else (
            rng.choice(("pdf_ruled", "pdf_unruled")) if kind == "pdf" else kind)
        article = self.article_meta(spec, title, organ, rng)
        modified = dt.date.fromisoformat(date)
        if self.republished(organ, year):
            modified = dt.date(2025, 4, 20)
        entry_url = f"{site.origin}{page_path}"
        if kind == "html":
            editor = self.editor_line(site, rng)

            def body(spec=spec, layout=layout, url=entry_url) -> str:
                return render.render_body_html(spec, layout, self.b.stream("render", url)) + editor
            self.b.add_html(site, page_path, title=title, column=column.name, crumbs=self.crumbs(column),
                            content=body, article=article, modified=modified)
            document_url = entry_url
            attachment_of = None
        else:
            ext = "pdf" if kind in ("pdf", "image_only") else "docx"
            attachment_path = site.family.attachment_path(column, date, doc_id, ext)
            document_url = f"{site.origin}{attachment_path}"
            link_text = rng.choice((f"{title}.{ext}", f"附件：{title}", "点击下载", f"{title}（{'图片版' if kind == 'image_only' else ext.upper()}）"))
            intro = rng.choice(("", f"<p>现将{html.escape(title)}予以公布。</p>", "<p>详见附件。</p>"))
            content = (f"{intro}<p class='attachment'>附件：<a href='{html.escape(site.family.href(document_url, site.link_host, page_path.rsplit('/', 1)[0]))}'>"
                       f"{html.escape(link_text)}</a></p>")
            self.b.add_html(site, page_path, title=title, column=column.name, crumbs=self.crumbs(column),
                            content=content, article=article, modified=modified)
            site.resources[attachment_path] = Resource(
                CONTENT_TYPES[ext] if "downfile.jsp" not in attachment_path else "application/octet-stream",
                _attachment_maker(spec, kind, layout, self.b.stream("render", document_url)), modified,
                headers=[("Content-Disposition", f"attachment; filename*=UTF-8''{quote(title)}.{ext}")])
            attachment_of = entry_url
        if self.deleted(organ, year):
            site.resources[page_path].status = 404
            self.net.changes["deleted"].append(document_url)  # the report: a page, or the attachment it linked
            return entry_url
        moved_from = None
        if self.moved(organ, year):
            old_path = page_path
            new_path = site.family.article_path(column, date, doc_id + 7)
            site.resources[new_path] = site.resources[old_path]
            site.resources[old_path] = Resource("text/html", bytes, modified, status=301,
                                                headers=[("Location", f"{site.origin}{new_path}")])
            moved_from, entry_url = entry_url, f"{site.origin}{new_path}"
            if document_url == moved_from:
                document_url = entry_url
                self.net.changes["moved"].append({"from": moved_from, "to": entry_url})
            else:  # only the page moved: the report, its attachment, keeps its URL
                attachment_of = entry_url
        column.entries.append(cms.Entry(title, entry_url, date))
        if self.visible:
            truth = spec.truth(keeps_grid=layout in GRID_LAYOUTS)
            truth.update({"url": document_url, "page_url": entry_url, "portal_code": self.portal_code(site),
                          "portal_host": site.host, "kind": kind, "layout": layout, "attachment_of": attachment_of,
                          "page_title": title, "also_at": [], "moved_from": moved_from})
            self.net.reports.append(truth)
            if year == 2024:
                self.net.changes["added"].append(document_url)
            if self.republished(organ, year):
                self.net.changes["republished"].append(document_url)
        return entry_url

    def deleted(self, organ: Organ, year: int) -> bool:
        return (self.net.epoch >= 2 and organ.level == "department" and year == organ.years[0]
                and self.b.stream("delete", organ.name).random() < 0.4)

    def moved(self, organ: Organ, year: int) -> bool:
        return (self.net.epoch >= 2 and organ.level == "township" and year == organ.years[-1]
                and self.b.stream("move", organ.name).random() < 0.4)

    def portal_code(self, site: Site) -> str:
        return site.code

    def article_meta(self, spec: reports.ReportSpec, title: str, organ: Organ, rng: random.Random) -> dict:
        return {"title": title, "published_on": spec.published_on,
                "time": f"{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}",
                "source": organ.name if rng.random() < 0.7 else f"{self.site.name[:-4]}人民政府办公室",
                "index_code": f"{self.site.code}{rng.randint(10**5, 10**6 - 1)}/{spec.published_on[:4]}-{rng.randint(1, 999):05d}",
                "info_table": rng.random() < 0.6, "show_title": True}

    def editor_line(self, site: Site, rng: random.Random) -> str:
        if site.charset == "utf-8":
            return ""
        return f"<p class='editor'>（责任编辑：{rng.choice(EDITORS)}）</p>"

    def crumbs(self, column: cms.Column) -> list[tuple[str, str]]:
        chain = []
        node: cms.Column | None = column
        while node is not None:
            chain.append((node.name, node.path))
            node = node.parent
        return [("首页", "/"), *reversed(chain)]

    # -------------------------------------------------------------- look-alikes and filler

    def add_lookalike(self, column: cms.Column, kind: str, year: int) -> None:
        rng = self.b.stream("lookalike", self.site.host, kind, year)
        title, body = render_lookalike(kind, self.site.name, year, rng)
        if kind == "report_list":  # a real 汇总 page links the year's actual reports
            listed = [r for r in self.net.reports if r["portal_host"] == self.site.host and r["report_year"] == year]
            body = (f"<div class='article-content'><p>现将{html.escape(self.site.name[:-4])}{year}年度政府信息公开工作年度报告汇总公布如下。</p>"
                    "<ul class='report-list'>" + "".join(
                        f"<li><a href='{html.escape(self.family.href(r['page_url'], self.site.link_host, ''))}'>{html.escape(r['page_title'])}</a></li>"
                        for r in listed) + "</ul></div>")
        date = f"{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}" if kind != "disclosure_guide" else "2022-05-10"
        path = self.family.article_path(column, date, self.site.doc_id(f"lookalike:{kind}:{year}:{column.slug}"))
        url = f"{self.site.origin}{path}"
        article = {"title": title, "published_on": date, "time": "09:30", "source": self.site.name,
                   "index_code": f"{self.site.code}/{date[:4]}-{rng.randint(1, 999):05d}", "info_table": False,
                   "show_title": True}
        self.b.add_html(self.site, path, title=title, column=column.name, crumbs=self.crumbs(column),
                        content=body, article=article, modified=dt.date.fromisoformat(date))
        column.entries.append(cms.Entry(title, url, date))
        if self.visible:
            self.net.lookalikes.append({"url": url, "kind": kind, "portal_code": self.site.code, "title": title})

    def add_lookalikes(self, report_column: cms.Column, guide: cms.Column, plans: cms.Column,
                       statutory: cms.Column) -> None:
        self.add_lookalike(report_column, "compilation_notice", 2023)
        self.add_lookalike(guide, "disclosure_guide", 2022)
        self.add_lookalike(plans, "work_plan", 2024)
        rng = self.pick("lookalikes")
        self.add_lookalike(rng.choice((plans, report_column)), "work_plan", 2023)
        self.add_lookalike(report_column if rng.random() < 0.5 else statutory, "report_list", 2022)
        if rng.random() < 0.3:
            self.add_lookalike(report_column, "spam_mirror", 2022)

    def add_alias(self, statutory: cms.Column) -> None:
        """The same county report published again under 法定主动公开内容: identical bytes, second URL."""
        if not self.visible:
            return
        own = [r for r in self.net.reports if r["portal_host"] == self.site.host and r["organ_level"] == "county"
               and r["attachment_of"] is None and r["report_year"] < 2024]
        if not own:
            return
        report = self.pick("alias").choice(sorted(own, key=lambda r: r["report_year"]))
        source = self.site.resources[urlsplit(report["url"]).path + (f"?{urlsplit(report['url']).query}" if urlsplit(report["url"]).query else "")]
        date = report["published_on"]
        path = self.family.article_path(statutory, date, self.site.doc_id(f"alias:{report['url']}"))
        self.site.resources[path] = source
        alias = f"{self.site.origin}{path}"
        statutory.entries.append(cms.Entry(report["page_title"], alias, date))
        report["also_at"].append(alias)
        if report["url"] in self.net.changes["republished"]:  # one report at two URLs: both corrected
            self.net.changes["republished"].append(alias)

    def add_news(self, news: cms.Column) -> None:
        rng = self.b.stream("news", self.site.host)
        for n in range(rng.randint(150, 400)):
            date = (dt.date(2024, 11, 20) - dt.timedelta(days=n * 2 + rng.randint(0, 1))).isoformat()
            title = rng.choice(("召开", "举办", "开展", "部署")) + rng.choice(("安全生产工作会议", "乡村振兴专题培训", "政务公开业务培训", "招商引资推介会", "防汛工作调度会")) + f"（{n + 1}）"
            self.add_plain_article(news, f"{places.short_name(self.site.name[:-4])}{title}", date, rng)

    # What a disclosure area mostly holds: notices, policy documents and the key fields, page
    # after page of them. A real county area holds thousands (平潭's holds some 72,000 beside its
    # 20 annual reports); these few hundred keep the replica quick and still make a crawl that
    # reads everything pay for it.
    EVERYDAY_COLUMNS = (
        ("通知公告", "tzgg", ("关于", "的通知"), ("做好2024年防汛工作", "开展安全生产大检查", "公布行政许可事项清单", "调整城乡低保标准", "组织春季植树造林")),
        ("政策文件", "zcwj", ("印发", "的通知"), ("乡村振兴实施方案", "优化营商环境若干措施", "耕地保护考核办法", "突发事件应急预案", "政务服务事项清单")),
        ("财政预决算", "czyjs", ("", "公开"), ("部门预算", "部门决算", "三公经费预算", "政府性基金预算", "国有资本经营预算")),
        ("重点项目", "zdxm", ("", "进展情况"), ("城区污水管网改造", "农村公路提升工程", "县人民医院迁建", "高标准农田建设", "冷链物流园")),
    )

    def add_everyday_disclosure(self, area: cms.Column) -> None:
        for name, slug, (prefix, suffix), topics in self.EVERYDAY_COLUMNS:
            column = self.column(name, slug, area)
            rng = self.b.stream("everyday", self.site.host, slug)
            for n in range(rng.randint(60, 180)):
                date = (dt.date(2024, 11, 15) - dt.timedelta(days=n * 6 + rng.randint(0, 5))).isoformat()
                title = f"{self.site.name[:-4]}{prefix}{rng.choice(topics)}{suffix}（{n + 1}）"
                self.add_plain_article(column, title, date, rng)

    def add_filler(self, column: cms.Column, topic: str) -> None:
        rng = self.b.stream("filler", self.site.host, topic)
        for n in range(rng.randint(3, 8)):
            date = f"{2019 + n % 5}-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
            self.add_plain_article(column, f"{self.site.name[:-4]}政府信息公开{rng.choice(('保密审查', '发布协调', '依申请公开'))}{topic}", date, rng)

    def add_plain_article(self, column: cms.Column, title: str, date: str, rng: random.Random) -> None:
        path = self.family.article_path(column, date, self.site.doc_id(f"article:{column.slug}:{title}:{date}"))
        text = "".join(f"<p>{html.escape(title)}。会议强调，要提高政治站位，压实工作责任，确保各项任务落到实处。</p>" for _ in range(rng.randint(2, 5)))
        article = {"title": title, "published_on": date, "time": "10:00", "source": self.site.name,
                   "index_code": f"{self.site.code}/{date[:4]}-{rng.randint(1, 999):05d}", "info_table": False, "show_title": True}
        self.b.add_html(self.site, path, title=title, column=column.name, crumbs=self.crumbs(column),
                        content=text, article=article, modified=dt.date.fromisoformat(date))
        column.entries.append(cms.Entry(title, f"{self.site.origin}{path}", date))

    # -------------------------------------------------------------- columns and pages

    def all_columns(self, root: cms.Column) -> list[cms.Column]:
        out = [root]
        for child in root.children:
            out.extend(self.all_columns(child))
        return out

    def publish_column(self, column: cms.Column, area: cms.Column, site: Site | None = None) -> None:
        site = site or self.site
        column.entries.sort(key=lambda entry: entry.date, reverse=True)
        children = column.children

        def render_list(col: cms.Column, list_html: str, paging: str, index: int) -> str:
            subnav = ""
            if children:
                subnav = "<div class='subcolumns'>" + "".join(
                    f"<a href='{c.path}'>{html.escape(c.name)}</a>" for c in children) + "</div>"
            side = "<div class='side'><ul>" + "".join(
                f"<li><a href='{c.path}'>{html.escape(c.name)}</a></li>" for c in area.children) + "</ul></div>"
            return f"{side}<div class='list-box'><h2>{html.escape(col.name)}</h2>{subnav}{list_html}{paging}</div>"

        for path, (content_type, text) in site.family.list_pages(column, site.link_host, render_list).items():
            newest = max((dt.date.fromisoformat(e.date) for e in column.entries), default=dt.date(2022, 1, 1))
            if content_type == "application/json":  # a script-filled list's API page
                site.resources[path] = Resource("application/json; charset=utf-8", (lambda t=text: t.encode("utf-8")),
                                                newest)
                continue
            if content_type == "text/xml":
                key = cms.dataproxy_key(path)
                site.resources[key] = Resource("text/xml; charset=utf-8", (lambda t=text: t.encode("utf-8")), newest)
                continue
            self.b.add_html(site, path, title=column.name, column=column.name, crumbs=self.crumbs(column),
                            content=text, modified=newest)

    def home(self, area: cms.Column, news: cms.Column, report_column: cms.Column, towns_page: str) -> None:
        site = self.site
        latest = "".join(f"<li><a href='{site.family.href(e.url, site.link_host, '')}'>{html.escape(e.title)}</a></li>"
                         for e in news.entries[:8])
        quick = (f"<div class='zwgk-links'><a href='{area.path}'>政府信息公开</a>"
                 f"<a href='{area.children[0].path}'>政府信息公开指南</a>"
                 + (f"<a href='{report_column.path}'>{html.escape(report_column.name)}</a>" if self.pick("home-quick").random() < 0.5 else "")
                 + "</div>")
        outside = ("<div class='friend-links'><select onchange='window.open(this.value)'>"
                   "<option value='http://www.gov.cn/'>中国政府网</option>"
                   f"<option value='http://{site.parent}/'>市政府</option></select>"
                   f"<a href='http://www.gov.cn/'>中国政府网</a> <a href='http://{site.parent}/'>{html.escape(site.city)}人民政府</a></div>")
        content = f"<div class='home'><div class='news'><h3>要闻动态</h3><ul>{latest}</ul></div>{quick}{outside}</div>"
        self.b.add_html(site, "/", title="首页", column="首页", crumbs=[("首页", "/")], content=content)
        self.b.footer_pages(site, [(c.name, c.path) for c in self.all_columns(area) + [news]])

    def towns_directory(self, path: str, township_own: dict[str, Site]) -> None:
        rows = []
        for (town, kind), code in zip(self.towns, self.town_codes):
            organ_name = next(o.name for o in self.organs if o.code == code)
            own = township_own.get(organ_name)
            link = f"<a href='{own.listed_url}' target='_blank'>{own.listed_url}</a>" if own else ""
            rows.append(f"<tr><td>{html.escape(town)}</td><td>{code}</td><td>{link}</td></tr>")
        table = ("<table class='xzqh'><tr><th>乡镇（街道）</th><th>区划代码</th><th>网站</th></tr>"
                 + "".join(rows) + "</table>")
        content = (f"<div class='intro'><h2>行政区划</h2><p>{html.escape(self.site.name[:-4])}辖{len(self.towns)}个乡镇（街道）。</p>"
                   f"{table}</div>")
        self.b.add_html(self.site, path, title="行政区划", column="走进", crumbs=[("首页", "/"), ("行政区划", path)],
                        content=content)

    # -------------------------------------------------------------- township sites

    def township_site(self, organ: Organ) -> Site:
        town = organ.name[len(self.site.name) - 4:]
        host = f"{places.pinyin(town.removesuffix('办事处').removesuffix('人民政府').removesuffix('街道').removesuffix('镇').removesuffix('乡'))}." \
               f"{self.site.host.split('.', 1)[1]}"
        family = self.family if self.pick("township-cms", organ.name).random() < 0.5 else cms.Dynamic()
        site = self.b.new_site(name=organ.name, level="township", code=organ.code or "", province=self.site.province,
                               city=self.site.city, host=host, family=family, charset=self.site.charset,
                               parent=self.site.host, site_code=self.site.chrome.site_code)
        site.scheme, site.absolute_links = self.site.scheme, self.site.absolute_links
        return site


class _TownshipPlan:
    """Builds a township's own portal: its report column and a home page, after the county."""

    def __init__(self, layout: CountyLayout, site: Site, organ: Organ):
        self.layout, self.site, self.organ = layout, site, organ
        self.column: cms.Column | None = None
        self.urls: dict[int, str] = {}

    def report_url(self, organ: Organ, year: int) -> str | None:
        layout, site = self.layout, self.site
        if self.column is None:
            saved = layout.family
            layout.family = site.family
            self.area = layout.column("政务公开", "zfxxgk", None)
            self.column = layout.column("政府信息公开年报", "zfxxgknb", self.area)
            layout.family = saved
        if year not in self.urls:
            self.urls[year] = layout.add_report(self.column, organ, year, site=site)
        return self.urls[year]

    def finish(self) -> None:
        layout, site = self.layout, self.site
        if self.column is None:
            return
        site.chrome.nav = [("首页", "/"), ("政务公开", self.area.path), (f"返回{layout.site.name[:-4]}政府", layout.site.url)]
        layout.publish_column(self.area, self.area, site=site)
        layout.publish_column(self.column, self.area, site=site)
        content = (f"<div class='home'><h2>{html.escape(site.name)}</h2><p><a href='{self.area.path}'>政务公开</a> "
                   f"<a href='{self.column.path}'>政府信息公开年报</a></p></div>")
        layout.b.add_html(site, "/", title="首页", column="首页", crumbs=[("首页", "/")], content=content)
        layout.b.footer_pages(site, [("政务公开", self.area.path), ("政府信息公开年报", self.column.path)])


@lru_cache(maxsize=65536)
def _spec(seed: int, organ: str, level: str, year: int, republished: bool) -> reports.ReportSpec:
    first = reports.generate_report(random.Random(f"{seed}:report:{organ}:{year}"), organ=organ,
                                    organ_level=level, report_year=year)
    if not republished:
        return first
    # A corrected edition: the same page (title, dates, URL) printing other numbers.
    corrected = reports.generate_report(random.Random(f"{seed}:report:{organ}:{year}:corrected"), organ=organ,
                                        organ_level=level, report_year=year, table_format=first.table_format,
                                        other_handling_rows=first.other_handling_rows, fail_check=False)
    return dataclasses.replace(corrected, title=first.title, published_on=first.published_on,
                               signed_on=first.signed_on, traditional=first.traditional)


def _attachment_maker(spec: reports.ReportSpec, kind: str, layout: str, rng: random.Random) -> Callable[[], bytes]:
    state = rng.getstate()

    def make() -> bytes:
        local = random.Random()
        local.setstate(state)
        if kind == "image_only":
            return render.render_image_only_pdf(spec, local)
        if kind == "docx":
            return render.render_docx(spec, local)
        return render.render_pdf(spec, local, ruled=layout == "pdf_ruled")
    return make
