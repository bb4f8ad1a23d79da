"""CSAF 2.0 export and import from outside: every demo alert exported by
`hfr export csaf` and by GET /api/v1/alerts/{id}/csaf, the two compared,
all checked by BSI's csaf-validator-lib (strict schema plus every mandatory
test, tools/csaf-validator), then imported again and compared with the
archive they came from. Other providers' advisories (shared/data/csaf/
examples) go the same way: import, export, validate, import again.

The validator is an npm package pinned in tools/csaf-validator; the test
installs it (`npm ci`) when it is missing, so a fresh machine with node and
npm needs nothing else.
"""

import json
import os
import pathlib
import shutil
import subprocess
import urllib.error

import pytest

from conftest import DEMO, ROOT, hfr_bin, hfr_env

TOOLS = ROOT / "tools" / "csaf-validator"
EXAMPLES = ROOT.parent / "shared" / "data" / "csaf" / "examples"


def in_ci() -> bool:
    return os.environ.get("CI") in ("true", "1")


@pytest.fixture(scope="session")
def validator():
    """The command that validates CSAF files, installed if need be."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are needed for the CSAF validator (tools/csaf-validator)")
    if not (TOOLS / "node_modules" / "@secvisogram" / "csaf-validator-lib").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=TOOLS,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"npm ci failed in {TOOLS}:\n{done.stdout}\n{done.stderr}"
    return [node, str(TOOLS / "validate.mjs")]


def validate(validator, *paths):
    done = subprocess.run([*validator, *map(str, paths)], capture_output=True, text=True, timeout=600)
    print(done.stdout, done.stderr)
    assert done.returncode == 0, f"the CSAF validator found errors:\n{done.stdout[-6000:]}\n{done.stderr}"
    assert " 0 errors" in done.stdout, done.stdout[-2000:]
    return done.stdout


def hfr(db, *args, check=True):
    done = subprocess.run(
        [hfr_bin(), "--db", str(db), *map(str, args)],
        capture_output=True,
        text=True,
        env=hfr_env(),
        timeout=120,
    )
    if check:
        assert done.returncode == 0, f"hfr {' '.join(map(str, args))} failed:\n{done.stderr}"
    return done


def show(db, alert_id):
    return json.loads(hfr(db, "show", "--json", alert_id).stdout)


def ids(db):
    return [row["id"] for row in json.loads(hfr(db, "list", "--json").stdout)]


def test_demo_alerts_export_valid_csaf_that_imports_back_exactly(server, demo_alerts, validator, tmp_path):
    cli, api = tmp_path / "cli", tmp_path / "api"
    cli.mkdir()
    api.mkdir()
    for alert_id in sorted(demo_alerts):
        # The CLI, on the server's archive, with the server's URL: the same
        # document the API serves.
        out = hfr(server.db, "export", "csaf", alert_id, "--out", cli, "--base-url", server.url)
        assert "written as CSAF" in out.stdout
        name = alert_id.lower() + ".json"
        from_cli = json.loads((cli / name).read_text(encoding="utf-8"))

        status, headers, body = server.get(f"/api/v1/alerts/{alert_id}/csaf")
        assert status == 200
        assert headers["Content-Type"].startswith("application/json")
        from_api = json.loads(body)
        (api / name).write_bytes(body)
        assert from_cli == from_api, f"{alert_id}: the CLI and the API export differ"

        doc = from_api["document"]
        assert doc["category"] == "csaf_security_advisory"
        assert doc["lang"] == "ja"
        assert doc["tracking"]["id"] == alert_id
        assert doc["tracking"]["version"] == "1"
        assert doc["publisher"]["namespace"] == server.url
        # What CSAF has no field for is carried in documented notes.
        titles = [n.get("title", "") for n in doc.get("notes", [])]
        assert "hfr:packages" in titles and "hfr:rollout" in titles, titles

    out = validate(validator, cli, api)
    assert "validated 10 documents" in out

    # Imported into a new archive, each export gives back the alert the
    # server's archive holds, and the demo document as written.
    again = tmp_path / "again.sqlite"
    hfr(again, "import", *sorted(cli.glob("*.json")))
    for alert_id, written in demo_alerts.items():
        before = show(server.db, alert_id)
        after = show(again, alert_id)
        assert after == before, f"{alert_id}: the alert changed in the CSAF round trip"
        assert after == written
        assert server.api(f"/alerts/{alert_id}") == after
    # And into an archive of the demo alerts: nothing new.
    demo = tmp_path / "demo.sqlite"
    hfr(demo, "import", "--quiet", *DEMO)
    out = hfr(demo, "import", *sorted(api.glob("*.json")))
    assert out.stdout.count("unchanged") == len(demo_alerts), out.stdout


def test_the_csaf_route_answers_like_the_other_alert_routes(server, demo_alerts):
    alert_id = sorted(demo_alerts)[0]
    status, _, body = server.get(f"/api/v1/alerts/{alert_id.lower()}/csaf?revision=1")
    assert status == 200
    assert json.loads(body)["document"]["tracking"]["id"] == alert_id
    status, _, _ = server.get(f"/api/v1/alerts/{alert_id}/csaf.json")
    assert status == 200
    for path, code in [
        ("/api/v1/alerts/NO-SUCH-ALERT/csaf", 404),
        (f"/api/v1/alerts/{alert_id}/csaf?revision=99", 404),
        (f"/api/v1/alerts/{alert_id}/csaf?revision=x", 400),
    ]:
        with pytest.raises(urllib.error.HTTPError) as e:
            server.get(path)
        assert e.value.code == code, path
        assert e.value.headers["Content-Type"].startswith("application/json")
        assert json.loads(e.value.read())["status"] == code
    done = hfr(server.db, "export", "csaf", "NO-SUCH-ALERT", check=False)
    assert done.returncode == 1 and "no such alert" in done.stderr


def example_advisories():
    if not EXAMPLES.is_dir():
        if in_ci():
            pytest.fail(f"{EXAMPLES} is missing (CI has shared/ beside the clone)")
        pytest.skip(f"{EXAMPLES} is missing")
    files = sorted(EXAMPLES.glob("*.json"))
    advisories = [f for f in files if "document" in json.loads(f.read_text(encoding="utf-8"))]
    return files, advisories


def test_other_providers_advisories_import_export_and_validate(validator, tmp_path):
    files, advisories = example_advisories()
    assert len(advisories) >= 15
    db = tmp_path / "foreign.sqlite"
    # Provider metadata and ROLIE feeds are refused, by name.
    done = hfr(db, "import", "--keep-going", *files, check=False)
    assert done.returncode == 1
    refused = [f for f in files if f not in advisories]
    assert refused
    for f in refused:
        line = next((l for l in done.stderr.splitlines() if l.startswith(f"error: {f}: ")), "")
        assert "it lists documents rather than being one" in line and "hfr sync" in line, done.stderr

    stored = ids(db)
    assert len(stored) == len(advisories)
    out = tmp_path / "out"
    out.mkdir()
    for alert_id in stored:
        hfr(db, "export", "csaf", alert_id, "--out", out)
    validate(validator, out)

    again = tmp_path / "again.sqlite"
    hfr(again, "import", "--quiet", *sorted(out.glob("*.json")))
    for alert_id in stored:
        assert show(again, alert_id) == show(db, alert_id), alert_id
