"""`hfr sync` end to end: the real binary against a local CSAF-style provider
served over HTTP by this test (provider-metadata.json → ROLIE feed → documents
with .sha256 files), storing into a fresh SQLite archive.

The documents are the demo alerts in hfr's JSON, which `hfr import` reads
today; the point here is the path from the network to the archive (discovery,
hashes, conditional requests, the state file, exit codes, --json, --dry-run),
not a document format.
"""

import hashlib
import http.server
import json
import pathlib
import subprocess
import threading

import pytest

from conftest import DEMO, hfr_bin, hfr_env

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
