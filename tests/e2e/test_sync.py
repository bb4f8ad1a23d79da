"""`hfr sync` end to end: the real binary against a local CSAF-style provider
served over HTTP by this test (provider-metadata.json → ROLIE feed → documents
with .sha256 files), storing into a fresh SQLite archive.

Most documents are the demo alerts in hfr's JSON: the point of those tests is
the path from the network to the archive (discovery, hashes, conditional
requests, the state file, exit codes, --json, --dry-run). The last two serve
real formats: a month of Microsoft's CVRF from the shared data through a mirror
of the CVRF API (stored as a release, then revised), and CSAF advisories.
"""

import hashlib
import http.server
import json
import os
import pathlib
import re
import subprocess
import threading

import pytest

from conftest import DEMO, ROOT, hfr_bin, hfr_env

WK = "/.well-known/csaf"


class Provider:
    """A provider whose files live in a dict, recording each request."""

    def __init__(self):
        self.files = {}  # path -> (bytes, etag or None)
        self.requests = []  # (path, headers dict)
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                provider.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
                found = provider.files.get(path)
                if found is None:
                    return self._send(404, b"not found\n", None)
                body, etag = found
                if etag is not None and self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", etag)
                return self._send(200, body, etag)

            def _send(self, code, body, etag):
                self.send_response(code)
                if etag:
                    self.send_header("ETag", etag)
                if code != 304:
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if code != 304:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.docs = {}  # id -> (bytes, updated, etag)

    def url(self, path):
        return self.base + path

    def publish(self, alert_id, body, updated, etag, digest=None):
        self.docs[alert_id] = (body, updated, etag)
        path = f"{WK}/{alert_id.lower()}.json"
        self.files[path] = (body, etag)
        digest = digest or hashlib.sha256(body).hexdigest()
        self.files[path + ".sha256"] = (f"{digest}  {alert_id.lower()}.json\n".encode(), None)
        self._feed()

    def _feed(self):
        entries = []
        for alert_id, (_, updated, _) in self.docs.items():
            url = self.url(f"{WK}/{alert_id.lower()}.json")
            entries.append({
                "id": alert_id,
                "title": alert_id,
                "link": [{"rel": "self", "href": url}, {"rel": "hash", "href": url + ".sha256"}],
                "published": updated,
                "updated": updated,
                "content": {"type": "application/json", "src": url},
            })
        feed = {"feed": {"id": "e2e", "title": "e2e", "updated": "2024-01-01T00:00:00Z", "entry": entries}}
        self.files[f"{WK}/feed-tlp-white.json"] = (json.dumps(feed).encode(), None)
        metadata = {
            "canonical_url": self.url(f"{WK}/provider-metadata.json"),
            "metadata_version": "2.0",
            "role": "csaf_provider",
            "distributions": [{"rolie": {"feeds": [
                {"tlp_label": "WHITE", "url": self.url(f"{WK}/feed-tlp-white.json")}]}}],
        }
        self.files[f"{WK}/provider-metadata.json"] = (json.dumps(metadata).encode(), None)

    def take(self):
        out, self.requests = self.requests, []
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def provider():
    p = Provider()
    for path in DEMO:
        alert_id = path.stem
        p.publish(alert_id, path.read_bytes(), "2024-01-01T00:00:00Z", f'"{alert_id}-1"')
    yield p
    p.close()


def hfr(db, *args, env=None):
    e = hfr_env()
    e.pop("HFR_SYNC_SOURCES", None)
    e.pop("HFR_SYNC_STATE", None)
    e.update(env or {})
    return subprocess.run([hfr_bin(), "--db", str(db), *args], capture_output=True, text=True, env=e, timeout=120)


def summary(proc):
    lines = [l for l in proc.stdout.splitlines() if l.startswith("sync")]
    assert len(lines) == 1, (proc.stdout, proc.stderr)
    return lines[0]


