"""The scan path's cost in SQL: one view of a code (its page, then the bundle the page's verifier fetches) reads
the log through one snapshot, and the bundle the page names is the one its HTML was drawn from, ready."""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.pool import Pool

from ledger.events.builders import listing_payload
from tests.verify_portal.conftest import HAM, ITEM, PARCEL, Portal

# The statements one view may cost, counted by the driver: the scan's insert (with its BEGIN IMMEDIATE, COMMIT and
# the day's bound check), one snapshot's reads (the history, its signers back to genesis, the page's names,
# reviews, attachments, the parties' credit, scans), and nothing for the bundle the page names: 31 for the item.
# Reading each piece on its own connection, and the history again for the bundle, an item's view cost 97.
MAX_STATEMENTS_PER_VIEW = 36
BROWSER_FETCH = {"Accept": "application/json", "Sec-Fetch-Site": "same-origin"}


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement a connection checked out of any pool sends while the block runs, counted by the driver
    (view rows are read through the DBAPI cursor directly, past SQLAlchemy's cursor events): SQLite's trace
    callback, a counting cursor class on psycopg's connections."""
    sent: list[str] = []
    touched: list[tuple[Any, Any]] = []

    class Counting(psycopg.Cursor[Any]):
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(str(query))
            return super().execute(query, *args, **kwargs)

        def executemany(self, query: Any, *args: Any, **kwargs: Any) -> None:
            sent.append(str(query))
            super().executemany(query, *args, **kwargs)

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(sent.append)
            touched.append((dbapi_connection, None))
        else:
            touched.append((dbapi_connection, dbapi_connection.cursor_factory))
            dbapi_connection.cursor_factory = Counting

    event.listen(Pool, "checkout", checkout)
    try:
        yield sent
    finally:
        event.remove(Pool, "checkout", checkout)
        for connection, factory in touched:
            if factory is None:
                connection.set_trace_callback(None)
            else:
                connection.cursor_factory = factory


def _bundle_path(page: str, path: str) -> str:
    """Where the page's verifier fetches its bundle: the URL the page names, else the page's own path."""
    named = re.search(r'<meta name="traceledger-bundle" content="([^"]+)"', page)
    return html.unescape(named.group(1)) if named else f"/{path}"


def _view(portal: Portal, path: str) -> tuple[list[str], dict[str, Any]]:
    with statements() as sent:
        page = portal.client.get(f"/{path}", headers={"Accept": "text/html"})
        assert page.status_code == 200
        bundle = portal.client.get(_bundle_path(page.text, path), headers=BROWSER_FETCH)
        assert bundle.status_code == 200
    return sent, bundle.json()


def test_a_view_of_a_code_costs_a_few_statements(portal: Portal) -> None:
    for subject in (ITEM.path, HAM.path, PARCEL):
        sent, bundle = _view(portal, subject)
        assert bundle["subject"] == subject
        assert len(sent) <= MAX_STATEMENTS_PER_VIEW, (subject, len(sent), sent)


def test_the_page_names_the_bundle_of_its_own_tree_size_which_is_immutable(portal: Portal) -> None:
    page = portal.client.get(f"/{ITEM.path}", headers={"Accept": "text/html"}).text
    url = _bundle_path(page, ITEM.path)
    size = portal.fixture.ledger.size()
    assert url == f"/v1/subjects/{ITEM.path}?size={size}"
    pinned = portal.client.get(url)
    assert pinned.status_code == 200
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert pinned.json() == portal.client.get(f"/v1/subjects/{ITEM.path}").json()
    assert pinned.json()["tree_size"] == size
    again = portal.client.get(url, headers={"If-None-Match": pinned.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == pinned.headers["etag"]
    assert portal.client.get(url, headers={"If-None-Match": '"another"'}).status_code == 200


def test_the_latest_bundle_is_revalidated_and_changes_with_the_log(portal: Portal) -> None:
    first = portal.client.get(f"/v1/subjects/{HAM.path}")
    assert first.headers["cache-control"] == "no-cache"
    held = {"If-None-Match": first.headers["etag"]}
    assert portal.client.get(f"/v1/subjects/{HAM.path}", headers=held).status_code == 304
    world = portal.story.world
    world.append(listing_payload(portal.story.shop.key, HAM.path, first.json()["entries"][0]["event_id"], price=100),
                 portal.story.shop.key)  # fmt: skip
    grown = portal.client.get(f"/v1/subjects/{HAM.path}", headers=held)
    assert grown.status_code == 200
    assert grown.json()["tree_size"] == first.json()["tree_size"] + 1
    assert len(grown.json()["entries"]) == len(first.json()["entries"]) + 1


def test_a_size_no_longer_held_redirects_to_the_latest_and_a_size_beyond_it_is_not_found(portal: Portal) -> None:
    size = portal.fixture.ledger.size()
    old = portal.client.get(f"/v1/subjects/{PARCEL}?size={size - 1}", follow_redirects=False)
    assert old.status_code == 307
    assert old.headers["location"] == f"/v1/subjects/{PARCEL}?size={size}"
    assert portal.client.get(old.headers["location"]).json()["tree_size"] == size
    assert portal.client.get(f"/v1/subjects/{PARCEL}?size={size + 1}").status_code == 404
    assert portal.client.get(f"/v1/subjects/{PARCEL}?size=0").status_code == 400


def test_a_bundle_is_gzipped_once_for_clients_taking_gzip(portal: Portal) -> None:
    url = f"/v1/subjects/{HAM.path}"
    plain = portal.client.get(url, headers={"Accept-Encoding": "identity"})
    zipped = portal.client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.json() == plain.json()
    assert plain.headers["etag"] != zipped.headers["etag"]  # two representations, two strong validators
    assert {plain.headers["vary"], zipped.headers["vary"]} == {"Accept-Encoding"}
    held = {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
    assert portal.client.get(url, headers=held).status_code == 304
