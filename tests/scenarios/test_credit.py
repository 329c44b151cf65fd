"""Issue 11's acceptance stories, through the public HTTP API, the portal and the command line, on SQLite and
PostgreSQL: a shop with an upheld complaint and a black listing drops and shows both; a red-listed producer shows
the badge; a tampered stored credit row is named by the audit; reindex derives every credit view again."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.events import canonical_json, format_time
from ledger.events.builders import listing_payload, sanction_payload
from ledger.store.tables import VIEWS
from tests.api.conftest import Api, make_api, problem
from tests.ledger.audit.tampering import set_column
from tests.ledger.conftest import create_ledger, make_uscc
from tests.scenarios.credit_story import BLACK_REASON, RED_REASON, CreditStory, credit_story
from tests.scenarios.world import World
from verify_portal import PortalSettings, portal_route_handlers


@pytest.fixture
def api(tmp_path: Path, database_url: str | None) -> Iterator[Api]:
    """The API with the portal's pages, as ``traceledger serve`` assembles them (without rate limits)."""
    fixture = create_ledger(tmp_path / "home", database_url)
    portal = portal_route_handlers(PortalSettings(scan_salt=b"credit story"))
    try:
        app = make_api(fixture, read_rate_limit=None, write_rate_limit=None, extra_route_handlers=portal)
        with TestClient(app) as client:
            yield Api(client, World(fixture))
    finally:
        fixture.ledger.close()


@pytest.fixture
def story(api: Api) -> CreditStory:
    return credit_story(api.world)


def record(api: Api, actor_id: str) -> dict[str, Any]:
    response = api.client.get(f"/v1/actors/{actor_id}/record")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def html(api: Api, path: str) -> str:
    response = api.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    return response.text


def text_of(page: str) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_a_shop_with_an_upheld_complaint_and_a_black_listing_drops_and_shows_both(api: Api, story: CreditStory) -> None:
    assert story.levels == {"sold": "B", "upheld": "C", "black": "D"}
    body = record(api, story.shop.id)
    assert (body["level"]["level"], body["level_now"]["level"], body["black_listed"]) == ("D", "D", True)
    reasons = {r["reason"]: r["events"] for r in body["level"]["because"]}
    assert reasons == {"black_list": [story.black], "upheld_complaints": [story.complaint]}
    [sanction] = body["sanctions"]
    assert (sanction["event"], sanction["list"], sanction["status"], sanction["reason"], sanction["by"]) == (
        story.black, "black", "in_force", BLACK_REASON, story.regulator.id,
    )  # fmt: skip
    [complaint] = body["sections"]["complaints"]
    assert (complaint["category"], complaint["outcome"]) == ("counterfeit", "upheld")
    assert complaint["resolution_seconds"] >= 0

    zh = text_of(html(api, f"/actor/{story.shop.id}"))
    assert "D 级 · 失信" in zh
    assert "列入黑名单（严重违法失信）" in zh
    assert "投诉成立或已赔偿" in zh
    assert f"原因：{BLACK_REASON}" in zh
    assert "决定机关：曲靖市市场监督管理局" in zh
    assert "假冒伪劣 · 投诉成立 × 1" in zh
    en = text_of(html(api, f"/actor/{story.shop.id}?lang=en"))
    assert "D · untrustworthy" in en
    assert "on the black list" in en
    assert "upheld or compensated complaints" in en
    assert "Authority: 曲靖市市场监督管理局" in en


def test_a_red_listed_producer_shows_the_badge_on_its_page_and_its_products(api: Api, story: CreditStory) -> None:
    body = record(api, story.producer)
    assert (body["red_listed"], body["level"]["level"]) == (True, "A")
    assert body["level"]["because"] == [{"reason": "red_list", "effect": "raises", "events": [story.red]}]
    page = html(api, f"/actor/{story.producer}")
    assert 'id="red-badge"' in page
    assert "红名单" in text_of(page)
    assert f"原因：{RED_REASON}" in text_of(page)
    product = html(api, f"/{story.item}")
    assert f'href="/actor/{story.producer}?lang=zh"' in product
    assert f'href="/actor/{story.shop.id}?lang=zh"' in product
    shown = text_of(product)
    assert "红名单" in shown
    assert "信用等级 A" in shown
    assert "信用等级 D" in shown
    assert "Red list" in text_of(html(api, f"/{story.item}?lang=en"))


def test_the_disclosure_lists_show_lifting_and_expiry(api: Api, story: CreditStory) -> None:
    black = api.client.get("/v1/sanctions?list=black").json()["sanctions"]
    assert [(s["actor"], s["sanction"]["event"], s["sanction"]["status"]) for s in black] == [
        (story.shop.id, story.black, "in_force")
    ]
    both = api.client.get("/v1/sanctions").json()["sanctions"]
    assert [s["sanction"]["event"] for s in both] == [story.red, story.black]  # newest first
    page = text_of(html(api, "/disclosure?list=black"))
    assert story.shop.name in page
    assert BLACK_REASON in page
    assert RED_REASON not in page
    assert "Red and black lists" in html(api, "/disclosure?lang=en")


