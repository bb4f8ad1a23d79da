"""The site in a real headless Chromium (Debian's `chromium`), driven by
Playwright: what an administrator sees, not what a handler returns."""

import os
import re
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

SEVERITY_JA = {1: "緊急", 2: "重要", 3: "警告", 4: "注意"}
ACTION_JA = {"apply_now": "至急適用", "apply_soon": "早期適用", "wait_for_sp": "SP待ち"}

# The flags this machine needs: no sandbox as root, and no background
# connections to Google's hosts, which the closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("HFR_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Debian's chromium is not installed (scripts/test installs it)")
    return path


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(locale="ja-JP")
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    ctx.close()
    assert not errors, f"the browser reported errors: {errors}"


def newest_with_files(demo_alerts):
    """The newest demo alert that installs files, as the top page orders them."""
    with_files = [
        a for a in demo_alerts.values() if any(p.get("files") for p in a.get("packages", []))
    ]
    assert with_files, "the demo data must have an alert with a file table"
    return max(with_files, key=lambda a: (a.get("edition") or "", a["id"]))


def test_top_page_to_alert_page(server, page, demo_alerts):
    alert = newest_with_files(demo_alerts)
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    expect(page).to_have_title(re.compile(r"HotFix Report$"))

    # Every demo alert is on the top page with its severity, exploit code and
    # action in words, not only in colour.
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(len(demo_alerts))
    row = rows.filter(has=page.get_by_role("link", name=alert["id"], exact=True))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(SEVERITY_JA[alert["severity"]])
    expect(row.locator("td").nth(1)).to_have_text("あり" if alert["exploit_code"] else "なし")
    expect(row.locator("td").nth(2)).to_have_text(ACTION_JA[alert["action"]])
    # The colour is really there too (a stylesheet was applied).
    colour = row.locator(".sev").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour

    # Follow the link, as a reader does.
    row.get_by_role("link", name=alert["id"], exact=True).click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/alerts/" + alert["id"]), page.url
    expect(page.locator("h1")).to_contain_text(alert["title"])

    facts = page.locator("table.facts")
    sev_row = facts.locator("tr", has=page.locator("th", has_text="深刻度"))
    expect(sev_row.locator("td")).to_contain_text(SEVERITY_JA[alert["severity"]])

    # The package file tables: one row per file, with name, version and size.
    expected = [f for p in alert["packages"] for f in p.get("files", [])]
    file_rows = page.locator("table.files tbody tr")
    shown = [
        [c.strip() for c in r]
        for r in file_rows.evaluate_all("rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    ]
    assert len(shown) >= len(expected)
    names = [r[2] for r in shown]
    versions = [r[4] for r in shown]
    for f in expected:
        assert f["name"] in names, f["name"]
        if f.get("version"):
            assert f["version"] in versions, f["version"]
    headers = file_rows.first.locator("xpath=ancestor::table//thead//th").all_text_contents()
    assert headers[:5] == ["ブランチ", "展開フォルダ", "ファイル名", "日付", "バージョン"], headers


def test_back_numbers_filter_by_severity(server, page, demo_alerts):
    page.goto(server.url + "/alerts/")
    page.get_by_label("深刻度").select_option(label="緊急のみ")
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_load_state()
    ids = page.locator("table.list td.id").all_text_contents()
    expected = sorted(a["id"] for a in demo_alerts.values() if a["severity"] == 1)
    assert sorted(ids) == expected
    assert "severity=1" in page.url


def test_readable_on_a_phone(server, browser, demo_alerts):
    """No sideways scrolling of the page itself on a 360 px wide screen:
    wide tables scroll inside their own box."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="ja-JP")
    pg = ctx.new_page()
    for path in ["/", "/alerts/", "/alerts/" + newest_with_files(demo_alerts)["id"] + "/"]:
        pg.goto(server.url + path)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide on a 360 px screen"
    ctx.close()


def test_print_hides_navigation(server, page, demo_alerts):
    page.goto(server.url + "/alerts/" + newest_with_files(demo_alerts)["id"] + "/")
    page.emulate_media(media="print")
    nav = page.locator("nav").first
    expect(nav).to_be_hidden()
    expect(page.locator("table.files").first).to_be_visible()
