"""The Atom feed as an independent reader sees it: Python's feedparser."""

import datetime

import feedparser


def test_feed_is_valid_atom_with_every_alert(server, demo_alerts):
    status, headers, body = server.get("/feed.atom")
    assert status == 200
    assert headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo, f"feedparser found the feed malformed: {feed.get('bozo_exception')}"
    assert feed.version == "atom10"
    assert feed.feed.get("title")
    assert feed.feed.get("id")
    assert feed.feed.get("updated_parsed")
    self_links = [l for l in feed.feed.links if l.get("rel") == "self"]
    assert self_links and self_links[0]["href"].endswith("/feed.atom")

    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids)), "entry ids must be unique"
    titles = " ".join(e.title for e in feed.entries)
    for alert_id in demo_alerts:
        assert alert_id in titles, f"{alert_id} is not in the feed"

    # Newest first, every entry dated, linked to a page that exists, and
    # carrying a summary a reader can act on.
    updated = [datetime.datetime(*e.updated_parsed[:6]) for e in feed.entries]
    assert updated == sorted(updated, reverse=True)
    for e in feed.entries:
        assert e.get("summary"), e.id
        assert e.link.startswith(server.url), e.link
        status, _, page = server.get(e.link[len(server.url):])
        assert status == 200 and b'lang="ja"' in page, e.link


def test_feed_answers_conditional_requests(server):
    _, headers, _ = server.get("/feed.atom")
    etag = headers["ETag"]
    import urllib.error

    try:
        server.get("/feed.atom", headers={"If-None-Match": etag})
        raise AssertionError("expected 304 Not Modified")
    except urllib.error.HTTPError as e:
        assert e.code == 304