def test_lifted_and_expired_sanctions_stay_on_the_disclosure_list(api: Api, story: CreditStory) -> None:
    world, regulator = api.world, story.regulator
    courier = world.register("曲靖快运", "courier")
    past = format_time(datetime.now(UTC) - timedelta(days=1))
    expired = world.append(
        sanction_payload(regulator.key, courier.id, list_="black", reason="虚假签收", until=past), regulator.key
    ).event_id
    lifted = world.append(
        sanction_payload(regulator.key, story.shop.id, list_="black", reason="整改完成", lifts=story.black),
        regulator.key,
    ).event_id
    black = {
        s["sanction"]["event"]: s["sanction"] for s in api.client.get("/v1/sanctions?list=black").json()["sanctions"]
    }
    assert {event: s["status"] for event, s in black.items()} == {expired: "expired", story.black: "lifted"}
    assert black[story.black]["lifted"]["event"] == lifted
    assert black[story.black]["lifted"]["by"] == regulator.id
    assert record(api, courier.id)["level"]["level"] == "B"  # an expired black listing no longer sets D
    assert record(api, story.shop.id)["level"]["level"] == "C"  # lifted: the upheld complaint still counts
    page = text_of(html(api, "/disclosure?list=black"))
    assert "已到期" in page
    assert "已移出" in page
    assert "由 曲靖市市场监督管理局 移出" in page
    assert "Lifted on" in text_of(html(api, f"/actor/{story.shop.id}?lang=en"))


def test_a_sanction_that_ran_out_since_the_file_was_touched_shows_in_the_level_now(
    api: Api, story: CreditStory
) -> None:
    world, regulator = api.world, story.regulator
    courier = world.register("曲靖短期处罚快运", "courier")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    world.append(
        sanction_payload(regulator.key, courier.id, list_="black", reason="延误", until=format_time(soon)),
        regulator.key,
    )
    assert record(api, courier.id)["level"]["level"] == "D"
    while datetime.now(UTC) <= soon:  # until the sanction's end has passed (no later entry touches the file)
        time.sleep(0.2)
    body = record(api, courier.id)
    assert (body["level"]["level"], body["level_now"]["level"], body["black_listed"]) == ("D", "B", False)
    assert body["sanctions"][0]["status"] == "expired"
    assert "按当前时间计算为 B 级 · 良好" in text_of(html(api, f"/actor/{courier.id}"))


def test_red_listed_sellers_are_listed_first_on_a_product_page(api: Api, story: CreditStory) -> None:
    world, regulator = api.world, story.regulator
    production = str(world.batch(story.batch)["production"])
    plain = world.register("曲靖普通网店", "merchant", licences=("food_business",))
    honoured = world.register("曲靖诚信网店", "merchant", licences=("food_business",))
    for shop in (plain, honoured):
        world.append(listing_payload(shop.key, story.batch, production, price=25800), shop.key)
    page = html(api, f"/{story.batch}")
    order = [page.index(f'href="/actor/{shop.id}?') for shop in (plain, honoured)]
    assert order == sorted(order)  # in the order the log met them
    world.append(sanction_payload(regulator.key, honoured.id, list_="red", reason="守信"), regulator.key)
    page = html(api, f"/{story.batch}")
    producer, honoured_at, plain_at = (
        page.index(f'href="/actor/{a}?') for a in (story.producer, honoured.id, plain.id)
    )
    assert producer < honoured_at < plain_at


def test_bad_and_unknown_actors_are_problems(api: Api) -> None:
    problem(api.client.get("/v1/actors/12345/record"), 400, "invalid-identifier")
    problem(api.client.get(f"/v1/actors/{make_uscc(99)}/record"), 404, "not-found")
    problem(api.client.get("/v1/sanctions?list=grey"), 400, "invalid-request")
    assert api.client.get(f"/actor/{make_uscc(99)}").status_code == 404


def cli(api: Api, *args: str) -> subprocess.CompletedProcess[str]:
    """``traceledger ARGS`` as a user runs it, over the story's home (and its database)."""
    home = api.fixture.home
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    where = ["--home", str(home.path), "--database-url", home.database_url()]
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args, *where],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300, check=False,
    )  # fmt: skip


def test_reindex_derives_every_credit_file_again_and_the_audit_names_a_tampered_one(
    api: Api, story: CreditStory
) -> None:
    ledger = api.world.ledger
    before = {key: value for (view, key), value in ledger.views().items() if view == "credit"}
    assert story.shop.id in before
    assert story.producer in before
    reindexed = cli(api, "reindex")
    assert reindexed.returncode == 0, reindexed.stderr
    assert "0 differed from the stored views" in reindexed.stdout
    assert {key: value for (view, key), value in ledger.views().items() if view == "credit"} == before
    assert cli(api, "audit").returncode == 0

    row = json.loads(before[story.shop.id])
    row["level"]["level"] = "B"
    row["sections"]["sanctions"] = []
    set_column(ledger.engine, VIEWS, {"view": "credit", "key": story.shop.id}, "value", canonical_json(row).decode())
    audited = cli(api, "audit", "--json")
    assert audited.returncode != 0
    first = json.loads(audited.stdout)["findings"][0]
    assert (first["where"], first["kind"], first["key"]) == ("view", "credit", story.shop.id)
    assert record(api, story.shop.id)["level"]["level"] == "B"  # what the API serves is the stored (tampered) row
    assert "0 differed" not in cli(api, "reindex").stdout  # and reindex repairs it
    assert record(api, story.shop.id)["level"]["level"] == "D"
