"""What the page shows as verified is what the browser verified (issue 10, item 1).

The server renders each name, licence, quantity, place, date, rating and review text from the database beside a
binding to where the browser finds it in the verified history (an entry's payload, an actor's verified
registration, an attachment's committed digest, the scanned URL). These tests edit the database behind the portal's
back, alter what the browser receives, or alter one shown text before the verifier runs, and expect the page to flag
exactly the altered field and never to show the all-verified verdict; the untampered page verifies every binding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route
from sqlalchemy import select, update

from ledger.events.attachments import SALT_SIZE
from ledger.rules.views import ACTORS, BATCHES, KEYS
from ledger.store.attachments import erase_attachment
from ledger.store.tables import ATTACHMENTS, VIEWS
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_verification import alter_bundle
from tests.ledger.conftest import create_ledger
from tests.scenarios.world import World
from tests.verify_portal.conftest import HAM, ITEM, PARCEL, REVIEW_TEXT, Story
from verify_portal.i18n import Texts

ZH = Texts("zh-CN")
FAKE_REVIEW = "假评论：五星好评返现！"


@pytest.fixture
def world(tmp_path: Path, database_url: str | None) -> Iterator[World]:
    """A fresh world whose database these tests edit behind the ledger's back (so no reindex check afterwards)."""
    fixture = create_ledger(tmp_path / "home", database_url)
    yield World(fixture)
    fixture.ledger.close()


# --- reading what the page says about each shown field -------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    text: str
    path: str  # the JSON path (or the kind of binding) the browser checked it against
    state: str  # verified, mismatch (shown otherwise than verified), failed (its record failed) or unverified
    marked: bool  # a visible mark beside it (未验证 / differs from the signed record), drawn by the style sheet


@dataclass(frozen=True)
class Fields:
    overall: str
    fields: list[Field]
    events: dict[str, str]  # event id -> its verdict

    def flagged(self) -> list[Field]:
        return [f for f in self.fields if f.state == "mismatch"]

    def of_state(self, state: str) -> list[Field]:
        return [f for f in self.fields if f.state == state]


def read_fields(page: Page) -> Fields:
    """Wait for the verifier's verdict, then read every field's state (elements with ``data-v-state``)."""
    page.wait_for_selector("#verdict:not([data-state='pending'])", timeout=20000)
    state: dict[str, Any] = page.evaluate(
        """() => ({
            overall: document.getElementById("verdict").dataset.state,
            fields: [...document.querySelectorAll("[data-v-state]")].map((el) => [
                el.textContent, el.dataset.vPath ?? el.dataset.v ?? "", el.dataset.vState,
                getComputedStyle(el, "::after").content.includes(el.dataset.vMark ?? "\u0000"),
            ]),
            events: [...document.querySelectorAll("li.event")].map((li) => [
                li.dataset.eventId, li.querySelector(".event-verdict").dataset.state,
            ]),
        })"""
    )
    fields = [Field(text, path, field_state, marked) for text, path, field_state, marked in state["fields"]]
    return Fields(state["overall"], fields, dict(state["events"]))


def open_fields(page: Page, url: str) -> Fields:
    page.goto(url)
    return read_fields(page)


