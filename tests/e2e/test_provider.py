"""`hfr serve` as a CSAF 2.0 provider, checked from outside the way a CSAF
tool finds and fetches advisories: the provider metadata at the well-known
URL (validated against the official provider JSON schema, whose publisher is
a reference into the CSAF advisory schema), then the directory (listings,
index.txt, changes.csv) and the ROLIE feed to every document, every hash
file checked against the bytes, and every document through BSI's validator.

The schema check uses Python's `jsonschema` with a `referencing` registry of
the local schemas (shared/data/csaf/schema), so nothing is fetched from the
network; the test installs the pinned package into the test virtualenv when
it is missing, as test_csaf.py installs the validator.
"""

import csv
import datetime
import hashlib
import importlib
import io
import json
import pathlib
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import DEMO, ROOT, hfr_bin, hfr_env
from test_csaf import validate, validator  # noqa: F401 (validator is a fixture)

SCHEMAS = ROOT.parent / "shared" / "data" / "csaf" / "schema"
JSONSCHEMA = "jsonschema[format-nongpl]==4.26.0"
CSAF_SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
METADATA = "/.well-known/csaf/provider-metadata.json"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Requirement 9: the metadata is served directly. A redirect is an
    error here, not something to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, content_type: str):
    """GET `url` without following redirects: 200, CORS open to all, the
    content type given. Returns the body."""
    with OPENER.open(urllib.request.Request(url), timeout=30) as resp:
        assert resp.status == 200, url
        assert resp.headers["Access-Control-Allow-Origin"] == "*", url
        assert resp.headers["Content-Type"] == content_type, url
        return resp.read()


@pytest.fixture(scope="session")
def jsonschema_modules():
    """`jsonschema` and `referencing`, installed into this virtualenv if
    need be (with the format checkers for `uri` and `date-time`)."""
    try:
        import jsonschema  # noqa: F401
        import rfc3339_validator  # noqa: F401
        import rfc3986_validator  # noqa: F401
    except ImportError:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", JSONSCHEMA],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"cannot install {JSONSCHEMA}:\n{done.stdout}\n{done.stderr}"
        importlib.invalidate_caches()
    jsonschema = importlib.import_module("jsonschema")
    referencing = importlib.import_module("referencing")
    importlib.import_module("referencing.jsonschema")
    return jsonschema, referencing


@pytest.fixture(scope="session")
def provider_schema(jsonschema_modules):
    """A Draft 2020-12 validator of provider_json_schema.json, its $refs
    resolved from the local copies of the schemas it uses."""
    if not SCHEMAS.is_dir():
        pytest.fail(f"{SCHEMAS} is missing (the schemas live in shared/ beside the clone)")
    jsonschema, referencing = jsonschema_modules
    from referencing.jsonschema import DRAFT4, DRAFT7, DRAFT202012

    def load(name):
        return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))

    resources = [(CSAF_SCHEMA, referencing.Resource.from_contents(load("csaf_json_schema.json"), DRAFT202012))]
    # The CSAF schema refers to the CVSS schemas by URLs without the
    # `?date` their own ids carry: register them under both.
    for name, spec in [("cvss-v2.0.json", DRAFT4), ("cvss-v3.0.json", DRAFT4), ("cvss-v3.1.json", DRAFT7)]:
        contents = load(name)
        resource = referencing.Resource.from_contents(contents, default_specification=spec)
        own = contents.get("$id") or contents.get("id")
        for uri in {f"https://www.first.org/cvss/{name}", own}:
            resources.append((uri, resource))
    registry = referencing.Registry().with_resources(resources)
    schema = load("provider_json_schema.json")
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    checker = cls.FORMAT_CHECKER
    # Without their optional packages, jsonschema skips these formats
    # silently; the canonical URL and the dates must really be checked.
    assert {"uri", "date-time"} <= set(checker.checkers), sorted(checker.checkers)
    return cls(schema, registry=registry, format_checker=checker)


