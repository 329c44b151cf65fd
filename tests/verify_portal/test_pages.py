"""Product and parcel pages: what a consumer sees, in which language, and the same code as JSON for programs."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from markupsafe import escape

from ledger.events import LogEntry
from ledger.events.builders import recall_payload
from ledger.identifiers import batch_subject
from ledger.store.attachments import erase_attachment
from ledger.store.cosignatures import record_cosignature
from signer.keys import SigningKey
from signer.note import CosignatureSigner, parse_note
from tests.scenarios.world import gtin, sscc
from tests.verify_portal.conftest import (
    BAD_SHOP_REASON,
    HAM,
    ITEM,
    PARCEL,
    RECALLED,
    REVIEW_TEXT,
    UNSOLD,
    Portal,
    page_text,
)
from verify_portal.i18n import Texts
from verify_portal.routes import GS1_PIP, GS1_TRACEABILITY

ZH, EN = Texts("zh-CN"), Texts("en")
PROBLEM_JSON = "application/problem+json"


def _events(page: str) -> list[tuple[int, str]]:
    """The (leaf index, event id) of every timeline event, in page order."""
    found = re.findall(r'<li class="event [^"]*" data-leaf-index="(\d+)" data-event-id="([0-9a-f]{64})"', page)
    return [(int(index), event_id) for index, event_id in found]


def test_an_item_page_lists_every_event_of_its_bundle_in_chinese(portal: Portal) -> None:
    response = portal.client.get(f"/{ITEM.path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == "zh-CN"
    page = response.text
    assert page.startswith('<!doctype html>\n<html lang="zh-CN">')
    bundle = portal.client.get(f"/v1/subjects/{ITEM.path}").json()
    assert _events(page) == [(e["index"], e["event_id"]) for e in bundle["entries"]]
    signed = [LogEntry.parse(base64.b64decode(e["entry"])).event.payload for e in bundle["entries"]]
    shown = re.findall(
        r'data-event-id="[0-9a-f]{64}" data-kind="([a-z.]+)">[^<]*(?:<(?!time)[^<]*)*<time datetime="([^"]+)"', page
    )
    assert shown == [(p.kind, p.time) for p in signed]  # as signed, for verify.js to compare with the entries
    ledger = portal.fixture.ledger
    assert f'<meta name="traceledger-log-vkey" content="{ledger.log_verifier.vkey}">' in page
    assert f'<meta name="traceledger-origin" content="{ledger.origin}">' in page
    assert '<link rel="stylesheet" href="/static/portal/portal.css">' in page
    assert '<script type="module" src="/static/portal/verify.js"></script>' in page
    assert (
        f'<div id="verdict" data-state="pending" data-text-pending="{ZH("verdict_pending")}" '
        f'data-text-verified="{ZH("verdict_verified")}" data-text-failed="{ZH("verdict_failed")}" '
        f'data-text-unsupported="{ZH("verdict_unsupported")}"'
    ) in page
    assert '<span id="checkpoint-verdict" data-state="pending"' in page
    assert page.count('<span class="event-verdict" data-state="pending"') == len(bundle["entries"])
    for text in ("宣威火腿", "宣威火腿厂", ZH("ev_production"), ZH("ev_inspection"), ZH("ev_handoff"), "曲靖分拨中心",
                 ZH("ev_signature"), ZH("verified_identity"), "★★★★☆", ZH("receive_action")):  # fmt: skip
        assert text in page_text(page), text
    assert "<script>window" not in page  # the page embeds no bundle and no inline script


def test_english_is_chosen_by_query_or_accept_language(portal: Portal) -> None:
    by_query = portal.client.get(f"/{ITEM.path}?lang=en")
    by_header = portal.client.get(f"/{ITEM.path}", headers={"Accept-Language": "en-GB,en;q=0.9,zh-CN;q=0.5"})
    for response in (by_query, by_header):
        assert response.headers["content-language"] == "en"
        assert '<html lang="en">' in response.text
        assert EN("ev_production") in response.text
        assert ZH("ev_production") not in response.text
    chinese_first = portal.client.get(f"/{ITEM.path}", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-CN">' in chinese_first.text
    back = portal.client.get(f"/{ITEM.path}?lang=zh", headers={"Accept-Language": "en"})
    assert '<html lang="zh-CN">' in back.text


def test_json_is_exactly_the_api_bundle_with_links_to_both_forms(portal: Portal) -> None:
    response = portal.client.get(f"/{HAM.path}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == portal.client.get(f"/v1/subjects/{HAM.path}").json()
    links = response.headers["link"]
    assert f'</{HAM.path}>; rel="{GS1_PIP}"; type="text/html"; hreflang="zh-CN"' in links
    assert f'</{HAM.path}?lang=en>; rel="{GS1_PIP}"; type="text/html"; hreflang="en"' in links
    assert f'</v1/subjects/{HAM.path}>; rel="{GS1_TRACEABILITY}"; type="application/json"' in links
    assert f'</{HAM.path}>; rel="alternate"; type="application/json"' in links
    assert response.headers["link"] == portal.client.get(f"/{HAM.path}").headers["link"]
    assert "Accept" in response.headers["vary"]


def test_review_text_with_markup_is_shown_as_text(portal: Portal) -> None:
    page = portal.client.get(f"/{ITEM.path}").text
    assert str(escape(REVIEW_TEXT)) in page
    assert "<script>window.pwned" not in page


def test_an_erased_review_text_shows_content_removed(portal: Portal) -> None:
    assert erase_attachment(portal.fixture.ledger, portal.fixture.registrar, portal.story.review_digest, "court_order")
    page = portal.client.get(f"/{ITEM.path}").text
    assert ZH("content_removed") in page
    assert ZH("ev_attachment.erasure") in page  # the logged erasure is on the timeline, with its reason
    assert ZH("erasure_detail", reason=ZH("erasure_court_order")) in page_text(page)
    english = portal.client.get(f"/{ITEM.path}?lang=en").text
    assert EN("erasure_detail", reason=EN("erasure_court_order")) in page_text(english)
    assert "pwned" not in page
    assert "★★★★☆" in page  # the rating is in the log and stays


def test_the_batch_page_shows_the_black_listed_shop_complaint_and_resolution(portal: Portal) -> None:
    page = page_text(portal.client.get(f"/{HAM.path}").text)
    banner = page.split(ZH("banner_black_listed"), 1)[1].split(ZH("verdict_pending"), 1)[0]
    assert f"黑心超市：{BAD_SHOP_REASON}" in banner
    assert ZH("complaint_category", category=ZH("complaint_quality")) in page
    assert ZH("complaint_channel", channel=ZH("channel_12315")) in page
    assert ZH("resolution_outcome", outcome=ZH("outcome_compensated")) in page
    assert ZH("resolution_reason", reason=ZH("settled_mediation_agreement")) in page
    assert ZH("compensation", amount="50.00") in page
    assert ZH("banner_recall") not in page
    assert ZH("receive_action") not in page  # only a serialised item is signed for and reviewed from its page


def test_a_recalled_batch_shows_its_banner_first(portal: Portal) -> None:
    page = portal.client.get(f"/{RECALLED.path}?lang=en").text
    main = page.split("<main>", 1)[1]
    assert main.lstrip().startswith('<section class="banner danger" role="alert">')
    assert EN("banner_recall") in page_text(main.split("</section>", 1)[0])
    assert EN("banner_recall_reason", reason=EN("reason_safety"), level=1) in page_text(page)
    assert EN("ev_recall") in page


def test_a_batch_made_from_a_recalled_input_says_so_in_both_languages(portal: Portal) -> None:
    world, producer = portal.story.world, portal.story.producer
    salt = batch_subject(gtin("690123", 3), "YAN-1")
    used = world.produce(producer, salt.gtin or "", salt.lot or "", 10, product="宣威井盐")
    made = batch_subject(gtin("690123", 4), "HAM-9")
    world.produce(producer, made.gtin or "", made.lot or "", 5, product="宣威火腿礼盒", inputs=(used,))
    before = page_text(portal.client.get(f"/{made.path}").text)
    assert ZH("banner_input_recalled") not in before
    world.append(recall_payload(producer.key, salt.path, used, reason="quality", level=2), producer.key)
    for path in (made.path, f"{made.path}/21/0001"):  # the batch's page and its items'
        chinese = page_text(portal.client.get(f"/{path}").text)
        assert "原料批次已召回" in chinese
        assert ZH("banner_input_recalled_batch", product="宣威井盐", lot="YAN-1") in chinese
    english = page_text(portal.client.get(f"/{made.path}?lang=en").text)
    assert "Input recalled" in english
    assert EN("banner_input_recalled_batch", product="宣威井盐", lot="YAN-1") in english
    assert ZH("banner_recall") not in chinese  # the product's own batch is not recalled
    assert ZH("banner_input_recalled") not in page_text(portal.client.get(f"/{HAM.path}").text)


@pytest.mark.parametrize("serial", ["9999", "ABC", "0101", "1", "00001"])
def test_a_serial_its_batch_never_issued_warns_first_in_both_languages(portal: Portal, serial: str) -> None:
    path = f"/{HAM.path}/21/{serial}"  # the batch of 100 issued 0001 to 0100, as its labels print them
    chinese = portal.client.get(path)
    assert chinese.status_code == 200
    main = chinese.text.split("<main>", 1)[1]
    banner = main.lstrip().split("</section>", 1)[0]
    assert banner.startswith('<section class="banner danger" role="alert">')
    assert f'<span data-v="issuance" data-v-value="outside">{ZH("banner_not_issued")}</span>' in banner
    assert "此码未发放" in page_text(banner)
    shown = ZH("banner_not_issued_outside", quantity=100, first="0001", last="0100", serial=serial)
    assert shown in page_text(banner)
    assert f'data-text-not-issued="{ZH("verdict_not_issued")}"' in chinese.text
    english = page_text(portal.client.get(f"{path}?lang=en").text)
    assert "This code was never issued" in english
    assert EN("banner_not_issued_outside", quantity=100, first="0001", last="0100", serial=serial) in english


def test_an_issued_serial_no_dispatch_carried_warns_too(portal: Portal) -> None:
    page = portal.client.get(f"/{UNSOLD.path}").text
    banner = page.split("<main>", 1)[1].lstrip().split("</section>", 1)[0]
    assert banner.startswith('<section class="banner warning" role="alert">')
    assert f'<span data-v="issuance" data-v-value="undispatched">{ZH("banner_not_issued")}</span>' in banner
    assert ZH("banner_not_issued_undispatched", serial="0002") in page_text(banner)
    assert EN("banner_not_issued") in portal.client.get(f"/{UNSOLD.path}?lang=en").text


def test_a_sold_item_and_its_batch_carry_no_never_issued_warning(portal: Portal) -> None:
    for path in (ITEM.path, HAM.path, PARCEL):
        for language in ("zh", "en"):
            page = portal.client.get(f"/{path}?lang={language}").text
            assert ZH("banner_not_issued") not in page_text(page)
            assert EN("banner_not_issued") not in page_text(page)
            assert 'data-v="issuance"' not in page


@pytest.mark.parametrize(("expiry", "expired"), [("200131", "2020-01-31"), ("250200", "2025-02-28"), ("991231", None)])
def test_the_label_expiry_date_can_mark_a_batch_expired(portal: Portal, expiry: str, expired: str | None) -> None:
    page = page_text(portal.client.get(f"/{UNSOLD.path}?17={expiry}").text)
    if expired is None:
        assert "已于" not in page
    else:
        assert ZH("banner_expired", date=expired) in page


def test_a_parcel_page_shows_its_journey(portal: Portal) -> None:
    response = portal.client.get(f"/{PARCEL}?lang=en")
    assert response.status_code == 200
    page = response.text
    for text in (EN("ev_dispatch"), EN("ev_handoff"), EN("ev_signature"), "曲靖分拨中心", "宣威火腿 × 1 件",
                 EN("signature", condition=EN("condition_intact")), EN("consumer")):  # fmt: skip
        assert text in page_text(page), text
    bundle = portal.client.get(f"/{PARCEL}", headers={"Accept": "application/json"}).json()
    assert _events(page) == [(e["index"], e["event_id"]) for e in bundle["entries"]]


def test_a_lot_with_a_slash_is_served_from_its_percent_encoded_path(portal: Portal) -> None:
    world = portal.story.world
    world.produce(portal.story.producer, HAM.gtin or "", "A/1", 5)
    page = portal.client.get(f"/01/{HAM.gtin}/10/A%2F1")
    assert page.status_code == 200
    assert "A/1" in page.text
    assert portal.client.get(f"/01/{HAM.gtin}/10/A/1").status_code == 400  # A then a stray segment 1


def test_an_unknown_code_is_a_friendly_page_or_a_problem(portal: Portal) -> None:
    path = f"/01/{HAM.gtin}/10/NOPE"
    page = portal.client.get(path)
    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert ZH("not_found_title") in page.text
    assert "12315" in page.text
    problem = portal.client.get(path, headers={"Accept": "application/json"})
    assert problem.status_code == 404
    assert problem.headers["content-type"] == PROBLEM_JSON
    assert json.loads(problem.content)["type"] == "/problems/not-found"


@pytest.mark.parametrize(
    "path",
    ["/01/06901230000011/10/X", "/01/06901230000010/21/0001", "/00/123", f"/{HAM.path}?17=201399",
     f"/{HAM.path}/21/" + "9" * 21],
)  # fmt: skip
def test_a_malformed_code_is_a_bad_request_in_both_forms(portal: Portal, path: str) -> None:
    page = portal.client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert page.status_code == 400
    assert EN("bad_code_title") in page.text
    problem = portal.client.get(path, headers={"Accept": "application/json"})
    assert problem.status_code == 400
    assert json.loads(problem.content)["type"] == "/problems/invalid-identifier"


def test_the_start_page_explains_scanning_in_both_languages(portal: Portal) -> None:
    chinese = portal.client.get("/")
    assert chinese.status_code == 200
    assert ZH("landing_title") in chinese.text
    english = portal.client.get("/?lang=en")
    assert EN("landing_title") in english.text
    assert 'href="?lang=zh"' in english.text


def test_the_language_switch_keeps_the_expiry_query(portal: Portal) -> None:
    page = portal.client.get(f"/{UNSOLD.path}?17=291231").text
    assert 'href="?17=291231&amp;lang=en"' in page


def test_the_checkpoint_shows_how_many_witnesses_cosigned_it(portal: Portal) -> None:
    assert ZH("checkpoint_no_witnesses") in portal.client.get(f"/{ITEM.path}").text
    ledger = portal.fixture.ledger
    checkpoint = ledger.checkpoint()
    for name in ("witness.example/a", "witness.example/b"):
        witness = CosignatureSigner(name, SigningKey.generate())
        signature = witness.cosign(parse_note(checkpoint.note).text, int(time.time()))
        assert record_cosignature(ledger.engine, checkpoint, witness.verifier, [signature])
    page = portal.client.get(f"/{ITEM.path}").text
    assert ZH("checkpoint_witnesses", count=2) in page
    bundle = portal.client.get(f"/{ITEM.path}", headers={"Accept": "application/json"}).json()
    assert len(parse_note(bundle["checkpoint"]).signatures) == 3  # the log's own and the two witnesses'


def test_a_parcel_to_a_shop_shows_its_arrival(portal: Portal) -> None:
    world, story = portal.story.world, portal.story
    courier = world.register("顺路配送", "courier")
    parcel = sscc(2)
    world.dispatch(story.producer, parcel, [(HAM.path, 10)], to=story.shop)
    world.handoff(courier, parcel, "麒麟区 顺路驿站")
    world.handoff(story.shop, parcel, "云品优选仓库")
    page = portal.client.get(f"/{parcel}").text
    assert ZH("dispatch_to_actor", place="曲靖市麒麟区", to="云品优选") in page_text(page)
    titles = re.findall(r'<span class="event-title"><span [^>]*>([^<]*)</span></span>', page)
    assert titles.count(ZH("ev_handoff")) == 1
    assert ZH("ev_arrival") in titles
    assert ZH("handoff", place="云品优选仓库", from_="顺路配送") in page_text(page)
