"""``kg report``: one self-contained HTML file, checked as text and in headless Chromium.

The store holds the five seed texts and Hartlepool's PDFs; expectations come from the gold
file (Hartlepool: supervision 2010 -> 2020, care leavers 2010 -> 2022) and from the source
files themselves (every quote is the text at its stated position in its file).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from programs import require
from typer.testing import CliRunner

from kg.cli.analytics import register
from kg.inspectors import identity
from kg.text import read_source

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = json.loads((ROOT / "tests" / "data" / "gold_seeds.json").read_text())
HARTLEPOOL_ID = "authority-E06000001"


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="module")
def report(
    cli: typer.Typer, hartlepool_history_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--from",
            "2010",
            "--to",
            "2022",
            "--output",
            str(out),
            "--store",
            str(hartlepool_history_store),
        ],
    )
    assert result.exit_code == 0, result.output
    assert re.match(r"wrote .*report\.html: 3 authorities, \d+ visits", result.stdout)
    return out


def section(document: str, anchor: str) -> str:
    start = document.index(f'id="{anchor}"')
    end = document.find('<section class="authority"', start + 1)
    return document[start : end if end > 0 else None]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_report_is_self_contained(report: Path) -> None:
    document = report.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(document)
    tags = Counter(tag for tag, _ in parser.tags)
    assert tags["svg"] >= 1 + 3 * 2  # national charts, and a timeline and heatmap each
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(tags)
    for tag, attrs in parser.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href  # only links within the page
    assert "url(http" not in document and "@import" not in document
    ids = {attrs["id"] for _, attrs in parser.tags if attrs.get("id")}
    for _, attrs in parser.tags:
        if (attrs.get("href") or "").startswith("#"):
            assert attrs["href"][1:] in ids  # every index link has its section


def test_hartlepool_section_shows_the_gold_recurrences(report: Path) -> None:
    part = html.unescape(section(report.read_text(encoding="utf-8"), HARTLEPOOL_ID))
    assert "Supervision: 2010 → 2020" in part
    assert "Care leavers: 2010 → 2022" in part
    for gold in GOLD:
        if gold["authority"] == "Hartlepool":
            assert gold["visit_start"] in part  # on the timeline
            for name in gold["inspectors"]:
                assert identity(name).name in part  # one name per person (kg.inspectors)
    # Heatmap: each (theme, year) of the gold recommendations has a cell with at least as
    # many items as the gold file lists.
    expected: Counter[tuple[str, int]] = Counter()
    for gold in GOLD:
        if gold["authority"] == "Hartlepool":
            for rec in gold["recommendations"]:
                if "council" not in rec["addressed_to"]:
                    continue  # a partner's point: in its own table, not the heatmap
                for theme in rec["themes"]:
                    expected[(theme, int(gold["visit_start"][:4]))] += 1
    cells = {
        (m[1], int(m[2])): int(m[3])
        for m in re.finditer(
            r'data-theme="[^"]*/theme/([a-z-]+)"><title>[^<]*, (\d{4}): (\d+) items?</title>', part
        )
    }
    for key, n in expected.items():
        assert cells.get(key, 0) >= n, key
    # Judgement history: the 2010 SLAC overall effectiveness grades of the gold file.
    for area, grades in GOLD[0]["judgements"].items():
        grade = grades["Overall effectiveness"]
        assert re.search(rf"{re.escape(area)}: Overall effectiveness</td>.*?>{grade}</td>", part)


def test_the_boards_and_partners_points_are_shown_apart(report: Path) -> None:
    """Hartlepool 2010 told NHS Hartlepool with the HSCB, and the HSCB alone; 2013 told the
    HSCB six times: those are listed under the board and partners, not among the recurring
    issues of the council."""
    part = html.unescape(section(report.read_text(encoding="utf-8"), HARTLEPOOL_ID))
    head, _, partners = part.partition("Its safeguarding board and partners")
    partners = partners.split("<h3>Inspectors</h3>")[0]
    theirs = [
        rec["text"]
        for gold in GOLD
        if gold["authority"] == "Hartlepool"
        for rec in gold["recommendations"]
        if "council" not in rec["addressed_to"]
    ]
    assert len(theirs) == 3
    for text in theirs:
        assert text in partners
        assert text[:60] not in head  # not quoted as the council's
    assert "safeguarding board, NHS bodies" in partners
    assert partners.count("The HSCB") >= 5  # the 2013 SIF report's board points


def test_every_quote_is_the_text_at_its_position_in_its_file(report: Path) -> None:
    document = report.read_text(encoding="utf-8")
    quotes = re.findall(
        r'<q>(.*?)</q><cite><span class="source">(.*?)</span>, characters '
        r'<span class="position">(\d+)–(\d+)</span>',
        document,
        re.S,
    )
    assert len(quotes) >= 20
    texts: dict[str, str] = {}
    for quote, name, start, end in quotes:
        if name not in texts:
            texts[name] = read_source(SEEDS / html.unescape(name)).text
        assert texts[name][int(start) : int(end)] == html.unescape(quote)


def test_authority_filter_top_n_and_bad_input(
    cli: typer.Typer, hartlepool_history_store: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "one.html"
    ok = runner.invoke(
        cli,
        [
            "report",
            "--authority",
            "Hartlepool Borough Council",
            "--top",
            "2",
            "-o",
            str(out),
            "--store",
            str(hartlepool_history_store),
        ],
    )
    assert ok.exit_code == 0, ok.output
    document = html.unescape(out.read_text(encoding="utf-8"))
    assert document.count('<section class="authority"') == 1
    assert 'id="national"' in document and "Middlesbrough" in document  # national: all
    assert "more recurring themes" in document and "more themes" in document  # rest summarised
    for args, message in (
        (["--authority", "Atlantis"], "'Atlantis' is not the name"),
        (["--authority", "Darlington"], "no visits in the graph"),
        (["--from", "2023", "--to", "2012"], "period is empty"),
        (["--include", "rumours"], "--include must be one of"),
    ):
        bad = runner.invoke(
            cli,
            [
                "report",
                *args,
                "-o",
                str(tmp_path / "x.html"),
                "--store",
                str(hartlepool_history_store),
            ],
        )
        assert bad.exit_code == 1 and message in bad.stderr, bad.output
    bad = runner.invoke(
        cli, ["report", "-o", str(tmp_path), "--store", str(hartlepool_history_store)]
    )
    assert bad.exit_code == 1 and "is a directory" in bad.stderr
    missing = runner.invoke(cli, ["report", "-o", str(out), "--store", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "run `kg build` first" in missing.stderr


CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    for path in (CHROMIUM, CHROMEDRIVER):
        require(path, str(path), "apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    profile = tempfile.mkdtemp(prefix="kg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1100,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(report.resolve().as_uri())
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1100, min(height + 100, 16000))
        hartlepool = driver.find_element(By.ID, HARTLEPOOL_ID)
        shot = tmp_path / "report-hartlepool.png"
        hartlepool.screenshot(str(shot))
        assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("KG_SAVE_SCREENSHOTS"):
            target = ROOT / "docs" / "images" / "report-hartlepool.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, target)
        text = hartlepool.text  # what a reader sees
        for expected in (
            "Hartlepool",
            "Timeline of visits",
            "Judgement history",
            "Supervision: 2010 → 2020",
            "Care leavers: 2010 → 2022",
            "hartlepool_2010-07-16_slac-inspection.txt",
            "Martin Ayres",
            "Tracey Metcalfe",
        ):
            assert expected in text
        assert driver.find_element(By.ID, "national").find_elements(By.TAG_NAME, "svg")
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert errors == []
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
