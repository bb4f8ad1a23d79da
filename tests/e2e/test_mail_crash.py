"""Mail delivery that survives a crash and shares a store, checked from
outside: a real SMTP server process records the Message-ID of every mail it
accepts, and each subscriber must get the alert exactly once, none missing,
none twice,

- when `hfr mail send` is SIGKILLed mid-run and a new one is started on the
  same host (it takes over the dead sender's claims at once, and counts the
  mails the dead one had already handed to the relay as sent), on SQLite and
  on PostgreSQL;
- when `hfr mail send` is SIGKILLed at the worst moment: after the store
  recorded a mail as handed to the relay and before the line that ends its
  data was written (a fault-injection pause holds it there). The sender's
  finisher process must complete that mail;
- when two `hfr mail send` run at the same time on one PostgreSQL store.

(A relay that is down and comes back is test_mail.py's.)

The PostgreSQL variants need HFR_TEST_POSTGRES_URL, an admin URL (scripts/test
starts a server with scripts/postgres.sh and sets it), and psql; each test
gets a database of its own.
"""

import collections
import contextlib
import functools
import glob
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

import pytest

from conftest import DEMO, hfr_bin, hfr_env

FROM = "HotFix Report <alerts@hfr.example.org>"
BASE = "https://hfr.example.org"
ALERT = "MS04-035"
KEY = f"alert.{ALERT}"
SUBSCRIBERS = 1500
# The first sender is killed once the server has this many mails (not a round
# number, so that the kill does not fall between two claimed batches).
KILL_AFTER = 437
# Seconds a whole `hfr mail send --once` run may take: generous, because a
# loaded CI machine runs the debug build many times slower. Every sender gets
# a lease longer than this (LEASE), so a restarted sender that waited for the
# dead one's lease instead of noticing it died still runs out of time.
SEND_TIMEOUT = 600
LEASE = 3600

# The SMTP server: aiosmtpd in a process of its own, on a port the system
# picks (printed on its first stdout line). For every mail it accepts it
# appends "<message-id>\t<recipients>" to the file named by its argument and
# flushes it before it answers 250, so the file holds exactly what the relay
# took responsibility for, even when the client is killed a moment later.
# A mail whose data began (its Message-ID went by) but whose end line never
# came is written to "<file>.partial" when its connection closes.
#
# It asks the kernel to acknowledge every segment at once (TCP_QUICKACK).
# Without that, a client that writes the end-of-data line as a small write of
# its own without TCP_NODELAY (hfr does: it records the hand-over between the
# body and its end line, on lettre's connections) waits out Nagle against the
# server's delayed ACK, about 40 ms per mail and connection, and 3,000 mails
# take minutes. These tests check exactly-once delivery, not speed:
# bench/mail measures speed, against Postfix's smtp-sink, which does no such
# thing.
SINK = r'''
import asyncio, re, socket, sys
from aiosmtpd.smtp import SMTP

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.I | re.M)

class Record:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        m = MESSAGE_ID.search(head)
        mid = m.group(1).decode("ascii", "replace") if m else "-"
        self.out.write(mid + "\t" + ",".join(envelope.rcpt_tos) + "\n")
        self.out.flush()
        server.done = mid
        return "250 OK"

class Relay(SMTP):
    def __init__(self, handler, partial, **kw):
        super().__init__(handler, **kw)
        self.partial = partial
        self.tail = b""
        self.seen = self.done = None

    def connection_made(self, transport):
        self.sock = transport.get_extra_info("socket")
        super().connection_made(transport)

    def data_received(self, data):
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except (AttributeError, OSError):
            pass
        # The last Message-ID that went by on this connection, to tell a mail
        # whose end line never came from one that never came at all.
        window = self.tail + data
        for m in MESSAGE_ID.finditer(window):
            self.seen = m.group(1).decode("ascii", "replace")
        self.tail = window[-200:]
        super().data_received(data)

    # When the client closes its end (a killed sender's kernel does), aiosmtpd
    # cancels the session at once and drops what it has read but not yet
    # handled, even a complete mail. A real MTA handles what came before the
    # end: it accepts a mail whose end line arrived. So does this one; the
    # session then ends on the end of input.
    def eof_received(self):
        return asyncio.StreamReaderProtocol.eof_received(self)

    async def handle_exception(self, error):
        if isinstance(error, asyncio.IncompleteReadError):
            if self.transport is not None:
                self.transport.close()
            return "421 4.4.2 the client went away"
        return await super().handle_exception(error)

    def connection_lost(self, error):
        if self.seen is not None and self.seen != self.done:
            self.partial.write(self.seen + "\n")
            self.partial.flush()
        super().connection_lost(error)

async def main():
    out = open(sys.argv[1], "a", encoding="utf-8")
    partial = open(sys.argv[1] + ".partial", "a", encoding="utf-8")
    loop = asyncio.get_running_loop()
    # hostname given: aiosmtpd would otherwise look up the FQDN per connection
    server = await loop.create_server(
        lambda: Relay(Record(out), partial, hostname="sink.test", ident="hfr test sink"),
        "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
'''


