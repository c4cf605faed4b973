"""One settings table: every OGI_* setting has one default, in crawler/settings.py, and is read
with no second default; the environment is read there only; a run records them all."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.pipelines import POLITENESS_SETTINGS, run_settings

CRAWLER = Path(project_settings.__file__).parent
SETTINGS_FILE = CRAWLER / "settings.py"
SOURCES = {path: path.read_text(encoding="utf-8") for path in CRAWLER.rglob("*.py")}
# The ogi-archive settings that are not OGI_*-named (RETRY_BACKOFF_* read by BackoffRetryMiddleware).
PROJECT_NAMES = ("RETRY_BACKOFF_BASE", "RETRY_BACKOFF_MAX")


def assigned_in_settings() -> list[str]:
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    return [target.id for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)]


def test_every_ogi_setting_used_has_exactly_one_default_in_settings_py():
    assigned = assigned_in_settings()
    used = {name for path, text in SOURCES.items() if path != SETTINGS_FILE
            for name in re.findall(r'"(OGI_[A-Z0-9_]+)"', text)}
    assert used, "no component reads an OGI_* setting?"
    defaults = {name: assigned.count(name) for name in used | set(PROJECT_NAMES)}
    assert {name: n for name, n in defaults.items() if n != 1} == {}
    # and no OGI_* default that nothing reads
    defined = {name for name in assigned if name.startswith("OGI_")}
    unread = {name for name in defined if not any(f'"{name}"' in text for path, text in SOURCES.items()
                                                   if path != SETTINGS_FILE)}
    assert unread == set()


def test_no_setting_is_read_with_a_second_default():
    fallback = re.compile(r'settings\.get\w*\(\s*"[A-Z][A-Z0-9_]*"\s*,')
    found = [f"{path.relative_to(CRAWLER)}: {line.strip()}" for path, text in SOURCES.items()
             for line in text.splitlines() if fallback.search(line)]
    assert found == []


def test_the_environment_is_read_in_settings_py_only():
    reads = re.compile(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^]]+\](?!\s*=)")
    found = [f"{path.relative_to(CRAWLER)}: {line.strip()}" for path, text in SOURCES.items()
             if path != SETTINGS_FILE for line in text.splitlines() if reads.search(line)]
    assert found == []


def test_download_delay_is_randomised_by_scrapy_not_by_an_unknown_setting():
    assert "DOWNLOAD_DELAY_JITTER" not in assigned_in_settings()
    assert project_settings.RANDOMIZE_DOWNLOAD_DELAY is True


def test_a_run_records_every_ogi_setting_and_the_politeness_ones():
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.set("OGI_PORTAL_MAX_DEPTH", 3, priority="cmdline")
    recorded = run_settings(settings)
    ogi = {name for name in assigned_in_settings() if name.startswith("OGI_")}
    assert ogi <= set(recorded) and set(POLITENESS_SETTINGS) <= set(recorded)
    assert recorded["OGI_PORTAL_MAX_DEPTH"] == 3
    assert "REDIS_URL" not in recorded  # it may carry a password
