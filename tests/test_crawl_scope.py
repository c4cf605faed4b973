"""Scope: the registrable domain of each portal, registry-listed hosts, internal IP addresses."""

from __future__ import annotations

from crawler.registry import Portal
from crawler.scope import Scope, registrable_domain

COUNTY = Portal("152223", "扎赉特旗人民政府", "county", "内蒙古自治区", "兴安盟", "http://www.zltq.gov.cn/",
                {"hosts": "zltq.nmg.gov.cn"})
LOOPBACK = Portal("999999", "测试门户", "county", "", "", "http://127.0.0.1:8080/")


def test_registrable_domain_uses_the_public_suffix_list_offline():
    assert registrable_domain("www.zltq.gov.cn") == "zltq.gov.cn"
    assert registrable_domain("czz.zltq.gov.cn") == "zltq.gov.cn"
    assert registrable_domain("WWW.Hegang.GOV.CN") == "hegang.gov.cn"
    assert registrable_domain("10.0.0.1") == "10.0.0.1"


def test_portal_stays_in_its_domain_plus_listed_hosts():
    scope = Scope([COUNTY])
    assert scope.refusal("http://www.zltq.gov.cn/zwgk/", "152223") is None
    assert scope.refusal("http://bzlg.zltq.gov.cn/", "152223") is None       # a township sub-domain
    assert scope.refusal("http://zltq.nmg.gov.cn/xxgk/", "152223") is None   # listed by the registry
    assert "outside zltq.gov.cn" in scope.refusal("https://www.gov.cn/", "152223")
    assert "outside" in scope.refusal("http://www.nmg.gov.cn/", "152223")
    assert "scheme" in scope.refusal("ftp://www.zltq.gov.cn/a.pdf", "152223")


def test_internal_ip_literals_are_refused_unless_the_portal_lives_there():
    scope = Scope([COUNTY, LOOPBACK])
    for url in ("http://127.0.0.1/admin", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/", "http://10.1.2.3/"):
        assert "internal IP" in scope.refusal(url, "152223")
    assert scope.refusal("http://127.0.0.1:8080/zwgk/", "999999") is None
    assert scope.refusal("http://127.0.0.2/", "999999") is not None


def test_requests_without_a_portal_must_fit_some_portal():
    scope = Scope([COUNTY])
    assert scope.refusal("http://www.zltq.gov.cn/robots.txt", None) is None
    assert scope.refusal("http://www.example.com/robots.txt", None) is not None