def test_sync_stores_then_asks_conditionally_then_fetches_what_changed(tmp_path, provider):
    db = tmp_path / "archive.sqlite"
    source = provider.url(f"{WK}/provider-metadata.json")
    n = len(DEMO)

    first = hfr(db, "sync", "--csaf", source)
    assert first.returncode == 0, first.stderr
    assert summary(first).startswith(
        f"sync: 1 source, {n} documents: {n} new, 0 changed, 0 not modified, 0 failed in ")
    listed = json.loads(hfr(db, "list", "--json").stdout)
    assert sorted(a["id"] for a in listed) == sorted(p.stem for p in DEMO)
    state = json.loads((tmp_path / "archive.sync-state.json").read_text())
    assert len(state["documents"]) == n
    requests = provider.take()
    assert all(h.get("user-agent", "").startswith("hfr/") for _, h in requests)
    assert sum(p.endswith(".sha256") for p, _ in requests) == n, "every document verified"

    # Same dates in the feed: only the listings are read.
    second = hfr(db, "sync", "--csaf", source)
    assert second.returncode == 0, second.stderr
    assert f"0 new, 0 changed, {n} not modified, 0 failed" in summary(second)
    assert sorted(p for p, _ in provider.take()) == [f"{WK}/feed-tlp-white.json", f"{WK}/provider-metadata.json"]

    # --recheck: conditional requests, answered 304.
    third = hfr(db, "sync", "--csaf", source, "--recheck")
    assert third.returncode == 0, third.stderr
    assert f"{n} not modified" in summary(third)
    docs = [(p, h) for p, h in provider.take() if p.endswith(".json") and "feed" not in p and "provider" not in p]
    assert len(docs) == n
    for path, headers in docs:
        assert headers.get("if-none-match", "").endswith('-1"'), (path, headers)

    # One alert revised: only it is fetched, and the archive has the change.
    alert = json.loads(DEMO[0].read_text(encoding="utf-8"))
    alert["title"] = alert["title"] + "(改訂)"
    alert["updated"] = "2024-02-01"
    body = json.dumps(alert, ensure_ascii=False, indent=2).encode()
    provider.publish(alert["id"], body, "2024-02-01T00:00:00Z", f'"{alert["id"]}-2"')
    fourth = hfr(db, "sync", "--csaf", source)
    assert fourth.returncode == 0, fourth.stderr
    assert f"0 new, 1 changed, {n - 1} not modified, 0 failed" in summary(fourth)
    shown = json.loads(hfr(db, "show", alert["id"], "--json").stdout)
    assert shown["title"].endswith("(改訂)")


