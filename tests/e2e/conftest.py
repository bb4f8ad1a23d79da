"""Shared set-up for the end-to-end tests: a real `hfr serve` process on a
fresh SQLite archive that holds the demo alerts, reached over HTTP.

The tests run the binary a user runs (HFR_BIN, built by scripts/test) and
load the same demo data the README's run command serves, so what they check
is what a new user sees.
"""

import contextlib
import json
import os
import pathlib
import subprocess
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# HFR_E2E_ALERTS points the tests at another folder of alert JSON files.
DEMO = sorted(pathlib.Path(os.environ.get("HFR_E2E_ALERTS", ROOT / "demo" / "alerts")).glob("*.json"))


def hfr_bin() -> str:
    path = os.environ.get("HFR_BIN")
    if not path:
        target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
        path = os.path.join(target, "debug", "hfr")
    if not os.path.exists(path):
        pytest.fail(f"the hfr binary is not at {path}: build it (scripts/test does) or set HFR_BIN")
    return path


class Server:
    """A running `hfr serve`, with helpers to fetch from it."""

    def __init__(self, url: str, proc: subprocess.Popen, db: pathlib.Path):
        self.url = url
        self.proc = proc
        self.db = db

    def get(self, path: str, headers=None):
        req = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()

    def api(self, path: str):
        status, _, body = self.get("/api/v1" + path)
        assert status == 200, path
        return json.loads(body)


@contextlib.contextmanager
def running_server(tmp: pathlib.Path, *serve_args: str):
    """Imports the demo alerts into a new archive under `tmp` and runs
    `hfr serve` on it, on a port the system picks, with `serve_args`."""
    if not DEMO:
        pytest.fail(f"no demo alerts under {ROOT / 'demo' / 'alerts'}")
    db = tmp / "e2e.sqlite"
    subprocess.run(
        [hfr_bin(), "--db", str(db), "import", "--quiet", *map(str, DEMO)],
        check=True,
        env=hfr_env(),
        capture_output=True,
    )
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen(
        [hfr_bin(), "--db", str(db), "serve", "--listen", "127.0.0.1:0", *serve_args],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=hfr_env(),
    )
    try:
        line = proc.stdout.readline()
        # "hfr: serving 5 alerts (sqlite) at http://127.0.0.1:PORT/"
        if " at http" not in line:
            pytest.fail(f"hfr serve did not start: {line!r}; see {tmp / 'serve.log'}")
        url = line.rsplit(" at ", 1)[1].strip().rstrip("/")
        yield Server(url, proc, db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def hfr_env():
    """The environment without the user's own archive or listen address."""
    mine = ("HFR_DB", "HFR_LISTEN", "HFR_BASE_URL", "HFR_SMTP", "HFR_MAIL_FROM", "HFR_MAIL_REPLY_TO")
    return {k: v for k, v in os.environ.items() if k not in mine}


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the tests that only read."""
    with running_server(tmp_path_factory.mktemp("hfr")) as s:
        yield s


@pytest.fixture(scope="session")
def demo_alerts():
    """The demo documents as written, by id: the expected values."""
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in DEMO]
    return {d["id"]: d for d in docs}
