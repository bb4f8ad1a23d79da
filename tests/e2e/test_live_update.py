"""An analyst imports while the site is being read: the running server, in
another process, shows the new revision within a few seconds, though it
keeps rendered pages in memory."""

import json
import subprocess
import time

from conftest import hfr_bin, hfr_env, running_server


def test_an_import_by_another_process_shows_on_the_site(tmp_path, demo_alerts):
    with running_server(tmp_path) as srv:
        alert = sorted(demo_alerts.values(), key=lambda a: a["id"])[0]
        path = f"/alerts/{alert['id']}/"
        _, _, before = srv.get(path)
        srv.get("/")  # now both pages are cached
        changed = dict(alert, title="別プロセスからの改訂で付けた新しい題名")
        doc = tmp_path / "changed.json"
        doc.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
        out = subprocess.run(
            [hfr_bin(), "--db", str(srv.db), "import", str(doc)],
            env=hfr_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        assert "revision 2" in out.stdout, out.stdout
        deadline = time.monotonic() + 5
        while True:
            _, _, page = srv.get(path)
            _, _, top = srv.get("/")
            new = changed["title"].encode()
            if new in page and new in top:
                break
            assert time.monotonic() < deadline, "the site still shows the old revision after 5 s"
            time.sleep(0.1)
        assert page != before
        assert srv.api(f"/alerts/{alert['id']}")["title"] == changed["title"]