def test_a_hash_mismatch_fails_that_document_only_and_is_retried(tmp_path, provider):
    db = tmp_path / "archive.sqlite"
    source = provider.url(f"{WK}/provider-metadata.json")
    bad = DEMO[0].stem
    body = DEMO[0].read_bytes()
    provider.publish(bad, body, "2024-01-01T00:00:00Z", '"x"', digest="0" * 64)
    proc = hfr(db, "sync", "--csaf", source, "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["summary"]["failed"] == 1
    assert report["summary"]["new"] == len(DEMO) - 1
    failed = [d for d in report["documents"] if d["result"] == "failed"]
    assert len(failed) == 1 and failed[0]["label"] == bad
    url = provider.url(f"{WK}/{bad.lower()}.json")
    assert url in failed[0]["error"] and "does not match" in failed[0]["error"]
    assert url in proc.stderr
    ids = [a["id"] for a in json.loads(hfr(db, "list", "--json").stdout)]
    assert bad not in ids and len(ids) == len(DEMO) - 1

    # Fixed at the provider (same date): fetched again, because it was never recorded.
    provider.publish(bad, body, "2024-01-01T00:00:00Z", '"x"')
    again = hfr(db, "sync", "--csaf", source)
    assert again.returncode == 0, again.stderr
    assert f"1 new, 0 changed, {len(DEMO) - 1} not modified, 0 failed" in summary(again)


def test_sources_from_the_environment_dry_run_and_usage(tmp_path, provider):
    db = tmp_path / "dry.sqlite"
    env = {"HFR_SYNC_SOURCES": "csaf:" + provider.url(f"{WK}/provider-metadata.json")}
    dry = hfr(db, "sync", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert summary(dry).startswith(f"sync (dry run): 1 source, {len(DEMO)} documents: {len(DEMO)} new")
    assert not (tmp_path / "dry.sync-state.json").exists()
    assert not db.exists(), "a dry run opens no archive"

    state = tmp_path / "elsewhere" / "state.json"
    real = hfr(db, "sync", "--state", str(state), env=env)
    assert real.returncode == 0, real.stderr
    assert state.exists()

    none = hfr(db, "sync")
    assert none.returncode == 2
    assert "no source to sync" in none.stderr

    down = hfr(db, "sync", "--csaf", "http://127.0.0.1:9/x/provider-metadata.json")
    assert down.returncode == 1
    assert "http://127.0.0.1:9/x/provider-metadata.json" in down.stderr
    assert "1 source (1 failed)" in summary(down)


# --- Microsoft's CVRF API, mirrored from the shared data ---------------------------

MSRC_DATA = ROOT.parent / "shared" / "data" / "msrc-cvrf"


def publish_months(provider, months):
    """Makes `provider` a mirror of Microsoft's CVRF API under /api/:
    `updates` lists the months, `cvrf/{ID}` serves each as CVRF XML.
    `months`: id -> (xml bytes, current release date)."""
    value = [{"ID": i, "InitialReleaseDate": d, "CurrentReleaseDate": d,
              "CvrfUrl": provider.url(f"/api/cvrf/{i}")} for i, (_, d) in months.items()]
    provider.files["/api/updates"] = (json.dumps({"value": value}).encode(), None)
    for i, (body, _) in months.items():
        provider.files[f"/api/cvrf/{i}"] = (body, None)


def cvrf_month(name):
    path = MSRC_DATA / "2017" / f"cvrfDocument-{name}.xml"
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing (CI has shared/ beside the clone)")
        pytest.skip(f"{path} is missing")
    return path.read_bytes()


def test_msrc_months_sync_as_releases_and_a_revised_month_revises_only_what_changed(tmp_path, provider):
    apr = cvrf_month("2017-Apr")
    cves = re.findall(rb"<vuln:CVE>([^<]+)</vuln:CVE>", apr)
    assert len(cves) == 46
    publish_months(provider, {"2017-Apr": (apr, "2017-05-09T07:00:00Z")})
    db = tmp_path / "msrc.sqlite"
    mail = ("--publish", "--from", "hfr@example.org", "--base-url", "https://hfr.example.org")
    assert hfr(db, "mail", "subscribe", "--confirmed", "ops@example.org").returncode == 0
    first = hfr(db, "sync", "--msrc", provider.url("/api/"), "--json", *mail)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("HotFix Alert mail queued for 1 subscribers") == len(cves), first.stderr
    report = json.loads(first.stdout)
    assert report["summary"]["new"] == 1 and report["summary"]["failed"] == 0, report
    stored = report["documents"][0]["stored"]
    assert sorted(o["id"] for o in stored) == sorted(c.decode() for c in cves)
    assert {o["outcome"] for o in stored} == {"created"}
    asked = [h.get("accept") for p, h in provider.take() if p == "/api/cvrf/2017-Apr"]
    assert asked == ["application/xml"], asked

    # What `hfr import` makes of the same file: the same alerts, facts included.
    listed = sorted(a["id"] for a in json.loads(hfr(db, "list", "--json").stdout))
    assert listed == sorted(c.decode() for c in cves)
    cve = cves[0].decode()
    alert = json.loads(hfr(db, "show", cve, "--json").stdout)
    assert alert["products"] and any(r.get("kb") for p in alert["products"] for r in p["remediations"]), alert
    local = tmp_path / "local.sqlite"
    src = tmp_path / "2017-Apr.xml"
    src.write_bytes(apr)
    assert hfr(local, "import", "--quiet", str(src)).returncode == 0
    assert json.loads(hfr(local, "show", cve, "--json").stdout)["products"] == alert["products"]

    # Microsoft revises the month: one CVE's title changes, the date moves on.
    begin = apr.index(b"<vuln:Vulnerability ")
    block = apr[begin:apr.index(b"</vuln:Vulnerability>", begin)]
    cve = re.search(rb"<vuln:CVE>([^<]+)</vuln:CVE>", block).group(1).decode()
    changed = re.sub(rb"</vuln:Title>", b" (revised)</vuln:Title>", block, count=1)
    revised = apr[:begin] + changed + apr[begin + len(block):]
    revised = re.sub(rb"<cvrf:CurrentReleaseDate>[^<]*<", b"<cvrf:CurrentReleaseDate>2018-01-09T08:00:00Z<",
                     revised, count=1)
    publish_months(provider, {"2017-Apr": (revised, "2018-01-09T08:00:00Z")})
    # The subscriber is told of the revision, and of nothing else.
    second = hfr(db, "sync", "--msrc", provider.url("/api/"), "--json", *mail)
    assert second.returncode == 0, second.stderr
    assert f"{cve}: revision 2: update mail queued for 1 subscribers" in second.stderr, second.stderr
    assert "queued" not in second.stderr.replace(f"{cve}: revision 2: update mail queued", ""), second.stderr
    status = json.loads(hfr(db, "mail", "status", "--json").stdout)
    assert len(status) == len(cves) + 1 and status[f"alert.{cve}.r2"]["queued"] == 1, status
    report = json.loads(second.stdout)
    assert report["summary"]["changed"] == 1, report
    outcomes = {o["id"]: o["outcome"] for o in report["documents"][0]["stored"]}
    assert outcomes.pop(cve) == "revised"
    assert set(outcomes.values()) == {"unchanged"} and len(outcomes) == 45
    shown = json.loads(hfr(db, "show", cve, "--json").stdout)
    assert shown["title"].endswith("(revised)"), shown["title"]

    # Unchanged date: the month is not asked for again.
    provider.take()
    third = hfr(db, "sync", "--msrc", provider.url("/api/"))
    assert third.returncode == 0, third.stderr
    assert [p for p, _ in provider.take()] == ["/api/updates"]


def test_a_csaf_provider_serving_real_csaf_advisories(tmp_path, provider):
    # The provider now serves CSAF documents, not hfr's JSON: what `hfr export
    # csaf` writes for the demo alerts. Sync stores the same alerts back.
    src = tmp_path / "src.sqlite"
    for path in DEMO:
        assert hfr(src, "import", "--quiet", str(path)).returncode == 0
    p = provider
    for path in DEMO:
        alert_id = path.stem
        body = subprocess.run([hfr_bin(), "--db", str(src), "export", "csaf", alert_id],
                              capture_output=True, env=hfr_env(), timeout=60, check=True).stdout
        p.publish(alert_id, body, "2024-02-01T00:00:00Z", f'"{alert_id}-csaf"')
    db = tmp_path / "csaf.sqlite"
    done = hfr(db, "sync", "--csaf", p.url(f"{WK}/provider-metadata.json"))
    assert done.returncode == 0, done.stderr
    assert f"{len(DEMO)} new" in summary(done)
    for path in DEMO:
        alert_id = path.stem
        want = json.loads(hfr(src, "show", alert_id, "--json").stdout)
        got = json.loads(hfr(db, "show", alert_id, "--json").stdout)
        assert got == want, alert_id