class Sink:
    """The SMTP server process and what it has received."""

    def __init__(self, tmp: pathlib.Path):
        self.log = tmp / "received.tsv"
        self.log.touch()
        self.stderr = open(tmp / "sink.err", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.log)],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            pytest.fail(f"the SMTP server did not start: {line!r}; see {tmp / 'sink.err'}")
        self.url = f"smtp://127.0.0.1:{line}"

    def count(self) -> int:
        return self.log.read_bytes().count(b"\n")

    def received(self):
        """(Message-ID, recipient) per mail, in the order they arrived."""
        rows = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            mid, rcpts = line.split("\t")
            rows.append((mid, rcpts))
        return rows

    def partial(self):
        """Message-IDs of mails whose data arrived without their end line."""
        path = pathlib.Path(str(self.log) + ".partial")
        return path.read_text(encoding="utf-8").split() if path.exists() else []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stderr.close()


@pytest.fixture
def sink(tmp_path):
    s = Sink(tmp_path)
    try:
        yield s
    finally:
        s.stop()


# --- stores --------------------------------------------------------------------

def psql_bin():
    found = shutil.which("psql") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True)), None)
    if not found:
        pytest.fail("HFR_TEST_POSTGRES_URL is set but psql is not installed (Debian: postgresql-client)")
    return found