def change_view(world: World, view: str, key: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit a derived view's row behind the ledger's back (the audit's tamper suite does the same)."""
    with world.ledger.engine.begin() as conn:
        (value,) = conn.execute(select(VIEWS.c.value).where(VIEWS.c.view == view, VIEWS.c.key == key)).one()
        row = json.loads(value)
        change(row)
        conn.execute(
            update(VIEWS).where(VIEWS.c.view == view, VIEWS.c.key == key).values(value=json.dumps(row, sort_keys=True))
        )


def assert_only(fields: Fields, text: str) -> None:
    """Exactly the fields showing ``text`` are flagged, all of them, each with a visible mark, and the page's
    verdict is not green."""
    flagged = fields.flagged()
    assert flagged, "nothing was flagged"
    assert {f.text for f in flagged} == {text}, flagged
    assert [f for f in fields.fields if f.text == text and f.state != "mismatch"] == []
    assert all(f.marked for f in flagged)
    assert fields.overall == "failed"


# --- the untampered page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["batch", "item", "parcel"])
def test_every_shown_field_of_a_real_page_is_bound_and_verified(
    ham: Story, ham_url: str, page: Page, which: str
) -> None:
    path = {"batch": HAM.path, "item": ITEM.path, "parcel": PARCEL}[which]
    fields = open_fields(page, f"{ham_url}/{path}")
    assert fields.overall == "verified"
    assert fields.flagged() == []
    assert set(fields.events.values()) == {"verified"}
    verified = {f.text for f in fields.of_state("verified")}
    expected = {"宣威火腿厂"}
    if which != "batch":  # the parcel's journey
        expected |= {"宣威市", "曲靖分拨中心", "速达快递"}
    if which != "parcel":
        expected |= {
            "宣威火腿",
            "XW2026-11",
            "100",
            "件",
            "2027-11-30",
            "258.00",
            "GB 2730-2015",
            "FOOD_PRODUCTION-101",
            "云南省曲靖市宣威市",
            "测试市场监督管理局",
            "2030-12-31",
            "50.00",
        }
    if which == "item":
        expected |= {"0001", REVIEW_TEXT, "★★★★☆"}
    assert expected <= verified, expected - verified
    # What the log cannot vouch for is marked as such, visibly: how often the code was looked up, the witnesses.
    unverified = fields.of_state("unverified")
    assert any("本码已被查询" in f.text for f in unverified), unverified
    assert all(f.marked for f in unverified)


# --- the database edited behind the portal's back ---------------------------------------------------------------


def test_a_producer_name_changed_in_the_database_is_flagged(world: World, ham: Story, ham_url: str, page: Page) -> None:
    fake = "假冒火腿有限公司"
    change_view(world, ACTORS, ham.producer.id, lambda row: row.update(name=fake))
    fields = open_fields(page, f"{ham_url}/{ITEM.path}")
    assert_only(fields, fake)
    assert len(fields.flagged()) >= 2  # the header and every event the producer signed
    page.screenshot(path=str(SCREENSHOTS / "tampered-zh.png"), full_page=True)


def test_a_licence_number_changed_in_the_database_is_flagged(
    world: World, ham: Story, ham_url: str, page: Page
) -> None:
    fake = "SC99999999999999"
    change_view(world, ACTORS, ham.producer.id, lambda row: row["licences"][0].update(number=fake))
    fields = open_fields(page, f"{ham_url}/{HAM.path}?lang=en")
    assert_only(fields, fake)
    assert set(fields.events.values()) == {"verified"}  # every record verifies; the header lied


@pytest.mark.parametrize(
    ("key", "fake", "shown"),
    [("quantity", 5000, "5000"), ("product", "特级宣威火腿", "特级宣威火腿"), ("unit", "箱", "箱"),
     ("expiry", "2099-12-31", "2099-12-31")],
)  # fmt: skip
def test_a_batch_fact_changed_in_the_database_is_flagged(
    world: World, ham: Story, ham_url: str, page: Page, key: str, fake: object, shown: str
) -> None:
    change_view(world, BATCHES, HAM.path, lambda row: row.update({key: fake}))
    fields = open_fields(page, f"{ham_url}/{ITEM.path}")
    assert_only(fields, shown)


def test_a_quantity_forged_so_that_a_sold_item_looks_never_issued_is_flagged(
    world: World, ham: Story, ham_url: str, page: Page
) -> None:
    """A batch of 100,000 would label its items 000001 on: the server, reading the forged row, warns that 0001 was
    never issued, and the browser flags that warning with the quantity (issue 10, item 6)."""
    change_view(world, BATCHES, HAM.path, lambda row: row.update(quantity=100000))
    fields = open_fields(page, f"{ham_url}/{ITEM.path}")
    assert {f.text for f in fields.flagged()} == {"100000", ZH("banner_not_issued")}
    assert fields.overall == "failed"


def test_a_key_moved_to_another_actor_in_the_database_is_flagged(
    world: World, ham: Story, ham_url: str, page: Page
) -> None:
    change_view(world, KEYS, ham.courier.key.kid, lambda row: row.update(actor=ham.shop.id))
    fields = open_fields(page, f"{ham_url}/{PARCEL}")
    assert_only(fields, ham.shop.name)


def test_a_review_text_rewritten_in_the_database_is_flagged(world: World, ham: Story, ham_url: str, page: Page) -> None:
    fake = FAKE_REVIEW.encode("utf-8")
    with world.ledger.engine.begin() as conn:
        conn.execute(
            update(ATTACHMENTS).where(ATTACHMENTS.c.digest == ham.review_digest).values(content=bytes(SALT_SIZE) + fake)
        )
    fields = open_fields(page, f"{ham_url}/{ITEM.path}")
    assert_only(fields, FAKE_REVIEW)
    assert fields.events.pop(ham.review) == "failed"
    assert set(fields.events.values()) == {"verified"}


def test_an_erased_review_text_is_content_removed_not_a_mismatch(
    world: World, ham: Story, ham_url: str, page: Page
) -> None:
    assert erase_attachment(world.ledger, world.registrar, ham.review_digest, "court_order").created
    fields = open_fields(page, f"{ham_url}/{ITEM.path}")
    assert page.locator(".review-text.removed").text_content() == ZH("content_removed")
    assert fields.flagged() == []
    assert fields.overall == "verified"


# --- what the browser receives, altered in transit ------------------------------------------------------------------


def test_a_review_text_swapped_in_transit_is_flagged(ham: Story, ham_url: str, page: Page) -> None:
    def swap(route: Route) -> None:
        route.fulfill(status=200, body=bytes(SALT_SIZE) + FAKE_REVIEW.encode("utf-8"))

    page.route("**/v1/attachments/**", swap)
    page.goto(f"{ham_url}/{ITEM.path}")
    fields = read_fields(page)
    assert_only(fields, REVIEW_TEXT)  # the server's text, which the fetched content no longer backs


def test_a_field_whose_registration_is_missing_from_the_bundle_is_flagged(
    world: World, ham: Story, ham_url: str, page: Page
) -> None:
    actor = world.ledger.view(ACTORS, ham.courier.id)
    assert actor is not None
    registration = str(actor["registration"])

    def drop(bundle: dict[str, Any]) -> None:
        bundle["registrations"] = [e for e in bundle["registrations"] if e["event_id"] != registration]

    alter_bundle(page, drop)
    fields = open_fields(page, f"{ham_url}/{PARCEL}")
    courier = [f for f in fields.fields if f.text == ham.courier.name]
    assert courier
    assert {f.state for f in courier} == {"failed"}  # its key is unknown now: nothing it signed is shown as verified
    assert all(f.marked for f in courier)
    assert fields.overall == "failed"


# --- every bound field, altered on the page before the verifier reads it -------------------------------------------

# Runs when parsing ends, before module scripts: alters the n-th bound field's shown text (or, for a value shown
# as its translation, the value it claims to show).
BOUND = "[data-v]:not([data-v='none']):not([data-v='checkpoint'])"  # the checkpoint's size is written, not read
ALTER_FIELD = (
    f"const BOUND = {json.dumps(BOUND)};"
    + """
document.addEventListener("readystatechange", () => {
  if (document.readyState !== "interactive") return;
  const el = document.querySelectorAll(BOUND)[%d];
  if (el.hasAttribute("data-v-value")) el.setAttribute("data-v-value", el.getAttribute("data-v-value") + "x");
  else el.textContent = el.textContent + "x";
  el.dataset.altered = "yes";
});
"""
)


def test_each_bound_field_altered_on_the_page_is_flagged_alone(ham: Story, ham_url: str, page: Page) -> None:
    url = f"{ham_url}/{ITEM.path}"
    page.goto(url)
    read_fields(page)
    count: int = page.evaluate("(bound) => document.querySelectorAll(bound).length", BOUND)
    assert count >= 25
    context = page.context
    for n in range(count):
        probe = context.new_page()
        probe.add_init_script(ALTER_FIELD % n)
        probe.goto(url)
        fields = read_fields(probe)
        flagged: list[str] = probe.evaluate(
            "[...document.querySelectorAll('[data-v-state=mismatch]')].map((el) => el.dataset.altered ?? 'no')"
        )
        assert flagged == ["yes"], (n, fields.flagged())
        assert fields.overall == "failed", n
        probe.close()
