"""Mail to a real SMTP server process: subscribers get the published alert
once, as a well-formed Japanese MIME message; a relay that is down keeps
the mail queued until it is back."""

import email
import email.policy
import json
import socket
import subprocess
import time

import pytest
from aiosmtpd.controller import Controller

from conftest import ROOT, hfr_bin, hfr_env, running_server

FROM = "HotFix Report <alerts@hfr.example.org>"
BASE = "https://hfr.example.org"


def today_in_japan():
    """The day it is in Japan: HotFix Weekly's weeks run Monday to Sunday,
    Japan time, so from 15:00 UTC on a Sunday the machine's own date is
    still in the week that has just ended."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600))


class Inbox:
    """An SMTP server (aiosmtpd, in its own thread) that keeps what arrives."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def messages(self):
        return [
            (rcpt, email.message_from_bytes(raw, policy=email.policy.default))
            for rcpt, raw in self.received
        ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hfr(db, *args):
    done = subprocess.run(
        [hfr_bin(), "--db", str(db), *args], env=hfr_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, f"hfr {args}: {done.stderr}"
    return done.stdout


def send(db, port, *extra):
    return hfr(
        db, "mail", "send", "--once", "--smtp", f"smtp://127.0.0.1:{port}",
        "--from", FROM, "--base-url", BASE, *extra,
    )


@pytest.fixture
def archive(tmp_path):
    with running_server(tmp_path) as srv:
        yield srv.db


def test_a_published_alert_reaches_each_subscriber_once(archive, demo_alerts):
    inbox = Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        people = ["a@example.org", "b@example.net", "c@example.com"]
        hfr(archive, "mail", "subscribe", "--confirmed", *people)
        hfr(archive, "mail", "subscribe", "pending@example.org")
        out = hfr(archive, "publish", "MS04-035", "--from", FROM, "--base-url", BASE)
        assert "queued for 3 subscribers" in out, out
        out = send(archive, port)
        assert out.startswith("sent 3,"), out
        # Nothing left: a second run sends nothing, a second publish queues nothing.
        assert send(archive, port).startswith("sent 0,")
        out = hfr(archive, "publish", "MS04-035", "--from", FROM, "--base-url", BASE)
        assert "nothing queued" in out
    finally:
        ctl.stop()

    got = inbox.messages()
    assert sorted(r[0] for r, _ in got) == sorted(people)
    ids = [m["Message-ID"] for _, m in got]
    assert len(set(ids)) == 3, ids
    alert = demo_alerts["MS04-035"]
    files = [f for p in alert["packages"] for f in p.get("files", [])]
    for (rcpt,), m in got:
        assert m["To"].addresses[0].addr_spec == rcpt
        assert str(m["Subject"]).startswith("[HotFix Alert][緊急] MS04-035")
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert m["List-Unsubscribe"].startswith(f"<{BASE}/unsubscribe/")
        assert "hfr.example.org" in m["List-Id"]
        assert m.get_content_type() == "multipart/alternative"
        text = m.get_body(preferencelist=("plain",))
        html = m.get_body(preferencelist=("html",))
        assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
        body = text.get_content()
        assert "緊急" in body and f"{BASE}/alerts/MS04-035/" in body
        for f in files:
            assert f["name"] in body, f["name"]
        assert "<table" in html.get_content()
    # The operator's view.
    status = json.loads(hfr(archive, "mail", "status", "--json"))
    assert status["alert.MS04-035"]["sent"] == 3


def test_mail_waits_while_the_relay_is_down(archive):
    port = free_port()  # nothing listens here yet
    hfr(archive, "mail", "subscribe", "--confirmed", "x@example.org", "y@example.org")
    hfr(archive, "publish", "MS06-035", "--from", FROM, "--base-url", BASE)
    out = send(archive, port, "--backoff", "1")
    assert out.startswith("sent 0, to retry 2,"), out
    status = json.loads(hfr(archive, "mail", "status", "--json"))
    assert status["alert.MS06-035"]["retrying"] == 2

    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        time.sleep(1.2)  # the backoff
        out = send(archive, port, "--backoff", "1")
        assert out.startswith("sent 2,"), out
    finally:
        ctl.stop()
    assert sorted(r[0] for r, _ in inbox.received) == ["x@example.org", "y@example.org"]
    status = json.loads(hfr(archive, "mail", "status", "--json"))
    assert status["alert.MS06-035"]["sent"] == 2


def test_the_weekly_digest_and_a_refusing_relay(archive):
    """HotFix Weekly reaches those who asked, once; a 5xx from the relay is
    recorded with its reply and not retried; a 4xx is retried."""

    class Picky(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("nobody@"):
                return "550 5.1.1 No such user here"
            if address.startswith("busy@") and not getattr(self, "relented", False):
                self.relented = True
                return "451 4.3.0 Try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox = Picky()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        hfr(archive, "mail", "subscribe", "--confirmed",
            "reader@example.org", "nobody@example.org", "busy@example.org")
        hfr(archive, "publish", "MS04-035", "MS04-039", "--from", FROM, "--base-url", BASE)
        out = hfr(archive, "weekly", "--week", today_in_japan(), "--from", FROM, "--base-url", BASE)
        assert "2 alerts, queued for 3 subscribers" in out, out
        again = hfr(archive, "weekly", "--week", today_in_japan(), "--from", FROM, "--base-url", BASE)
        assert "queued for 0 subscribers" in again, again
        out = send(archive, port, "--backoff", "1", "--connections", "1")
        # 3 messages each for reader@ and busy@ (busy@ once refused with 451), none for nobody@.
        assert out.startswith("sent 5, to retry 1, failed 3,"), out
        time.sleep(1.2)
        out = send(archive, port, "--backoff", "1")
        assert out.startswith("sent 1,"), out
    finally:
        ctl.stop()

    weekly = [(r, m) for r, m in inbox.messages() if str(m["Subject"]).startswith("[HotFix Weekly]")]
    assert sorted(r[0] for r, _ in weekly) == ["busy@example.org", "reader@example.org"]
    for _, m in weekly:
        assert "新規2件" in str(m["Subject"]), m["Subject"]
        assert m["List-Unsubscribe"].startswith(f"<{BASE}/unsubscribe/")
        body = m.get_body(preferencelist=("plain",)).get_content()
        assert f"{BASE}/alerts/MS04-035/" in body and f"{BASE}/alerts/MS04-039/" in body
        # Most severe first: MS04-035 (緊急) before MS04-039 (重要).
        assert body.index("MS04-035") < body.index("MS04-039")
    ids = [m["Message-ID"] for _, m in inbox.messages()]
    assert len(ids) == len(set(ids)) == 6, ids
    failures = hfr(archive, "mail", "status", "--failures", "alert.MS04-035")
    assert "nobody@example.org" in failures and "(550): 5.1.1 No such user here" in failures, failures


def test_the_server_delivers_what_is_published(tmp_path):
    """`hfr serve --smtp` runs the delivery beside the site: mail published
    by another process goes out without `hfr mail send`, and the server
    stops cleanly on SIGTERM."""
    inbox = Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        serve_args = ("--from", FROM, "--base-url", BASE, "--smtp", f"smtp://127.0.0.1:{port}")
        with running_server(tmp_path, *serve_args) as srv:
            hfr(srv.db, "mail", "subscribe", "--confirmed", "ops@example.org")
            hfr(srv.db, "publish", "MS04-045", "--from", FROM, "--base-url", BASE)
            deadline = time.time() + 15
            while not inbox.received and time.time() < deadline:
                time.sleep(0.1)
            assert [r for r, _ in inbox.received] == [["ops@example.org"]], inbox.received
            srv.proc.terminate()
            assert srv.proc.wait(timeout=10) == 0
        status = json.loads(hfr(srv.db, "mail", "status", "--json"))
        assert status["alert.MS04-045"]["sent"] == 1
    finally:
        ctl.stop()
