"""`ogi demo` on a fresh machine: an empty HOME and cache, no network beyond loopback.

Run as a new user runs it: in a subprocess, in an empty working directory, with HOME and
every cache directory pointed at an empty folder (so no public-suffix list is cached) and
the replica's faults planted (its WAF pages set cookies: Scrapy's cookie middleware then
asks tldextract about their domains).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archive import Archive

OGI = str(Path(sys.executable).parent / "ogi")
PORTALS = "5"  # the fewest a replica with faults has
CLOSED_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there


def fresh_environment(home: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("TLDEXTRACT")
           and name.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               # No network, even on a machine that has one: any HTTPS request (the
               # public-suffix list is fetched over HTTPS) goes to a closed loopback port.
               https_proxy=CLOSED_PROXY, HTTPS_PROXY=CLOSED_PROXY)
    return env


def test_first_run_is_clean_and_says_what_next(tmp_path: Path) -> None:
    home, workdir = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    workdir.mkdir()
    result = subprocess.run([OGI, "demo", "--portals", PORTALS], cwd=workdir,
                            env=fresh_environment(home), capture_output=True, text=True,
                            timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    for sign_of_network in ("tldextract", "publicsuffix", "NameResolutionError",
                            "ConnectionError", "ProxyError", "Max retries"):
        assert sign_of_network not in output, output

    archive = workdir / "ogi-demo.db"
    lines = result.stdout.rstrip().splitlines()
    assert lines[-5:] == [
        "archive: ogi-demo.db",
        "next, try:",
        "  ogi serve --archive ogi-demo.db",
        "  ogi export --archive ogi-demo.db --format csv --kind report --out reports.csv",
        "  ogi stats --archive ogi-demo.db --view all --plot charts/",
    ]
    with Archive(archive) as db:
        assert db.one("SELECT COUNT(*) AS n FROM current WHERE kind = 'report'")["n"] > 0
        assert db.one("SELECT COUNT(*) AS n FROM portals WHERE status = 'waf'")["n"] > 0

    again = subprocess.run([OGI, "demo", "--out", str(archive)], cwd=workdir,
                           env=fresh_environment(home), capture_output=True, text=True,
                           check=False)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert "Traceback" not in again.stderr


def test_too_few_portals_for_faults_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run([OGI, "demo", "--portals", "2", "--out", str(tmp_path / "d.db")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "at least 5 portals" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "d.db").exists()