def errors(schema_validator, doc):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in schema_validator.iter_errors(doc)]


def test_provider_metadata_is_valid_and_served_directly(server, provider_schema):
    body = fetch(server.url + METADATA, "application/json")
    metadata = json.loads(body)
    assert errors(provider_schema, metadata) == []

    assert metadata["canonical_url"] == server.url + METADATA
    assert metadata["metadata_version"] == "2.0"
    assert metadata["role"] == "csaf_provider"
    directories = [d["directory_url"] for d in metadata["distributions"] if "directory_url" in d]
    assert directories == [server.url + "/.well-known/csaf/white/"]
    feeds = [f for d in metadata["distributions"] for f in d.get("rolie", {}).get("feeds", [])]
    assert [(f["tlp_label"], f["url"]) for f in feeds] == [
        ("WHITE", server.url + "/.well-known/csaf/feed-tlp-white.json")
    ]
    # The publisher of the documents.
    some = sorted(p.stem for p in DEMO)[0]
    doc = json.loads(server.get(f"/api/v1/alerts/{some}/csaf")[2])
    assert metadata["publisher"] == doc["document"]["publisher"]

    # The validator is not a rubber stamp: it refuses a wrong role, and a
    # publisher the CSAF schema (reached through the registry) refuses.
    for broken in [
        {**metadata, "role": "csaf_trusted_publisher"},
        {**metadata, "publisher": {**metadata["publisher"], "category": "nobody"}},
        {**metadata, "canonical_url": server.url + "/provider.json"},
        {**metadata, "last_updated": "yesterday"},
    ]:
        assert errors(provider_schema, broken), broken


def hrefs(html: str):
    return re.findall(r'href="([^"]+)"', html)


