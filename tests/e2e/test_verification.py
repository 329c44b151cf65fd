"""The browser verifies a history itself: verify.js in Debian's Chromium against a real ledger, served live.

Every byte the tests alter goes through Playwright's request interception, so the page, the server and the ledger
stay genuine and only what the browser receives is tampered with; the verdicts must follow.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.static_files import create_static_files_router
from playwright.sync_api import Page, Route

from api import bundles
from api.schemas import LoggedEntry
from ledger.events import EventPayload, LogEntry, canonical_json, parse_envelope, sign_event
from ledger.events.builders import (
    Content,
    Registrar,
    dispatch_payload,
    genesis_envelope,
    inspection_payload,
    key_update_payload,
    listing_payload,
    production_payload,
    registration_payload,
    review_payload,
)
from ledger.identifiers import batch_subject
from ledger.log.merkle import MerkleTree, leaf_hash
from signer.dsse import pae
from signer.encoding import b64
from signer.keys import SigningKey
from signer.note import NoteSigner, sign_note
from tests.e2e.conftest import SCREENSHOTS, live_server, portal_app
from tests.ledger.conftest import ORIGIN, REGISTRAR_ID, make_uscc
from tests.scenarios.world import Party, World, gtin, sscc
from tests.vectors import SHARED_VECTORS
from verify_portal.render import STATIC

CRYPTO = "/static/portal/crypto.js"
JSON_ACCEPT = "application/json"


# --- the story every page test reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    producer: Party
    rotated: Party  # the producer after replacing its key (the first key revoked)
    lab: Party
    consumer: SigningKey
    batch: str
    parcel: str

    @property
    def item(self) -> str:
        return f"{self.batch}/21/0001"


def _story(world: World) -> Story:
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    merchant = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    courier = world.register("曲靖速达快递", "courier")
    lab = world.register("云南省食品检验所", "lab")
    batch = batch_subject(gtin("690123", 1), "XW2026-11").path
    production = world.produce(producer, gtin("690123", 1), "XW2026-11", 100)
    world.append(inspection_payload(lab.key, batch, production, result="pass", standard="GB 2730-2015"), lab.key)
    world.append(listing_payload(merchant.key, batch, production, price=25800), merchant.key)
    rotated = Party(producer.id, producer.name, SigningKey.generate())
    actor = world.ledger.view("actors", producer.id)
    assert actor is not None
    world.append(
        key_update_payload(
            producer.key, producer.id, str(actor["key_event"]), add=[(rotated.key.public_key, None)],
            revoke=[producer.key.kid],
        ),
        producer.key,
    )  # fmt: skip
    world.append(inspection_payload(rotated.key, batch, production, result="pass", standard="GB/T 19088"), rotated.key)
    consumer = SigningKey.generate()
    parcel = sscc(1)
    contents = [Content(batch, 2, ("0001", "0002"))]
    dispatch = dispatch_payload(
        rotated.key, parcel, contents, [production], location="宣威市", consignee_key=consumer.public_key
    )
    world.append(dispatch, rotated.key)
    world.handoff(courier, parcel)
    receipt = world.sign_for(consumer, parcel)
    world.append(review_payload(consumer, batch, receipt, rating=5), consumer)
    world.conserved(batch)
    return Story(producer, rotated, lab, consumer, batch, parcel)


@pytest.fixture
def story(world: World) -> Story:
    return _story(world)


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    with live_server(portal_app(world)) as url:
        yield url


# --- reading the verdicts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdicts:
    overall: str
    checkpoint: str
    events: dict[str, str]  # event id -> verified / failed
    reasons: dict[str, str]  # event id -> the reason shown for a failed event


def verdicts(page: Page) -> Verdicts:
    """Wait until the verifier has decided, then read every verdict from the page."""
    page.wait_for_selector("#verdict:not([data-state='pending'])")
    state: dict[str, Any] = page.evaluate(
        """() => ({
            overall: document.getElementById("verdict").dataset.state,
            checkpoint: document.getElementById("checkpoint-verdict").dataset.state,
            events: [...document.querySelectorAll("li.event")].map((li) => {
                const span = li.querySelector(".event-verdict");
                return [li.dataset.eventId, span.dataset.state, span.dataset.reason ?? ""];
            }),
        })"""
    )
    events = {event_id: status for event_id, status, _ in state["events"]}
    reasons = {event_id: reason for event_id, _, reason in state["events"]}
    return Verdicts(state["overall"], state["checkpoint"], events, reasons)


def open_page(page: Page, url: str) -> Verdicts:
    page.goto(url)
    return verdicts(page)


def alter_bundle(page: Page, change: Callable[[dict[str, Any]], None]) -> None:
    """Pass every history bundle the page fetches through ``change``; the HTML itself is left alone."""

    def handle(route: Route) -> None:
        if JSON_ACCEPT not in (route.request.headers.get("accept") or ""):
            route.fallback()
            return
        response = route.fetch()
        bundle = response.json()
        change(bundle)
        route.fulfill(response=response, body=json.dumps(bundle), content_type=JSON_ACCEPT)

    page.route("**/01/**", handle)
    page.route("**/00/**", handle)


def alter_html(page: Page, change: Callable[[str], str]) -> None:
    """Pass every product page the browser loads through ``change``; the bundles it fetches are left alone."""

    def handle(route: Route) -> None:
        if JSON_ACCEPT in (route.request.headers.get("accept") or ""):
            route.fallback()
            return
        response = route.fetch()
        route.fulfill(response=response, body=change(response.text()))

    page.route("**/01/**", handle)


def flip_byte(text: str, position: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[position % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def entry_of(bundle: dict[str, Any], event_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [e for e in bundle["entries"] + bundle["registrations"] if e["event_id"] == event_id]
    (entry,) = found
    return entry


# --- the real history verifies -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["batch", "item", "parcel"])
def test_every_event_of_a_real_history_verifies(
    world: World, story: Story, base_url: str, page: Page, which: str
) -> None:
    path = {"batch": story.batch, "item": story.item, "parcel": story.parcel}[which]
    result = open_page(page, f"{base_url}/{path}")
    page.screenshot(path=str(SCREENSHOTS / f"verify-{which}.png"), full_page=True)
    history = bundles.history_bundle(world.ledger, path)
    assert result.checkpoint == "verified"
    assert result.events == {e.event_id: "verified" for e in history.entries}
    assert result.overall == "verified"
    for verdict in ("#verdict", "#checkpoint-verdict"):  # the page's own wording, from data-text-verified
        assert page.text_content(verdict) == page.get_attribute(verdict, "data-text-verified")
    if which == "batch":
        signers = {_signer(e) for e in history.entries}
        assert {story.producer.key.kid, story.rotated.key.kid} <= signers, "both producer keys signed events shown"


# --- tampering with what the browser receives ----------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 57, 200, -1])
def test_one_altered_byte_fails_exactly_that_event(
    world: World, story: Story, base_url: str, page: Page, position: int
) -> None:
    history = bundles.history_bundle(world.ledger, story.batch)
    listing = next(e.event_id for e in history.entries if e.kind == "listing")
    alter_bundle(page, lambda b: entry_of(b, listing).update(entry=flip_byte(entry_of(b, listing)["entry"], position)))
    result = open_page(page, f"{base_url}/{story.batch}?lang=en")
    assert result.events.pop(listing) == "failed"
    assert result.reasons[listing] == "the entry is not in the signed log"
    assert set(result.events.values()) == {"verified"}, result
    assert result.checkpoint == "verified"
    assert result.overall == "failed"


def _size_byte_flipped(note: str) -> str:
    at = note.index("\n") + 1  # the first digit of the tree size
    return note[:at] + chr(ord(note[at]) ^ 1) + note[at + 1 :]


def _root_replaced(note: str) -> str:
    origin, size, root, rest = note.split("\n", 3)
    return "\n".join([origin, size, flip_byte(root, 5), rest])


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_size_byte_flipped, id="size-byte"),
        pytest.param(_root_replaced, id="root"),
        pytest.param(lambda note: note.replace(f"\u2014 {ORIGIN} ", "\u2014 other.example/log ", 1), id="signer"),
    ],
)
def test_an_altered_checkpoint_fails_the_checkpoint_and_the_verdict(
    story: Story, base_url: str, page: Page, tamper: Callable[[str], str]
) -> None:
    alter_bundle(page, lambda b: b.update(checkpoint=tamper(b["checkpoint"])))
    result = open_page(page, f"{base_url}/{story.batch}")
    assert result.checkpoint == "failed"
    assert result.overall == "failed"
    assert set(result.events.values()) == {"failed"}  # nothing is proved against an unsigned root


def test_a_witness_cosignature_line_by_an_unknown_key_is_ignored(story: Story, base_url: str, page: Page) -> None:
    witness = NoteSigner("witness.example/w1", SigningKey.generate())

    def cosign(bundle: dict[str, Any]) -> None:
        text = bundle["checkpoint"].split("\n\n")[0] + "\n"
        line = f"\u2014 {witness.name} " + base64.b64encode(witness.key_id + witness.sign(text).signature).decode()
        bundle["checkpoint"] += line + "\n"

    alter_bundle(page, cosign)
    result = open_page(page, f"{base_url}/{story.batch}")
    assert (result.checkpoint, result.overall) == ("verified", "verified")


def _signer(entry: LoggedEntry) -> str:
    keyid: str = json.loads(base64.b64decode(entry.entry))["envelope"]["signatures"][0]["keyid"]
    return keyid


@pytest.mark.parametrize("party", ["lab", "producer"])
def test_signatures_by_keys_outside_the_vouching_chain_fail(
    world: World, story: Story, base_url: str, page: Page, party: str
) -> None:
    """Without a party's registration, its key was never published by the log the browser saw: whatever that key
    signed fails, and so does everything signed by keys it published in turn (the producer's replacement key, the
    consignee key of the producer's dispatch)."""
    actor = world.ledger.view("actors", (story.lab if party == "lab" else story.producer).id)
    assert actor is not None
    registration = str(actor["registration"])
    unvouched = (
        {story.lab.key.kid} if party == "lab" else {story.producer.key.kid, story.rotated.key.kid, story.consumer.kid}
    )
    history = bundles.history_bundle(world.ledger, story.batch)
    expected = {e.event_id: "failed" if _signer(e) in unvouched else "verified" for e in history.entries}
    assert "failed" in expected.values()
    assert "verified" in expected.values()

    def drop(bundle: dict[str, Any]) -> None:
        bundle["registrations"] = [e for e in bundle["registrations"] if e["event_id"] != registration]

    alter_bundle(page, drop)
    result = open_page(page, f"{base_url}/{story.batch}")
    assert result.events == expected
    assert result.overall == "failed"


@pytest.mark.parametrize(
    ("meta", "impostor", "reason"),
    [
        ("traceledger-log-vkey", NoteSigner(ORIGIN, SigningKey.generate()).vkey, "the checkpoint signature is invalid"),
        ("traceledger-origin", "other.example/log", "the checkpoint is not this log's"),
    ],
)
def test_a_wrong_pinned_log_key_or_origin_fails(
    story: Story, base_url: str, page: Page, meta: str, impostor: str, reason: str
) -> None:
    def pin_impostor(html: str) -> str:
        real = html.split(f'name="{meta}" content="', 1)[1].split('"', 1)[0]
        return html.replace(f'content="{real}"', f'content="{impostor}"')

    alter_html(page, pin_impostor)
    result = open_page(page, f"{base_url}/{story.batch}?lang=en")
    assert page.get_attribute(f'meta[name="{meta}"]', "content") == impostor
    assert result.checkpoint == "failed"
    assert page.get_attribute("#checkpoint-verdict", "data-reason") == reason
    assert result.overall == "failed"
    assert set(result.events.values()) == {"failed"}


@pytest.mark.parametrize("moved", [False, True], ids=["dropped", "among-registrations"])
def test_an_event_listed_on_the_page_but_missing_from_the_bundles_history_fails(
    world: World, story: Story, base_url: str, page: Page, moved: bool
) -> None:
    """Only the subject's own entries back the timeline: a registration only vouches for a key, so an event
    passed off among the registrations (where it still verifies) is no support for what the page shows."""
    history = bundles.history_bundle(world.ledger, story.batch)
    review = next(e.event_id for e in history.entries if e.kind == "review")

    def take_out(bundle: dict[str, Any]) -> None:
        bundle["registrations"] += [e for e in bundle["entries"] if e["event_id"] == review and moved]
        bundle["entries"] = [e for e in bundle["entries"] if e["event_id"] != review]

    alter_bundle(page, take_out)
    result = open_page(page, f"{base_url}/{story.batch}?lang=en")
    assert result.events.pop(review) == "failed"
    assert result.reasons[review] == "this event is not in the verified history"
    assert set(result.events.values()) == {"verified"}
    assert result.overall == "failed"


@pytest.mark.parametrize("shown", ["index", "kind", "time"])
def test_an_event_shown_otherwise_than_signed_fails(
    world: World, story: Story, base_url: str, page: Page, shown: str
) -> None:
    """The page may not place a verified entry elsewhere in the log, or show it as another kind or time."""
    listing = next(e for e in bundles.history_bundle(world.ledger, story.batch).entries if e.kind == "listing")

    def misrepresent(html: str) -> str:
        at = html.index(f'data-leaf-index="{listing.index}" data-event-id="{listing.event_id}"')
        head, item = html[:at], html[at:]
        if shown == "index":
            item = item.replace(f'"{listing.index}"', f'"{listing.index + 1}"', 1)
        elif shown == "kind":
            item = item.replace('data-kind="listing"', 'data-kind="inspection"', 1)
        else:
            item = re.sub(r'<time datetime="[^"]+"', '<time datetime="2020-01-01T00:00:00Z"', item, count=1)
        assert head + item != html
        return head + item

    alter_html(page, misrepresent)
    result = open_page(page, f"{base_url}/{story.batch}?lang=en")
    assert result.events.pop(listing.event_id) == "failed"
    assert result.reasons[listing.event_id] == "what is shown differs from what was signed"
    assert set(result.events.values()) == {"verified"}
    assert result.overall == "failed"


# --- the JavaScript primitives against the public vectors ----------------------------------------------------


@pytest.fixture(scope="module")
def static_url() -> Iterator[str]:
    static = create_static_files_router(path="/static/portal", directories=[STATIC], name="portal-static")
    with live_server(Litestar(route_handlers=[static])) as url:
        yield url


def test_inclusion_proofs_against_the_rfc_9162_vectors(static_url: str, page: Page) -> None:
    files = sorted((SHARED_VECTORS / "merkle" / "inclusion").rglob("*.json"))
    vectors = [json.loads(path.read_text()) for path in files]
    assert len(vectors) > 50
    assert {v["wantErr"] for v in vectors} == {True, False}
    page.goto(f"{static_url}{CRYPTO}")
    verified: list[bool] = page.evaluate(
        """async ([module, vectors]) => {
            const c = await import(module);
            const out = [];
            for (const v of vectors) {
                const proof = (v.proof ?? []).map(c.b64decode);
                out.push(await c.verifyInclusion(c.b64decode(v.leafHash ?? ""), v.leafIdx, v.treeSize, proof,
                                                 c.b64decode(v.root ?? "")));
            }
            return out;
        }""",
        [CRYPTO, vectors],
    )
    wrong = [str(path.relative_to(SHARED_VECTORS)) for path, v, ok in zip(files, vectors, verified, strict=True)
             if ok == v["wantErr"]]  # fmt: skip
    assert not wrong


def test_signed_note_example_of_the_spec(static_url: str, page: Page) -> None:
    vector = json.loads((SHARED_VECTORS / "signed-note.json").read_text())
    page.goto(f"{static_url}{CRYPTO}")
    result: dict[str, Any] = page.evaluate(
        """async ([module, v]) => {
            const c = await import(module);
            const key = await c.parseVkey(v.vkey);
            const attempt = async (note) => { try { return await c.openNote(note, key); } catch { return null; } };
            const line = v.signed_note.slice(v.note_text.length + 1);
            const other = "\\u2014 other.example/w " + c.b64encode(new Uint8Array(68).fill(7)) + "\\n";
            return {
                name: key.name, keyId: c.hex(key.keyId),
                text: await attempt(v.signed_note),
                withUnknownLine: await attempt(v.signed_note + other),
                alteredText: await attempt(v.signed_note.replace("example", "exbmple")),
                alteredSignature: await attempt(v.note_text + "\\n" + line.replace("Uw2QOkn8", "Uw2QOkn9")),
                unsigned: await attempt(v.note_text + "\\n" + other),
            };
        }""",
        [CRYPTO, vector],
    )
    assert result["name"] == vector["key_name"]
    assert result["keyId"] == vector["key_id_hex"]
    assert result["text"] == vector["note_text"]
    assert result["withUnknownLine"] == vector["note_text"]
    assert result["alteredText"] is None
    assert result["alteredSignature"] is None
    assert result["unsigned"] is None


def test_pae_and_canonical_json_match_the_ledger(static_url: str, page: Page) -> None:
    rng = random.Random(7)
    document = {
        "kind": "review", "subject": "01/06901230000014/10/XW2026-11", "rating": 5, "n": -(2**53 - 1),
        "text": "宣威火腿 \"好\"\\\n\t\u0001\u001f\u007f\u2028 <script>alert(1)</script> ☃",
        "nested": [{"b": 1, "a": [True, False, None]}, [], {}], "Z": "", "é": "é", "a": "\ud7ff\ue000",
    }  # fmt: skip
    document["random"] = "".join(
        chr(rng.choice([rng.randrange(0x20, 0x7F), rng.randrange(0x4E00, 0x9FFF)])) for _ in range(40)
    )
    page.goto(f"{static_url}{CRYPTO}")
    result: list[str] = page.evaluate(
        """async ([module, doc]) => {
            const c = await import(module);
            const body = c.canonicalJson(doc);
            return [c.b64encode(body), c.b64encode(c.pae(c.PAYLOAD_TYPE, body))];
        }""",
        [CRYPTO, document],
    )
    canonical = canonical_json(document)
    assert base64.b64decode(result[0]) == canonical
    assert base64.b64decode(result[1]) == pae("application/vnd.traceledger.event+json;version=1", canonical)


# --- a log that broke its own key rules is still caught by the browser ------------------------------------------


def _rogue_log(events: list[tuple[EventPayload, SigningKey, str]], log_key: SigningKey) -> dict[str, Any]:
    """A correctly hashed, proved and signed log of ``events`` (payload, signer, logged_at), rules unchecked:
    what a log operator that skipped the key checks would publish."""
    entries = [LogEntry.create(parse_envelope(sign_event(p, [k]).to_json()), stamp) for p, k, stamp in events]
    tree = MerkleTree(leaf_hash(e.data) for e in entries)
    text = f"{ROGUE_ORIGIN}\n{tree.size}\n{b64(tree.root())}\n"
    logged = [
        {
            "index": i, "event_id": e.event.event_id, "kind": e.event.payload.kind, "subject": e.event.payload.subject,
            "logged_at": e.logged_at, "entry": b64(e.data),
            "inclusion_proof": {"tree_size": tree.size, "proof": [b64(h) for h in tree.inclusion_proof(i, tree.size)]},
        }
        for i, e in enumerate(entries)
    ]  # fmt: skip
    note = sign_note(text, [NoteSigner(ROGUE_ORIGIN, log_key)])
    return {"checkpoint": note, "tree_size": tree.size, "registrations": logged[:-3], "entries": logged[-3:]}


ROGUE_ORIGIN = "rogue.example/log"


def test_signatures_by_revoked_or_expired_keys_fail_even_if_the_log_accepted_them(static_url: str, page: Page) -> None:
    log_key, registrar, revoked, expiring, good = (SigningKey.generate() for _ in range(5))
    ids = [make_uscc(n) for n in range(901, 904)]
    at = [f"2026-11-29T08:00:0{n}.000Z" for n in range(8)]
    genesis = genesis_envelope(ROGUE_ORIGIN, log_key, [Registrar(REGISTRAR_ID, "登记机关", (registrar.public_key,))])
    genesis_payload = EventPayload.from_json(json.loads(genesis.payload))
    registrations = [
        registration_payload(registrar, ids[0], "甲", ["producer"], [revoked.public_key], gs1_prefixes=["690111"]),
        registration_payload(registrar, ids[1], "乙", ["producer"], [], gs1_prefixes=["690222"]),
        registration_payload(registrar, ids[2], "丙", ["producer"], [good.public_key], gs1_prefixes=["690333"]),
    ]
    expiring_grant = key_update_payload(
        registrar, ids[1], registrations[1].canonical_id(), add=[(expiring.public_key, "2026-11-29T08:00:05Z")]
    )
    revocation = key_update_payload(registrar, ids[0], registrations[0].canonical_id(), revoke=[revoked.kid])

    def produce(key: SigningKey, prefix: str) -> EventPayload:
        return production_payload(
            key, gtin(prefix, 1), "L1", product="火腿", category="food", quantity=1, unit="件", place="宣威市"
        )

    late = [produce(revoked, "690111"), produce(expiring, "690222"), produce(good, "690333")]
    events = [(genesis_payload, log_key, at[0])]
    events += [(p, registrar, at[1]) for p in registrations]
    events += [(expiring_grant, registrar, at[2]), (revocation, registrar, at[3])]
    events += [(p, k, at[6]) for p, k in zip(late, (revoked, expiring, good), strict=True)]
    bundle = _rogue_log(events, log_key)
    page.goto(f"{static_url}{CRYPTO}")
    result: dict[str, list[Any]] = page.evaluate(
        """async ([module, bundle, vkey, origin]) => {
            const h = await import(module);
            const result = await h.verifyBundle(bundle, {vkey, origin});
            return Object.fromEntries([...result.entries].map(([id, e]) => [id, [e.ok, e.code ?? null]]));
        }""",
        ["/static/portal/history.js", bundle, NoteSigner(ROGUE_ORIGIN, log_key).vkey, ROGUE_ORIGIN],
    )
    late_results = [result.pop(p.canonical_id()) for p in late]
    assert late_results == [[False, "key-revoked"], [False, "key-expired"], [True, None]]
    assert all(ok for ok, _ in result.values()), result  # the registrations and key events themselves verify