def psql(url: str, sql: str) -> str:
    done = subprocess.run(
        [psql_bin(), "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, f"psql {sql!r}: {done.stderr}"
    return done.stdout


class Store:
    """An empty archive: a SQLite file, or a database of its own on the
    PostgreSQL server of HFR_TEST_POSTGRES_URL."""

    def __init__(self, kind: str, tmp: pathlib.Path):
        self.kind = kind
        self.admin = None
        if kind == "sqlite":
            self.db = str(tmp / "crash.sqlite")
            return
        admin = os.environ.get("HFR_TEST_POSTGRES_URL")
        if not admin:
            pytest.skip("needs PostgreSQL: HFR_TEST_POSTGRES_URL is not set "
                        "(scripts/test sets it after `scripts/postgres.sh start`)")
        self.name = f"hfr_mail_{uuid.uuid4().hex[:12]}"
        psql(admin, f"CREATE DATABASE {self.name}")
        self.admin = admin
        self.db = urllib.parse.urlsplit(admin)._replace(path="/" + self.name).geturl()

    def queued(self):
        """recipient -> Message-ID of the alert's outbox rows, as the store has them."""
        sql = f"SELECT recipient, message_id FROM outbox WHERE message_key = '{KEY}'"
        if self.kind == "sqlite":
            import sqlite3

            with contextlib.closing(sqlite3.connect(self.db)) as c:
                rows = c.execute(sql).fetchall()
        else:
            rows = [line.split("\t") for line in psql(self.db, sql).splitlines() if line]
        return dict(rows)

    def handed_in_flight(self):
        """Rows recorded as handed to the relay whose reply is not recorded."""
        sql = "SELECT count(*) FROM outbox WHERE state = 'sending' AND handed_at IS NOT NULL"
        if self.kind == "sqlite":
            import sqlite3

            with contextlib.closing(sqlite3.connect(self.db)) as c:
                return c.execute(sql).fetchone()[0]
        return int(psql(self.db, sql).strip() or 0)

    def drop(self):
        if self.admin:
            subprocess.run(
                [psql_bin(), "-X", "-q", self.admin, "-c", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"],
                capture_output=True, timeout=60,
            )


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    s = Store(request.param, tmp_path)
    try:
        yield s
    finally:
        s.drop()


@pytest.fixture
def pg_store(tmp_path):
    s = Store("postgres", tmp_path)
    try:
        yield s
    finally:
        s.drop()


# --- hfr -------------------------------------------------------------------------

def hfr(db, *args, timeout=120):
    done = subprocess.run(
        [hfr_bin(), "--db", db, *args], env=hfr_env(), capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, f"hfr {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done.stdout


@functools.lru_cache(maxsize=None)
def send_options():
    """What this binary's `hfr mail send` accepts."""
    out = subprocess.run([hfr_bin(), "mail", "send", "--help"], env=hfr_env(),
                         capture_output=True, text=True).stdout
    return set(re.findall(r"--[a-z][a-z-]*", out))


def send_command(db, smtp, *extra):
    return [hfr_bin(), "--db", db, "mail", "send", "--once", "--smtp", smtp,
            "--from", FROM, "--base-url", BASE, "--lease", str(LEASE), *extra]


def sent_count(stdout: str):
    """N of the closing "sent N, to retry …" line, or None."""
    m = re.search(r"^sent (\d+),", stdout, re.M)
    return int(m.group(1)) if m else None


def publish_to_subscribers(db, tmp: pathlib.Path):
    """The demo alerts, SUBSCRIBERS confirmed subscribers, ALERT published;
    returns the addresses."""
    people = [f"reader{i:05d}@example.org" for i in range(SUBSCRIBERS)]
    hfr(db, "import", "--quiet", *map(str, DEMO))
    addrs = tmp / "subscribers.txt"
    addrs.write_text("\n".join(people) + "\n")
    hfr(db, "mail", "subscribe", "--confirmed", "--file", str(addrs))
    out = hfr(db, "publish", ALERT, "--from", FROM, "--base-url", BASE)
    assert f"queued for {SUBSCRIBERS} subscribers" in out, out
    return people


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


def delivery_problems(store, sink, people, first_run=None):
    """Everything wrong with what the server received against what was
    queued, as lines (empty when each subscriber got their mail once).
    first_run: how many of the received mails came from a first, killed
    sender (to say which run sent each duplicate)."""
    queued = store.queued()
    got = sink.received()
    problems = []
    if sorted(queued) != sorted(people):
        problems.append(f"the outbox holds {len(queued)} rows for {KEY}, not one per each of the "
                        f"{len(people)} subscribers")
    counts = collections.Counter(mid for mid, _ in got)
    dups = {mid: n for mid, n in counts.items() if n > 1}
    if dups:
        where = collections.defaultdict(lambda: [0, 0])
        for i, (mid, _) in enumerate(got):
            if mid in dups:
                where[mid][0 if first_run is not None and i < first_run else 1] += 1
        lines = [f"  {mid}: {n} times" + (f" (killed run {where[mid][0]}, restarted run {where[mid][1]})"
                                          if first_run is not None else "")
                 for mid, n in sorted(dups.items())]
        problems.append(f"{len(dups)} Message-IDs received more than once "
                        f"({sum(dups.values()) - len(dups)} extra mails):\n" + "\n".join(lines[:30])
                        + ("\n  …" if len(lines) > 30 else ""))
    wanted = set(queued.values())
    missing = wanted - set(counts)
    if missing:
        who = sorted(r for r, mid in queued.items() if mid in missing)
        cut = sorted(r for r, mid in queued.items() if mid in missing and mid in set(sink.partial()))
        problems.append(f"{len(missing)} queued mails never received, e.g. to {', '.join(who[:10])}"
                        + (f"; of these, {len(cut)} began to arrive but their end line never came (the "
                           f"sender died during their data): {', '.join(cut[:10])}" if cut else ""))
    strange = set(counts) - wanted
    if strange:
        problems.append(f"{len(strange)} received Message-IDs that were never queued, e.g. "
                        f"{', '.join(sorted(strange)[:5])}")
    wrong_rcpt = [(mid, r) for mid, r in got if mid in wanted and queued.get(r) != mid]
    if wrong_rcpt:
        problems.append(f"{len(wrong_rcpt)} mails went to another recipient than their row names, "
                        f"e.g. {wrong_rcpt[:3]}")
    if len(got) != len(people):
        problems.append(f"received {len(got)} mails in all, want {len(people)}")
    return problems


def status_problems(store):
    status = json.loads(hfr(store.db, "mail", "status", "--json")).get(KEY, {})
    want = {"sent": SUBSCRIBERS, "queued": 0, "sending": 0, "retrying": 0, "failed": 0}
    wrong = {k: status.get(k) for k, v in want.items() if status.get(k) != v}
    return [f"hfr mail status --json for {KEY}: {status}, want {want}"] if wrong else []


# --- the tests ---------------------------------------------------------------------

def test_a_sender_killed_mid_run_and_a_new_one_deliver_each_mail_once(store, sink, tmp_path):
    people = publish_to_subscribers(store.db, tmp_path)

    # The first sender, killed with SIGKILL (no chance to clean up) once the
    # server has a few hundred mails.
    first = None
    try:
        with open(tmp_path / "send1.err", "w") as err:
            first = subprocess.Popen(send_command(store.db, sink.url), env=hfr_env(),
                                     stdout=subprocess.PIPE, stderr=err, text=True)
            deadline = time.monotonic() + SEND_TIMEOUT
            while sink.count() < KILL_AFTER and first.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert first.poll() is None, (
                f"the first sender ended (exit {first.returncode}) before the server had "
                f"{KILL_AFTER} mails ({sink.count()}): {first.stdout.read()!r}, see {tmp_path / 'send1.err'}")
            assert sink.count() >= KILL_AFTER, f"the server had only {sink.count()} mails after {SEND_TIMEOUT} s"
            os.kill(first.pid, signal.SIGKILL)
            assert first.wait(timeout=10) == -signal.SIGKILL
    finally:
        stop(first)
    # A mail whose end line was on the wire when the sender died may still
    # land: let the server read what the dead connection left.
    time.sleep(0.5)
    first_run = sink.count()
    print(f"killed the first sender after {first_run} of {SUBSCRIBERS} mails")
    assert first_run < SUBSCRIBERS, "the first sender had sent everything before it was killed: not mid-run"

    # A new sender on the same host, at once.
    started = time.monotonic()
    try:
        second = subprocess.run(send_command(store.db, sink.url), env=hfr_env(),
                                capture_output=True, text=True, timeout=SEND_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the restarted sender did not finish within {SEND_TIMEOUT} s (waiting for the "
                    f"dead sender's lease?); the server had {sink.count()} mails")
    took = time.monotonic() - started
    assert second.returncode == 0, f"the restarted sender exited {second.returncode}: {second.stderr}"
    print(f"the restarted sender took {took:.1f} s: {second.stdout.strip()}; "
          f"the server has {sink.count()} mails")

    problems = delivery_problems(store, sink, people, first_run=first_run)
    problems += status_problems(store)
    assert not problems, (
        f"after a sender was killed at {first_run} mails and another ran "
        f"({second.stdout.strip()!r}, {took:.1f} s):\n" + "\n".join(problems))


def test_a_sender_killed_between_recording_a_hand_over_and_its_end_line_loses_nothing(
        store, sink, tmp_path):
    people = publish_to_subscribers(store.db, tmp_path)
    nth = 5
    env = dict(hfr_env(), HFR_FAULT_HANDOVER_PAUSE=f"{nth}:60000")
    first = None
    try:
        with open(tmp_path / "send1.err", "w") as err:
            # One connection, so the pause stops all sending at mail `nth`.
            first = subprocess.Popen(send_command(store.db, sink.url, "--connections", "1"), env=env,
                                     stdout=subprocess.PIPE, stderr=err, text=True)
            # The sender says when it pauses (after the hand-over of mail
            # `nth` is recorded, before its end line).
            log = tmp_path / "send1.err"
            deadline = time.monotonic() + SEND_TIMEOUT
            while ("fault injection" not in log.read_text(errors="replace") and first.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.01)
            assert first.poll() is None, f"the sender ended early, see {log}"
            assert "fault injection" in log.read_text(errors="replace"), f"the sender never paused, see {log}"
            time.sleep(0.2)
            before = sink.count()
            assert before == nth - 1, f"the server had {before} mails at the pause, want {nth - 1}"
            assert store.handed_in_flight() == 1
            os.kill(first.pid, signal.SIGKILL)
            assert first.wait(timeout=10) == -signal.SIGKILL
    finally:
        stop(first)
    # The finisher completes the handed mail once the sender is gone (at
    # once; a minute is for a loaded CI machine).
    deadline = time.monotonic() + 60
    while sink.count() < nth and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sink.count() == nth, (
        f"the mail recorded as handed was not completed after the sender died: the server has "
        f"{sink.count()} mails, want {nth}; partial: {sink.partial()}")

    second = subprocess.run(send_command(store.db, sink.url), env=hfr_env(),
                            capture_output=True, text=True, timeout=SEND_TIMEOUT)
    assert second.returncode == 0, f"the restarted sender exited {second.returncode}: {second.stderr}"
    problems = delivery_problems(store, sink, people, first_run=nth)
    problems += status_problems(store)
    assert not problems, "\n".join(problems)


def test_two_senders_on_one_postgres_store_share_the_outbox(pg_store, sink, tmp_path):
    people = publish_to_subscribers(pg_store.db, tmp_path)
    # One connection each, so neither sender drains the outbox before the
    # other has started (when this binary has the option).
    extra = ["--connections", "1"] if "--connections" in send_options() else []

    procs = []
    try:
        for i in (1, 2):
            with open(tmp_path / f"send{i}.err", "w") as err:
                procs.append(subprocess.Popen(
                    send_command(pg_store.db, sink.url, *extra), env=hfr_env(),
                    stdout=subprocess.PIPE, stderr=err, text=True))
        outs = []
        for p in procs:
            try:
                out, _ = p.communicate(timeout=SEND_TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail(f"a sender did not finish within {SEND_TIMEOUT} s; the server had {sink.count()} mails")
            assert p.returncode == 0, f"a sender exited {p.returncode}; see {tmp_path}/send*.err"
            outs.append(out.strip())
    finally:
        for p in procs:
            stop(p)
    print("the two senders:", outs)

    problems = delivery_problems(pg_store, sink, people)
    problems += status_problems(pg_store)
    counts = [sent_count(o) for o in outs]
    if None in counts:
        problems.append(f"a sender printed no 'sent N, …' line: {outs}")
    else:
        if sum(counts) != SUBSCRIBERS:
            problems.append(f"the senders say they sent {counts}, {sum(counts)} in all, want {SUBSCRIBERS}")
        if min(counts) == 0:
            problems.append(f"one sender sent nothing ({counts}): the two did not really share the work")
    assert not problems, f"two senders {' '.join(extra)} ({outs}):\n" + "\n".join(problems)