def parse_time(s: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_directory_and_feed_lead_to_every_document_and_its_hashes(server, validator, tmp_path):  # noqa: F811
    metadata = json.loads(fetch(server.url + METADATA, "application/json"))
    directory = next(d["directory_url"] for d in metadata["distributions"] if "directory_url" in d)
    feed_url = next(f["url"] for d in metadata["distributions"] for f in d.get("rolie", {}).get("feeds", []))

    # index.txt: one relative path per line, each document once.
    index = fetch(directory + "index.txt", "text/plain; charset=utf-8").decode()
    paths = index.splitlines()
    assert index.endswith("\n") and len(paths) == len(set(paths)) == len(DEMO), index
    saved = tmp_path / "white"
    documents = {}
    for path in paths:
        year, name = path.split("/")
        body = fetch(directory + path, "application/json")
        doc = json.loads(body)
        tracking = doc["document"]["tracking"]
        # The folder is the year of the initial release, the name CSAF's rule.
        assert year == tracking["initial_release_date"][:4], path
        assert name == re.sub(r"[^+\-a-z0-9]+", "_", tracking["id"].lower()) + ".json", path
        # The same bytes as the API's document of the alert.
        _, _, api = server.get(f"/api/v1/alerts/{urllib.parse.quote(tracking['id'])}/csaf")
        assert api == body, f"{path} differs from the API's document"
        for algorithm in ("sha256", "sha512"):
            text = fetch(f"{directory}{path}.{algorithm}", "text/plain; charset=utf-8").decode()
            # `sha256sum` format: the digest, two spaces, the file name.
            assert text == f"{hashlib.new(algorithm, body).hexdigest()}  {name}\n", f"{path}.{algorithm}"
        (saved / year).mkdir(parents=True, exist_ok=True)
        (saved / path).write_bytes(body)
        documents[path] = doc

    # The listings (requirement 14) lead to the same documents and hashes.
    listed = set()
    top = fetch(directory, "text/html; charset=utf-8").decode()
    assert {"index.txt", "changes.csv"} <= set(hrefs(top))
    for year in [h for h in hrefs(top) if re.fullmatch(r"\d{4}/", h)]:
        page = fetch(directory + year, "text/html; charset=utf-8").decode()
        links = set(hrefs(page))
        for link in links:
            if link.endswith(".json"):
                listed.add(year + link)
                assert {link + ".sha256", link + ".sha512"} <= links
    assert listed == set(paths)

    # changes.csv: every document, newest first, both fields quoted, no header.
    changes = fetch(directory + "changes.csv", "text/csv; charset=utf-8").decode()
    lines = changes.splitlines()
    assert all(re.fullmatch(r'"[^"]+","[^"]+"', line) for line in lines), changes
    rows = list(csv.reader(io.StringIO(changes)))
    assert sorted(r[0] for r in rows) == sorted(paths)
    for path, date in rows:
        assert date == documents[path]["document"]["tracking"]["current_release_date"], path
    times = [parse_time(date) for _, date in rows]
    assert times == sorted(times, reverse=True), changes

    # The ROLIE feed: every document, with its hashes, in the order of changes.csv.
    feed = json.loads(fetch(feed_url, "application/json"))["feed"]
    assert re.fullmatch(r"[a-zA-Z0-9+\-_.]+", feed["id"])
    assert feed["link"][0] == {"rel": "self", "href": feed_url}
    assert feed["category"][0] == {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
    assert parse_time(feed["updated"]) == times[0]
    assert [e["content"]["src"] for e in feed["entry"]] == [directory + path for path, _ in rows]
    for entry in feed["entry"]:
        src = entry["content"]["src"]
        path = src[len(directory):]
        tracking = documents[path]["document"]["tracking"]
        assert entry["id"] == tracking["id"]
        assert entry["title"] == documents[path]["document"]["title"]
        assert entry["published"] == tracking["initial_release_date"]
        assert entry["updated"] == tracking["current_release_date"]
        assert entry["content"]["type"] == "application/json"
        assert entry["format"] == {"schema": CSAF_SCHEMA, "version": "2.0"}
        assert entry["link"][0] == {"rel": "self", "href": src}
        hashes = [link["href"] for link in entry["link"] if link["rel"] == "hash"]
        assert sorted(hashes) == [src + ".sha256", src + ".sha512"]
        body = (saved / path).read_bytes()
        assert fetch(src, "application/json") == body
        for h in hashes:
            algorithm = h.rsplit(".", 1)[1]
            digest = fetch(h, "text/plain; charset=utf-8").decode().split()[0]
            assert digest == hashlib.new(algorithm, body).hexdigest(), h

    # Every document passes BSI's validator: strict schema and mandatory tests.
    out = validate(validator, saved)
    assert f"validated {len(DEMO)} documents" in out


def test_unknown_provider_files_are_404_and_directories_want_their_slash(server):
    for path in [
        "/.well-known/csaf/white/1999/",
        "/.well-known/csaf/white/2004/no-such-advisory.json",
        "/.well-known/csaf/white/2004/ms04-035.json.asc",
        "/.well-known/csaf/feed-tlp-red.json",
    ]:
        with pytest.raises(urllib.error.HTTPError) as e:
            OPENER.open(server.url + path, timeout=10)
        assert e.value.code == 404, path
        assert e.value.headers["Access-Control-Allow-Origin"] == "*"
    with pytest.raises(urllib.error.HTTPError) as e:
        OPENER.open(server.url + "/.well-known/csaf/white", timeout=10)
    assert e.value.code == 308
    assert e.value.headers["Location"] == "/.well-known/csaf/white/"


def test_the_static_export_is_the_same_provider(server, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [hfr_bin(), "--db", str(server.db), "export-site", str(site), "--base-url", server.url],
        check=True,
        env=hfr_env(),
        capture_output=True,
    )
    root = site / ".well-known" / "csaf"
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) >= 3 * len(DEMO) + 4
    for f in files:
        rel = f.relative_to(site).as_posix()
        url = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        status, _, body = server.get(url)
        assert status == 200 and body == f.read_bytes(), f"{rel} differs from {url}"
