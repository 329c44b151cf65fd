"""``traceledger demo``: a realistic Qujing ledger built end to end, then served (API and verify portal).

Three batches from producers in Qujing, Yunnan: a Xuanwei ham (宣威火腿) sold item by item to consumers who sign
for it and review it, a Luliang vegetable batch (陆良蔬菜) sold by a shop that ends up on the black list after a
complaint, and a drug batch (板蓝根颗粒) from a licensed manufacturer, shipped to a pharmacy and then recalled. Every
event is signed by the party that made it; consumers are pseudonymous keys. Scans show the copy warning on one
item. The demo prints the pages to open and writes each page's QR code as a PNG.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar import Litestar
from stdnum import ean
from stdnum.cn import uscc

from ledger.errors import LedgerStateError
from ledger.events import EventPayload, SealedAttachment, seal_attachment, sign_event
from ledger.events.builders import (
    Content,
    Licence,
    Registrar,
    complaint_payload,
    dispatch_payload,
    erasure_payload,
    handoff_payload,
    inspection_payload,
    listing_payload,
    production_payload,
    recall_payload,
    registration_payload,
    resolution_payload,
    review_payload,
    sanction_payload,
    signature_payload,
)
from ledger.identifiers import batch_subject, item_subject
from ledger.log.merkle import verify_inclusion
from ledger.store.attachments import store_attachment
from ledger.store.ledger import Ledger
from ledger.store.scans import agent_hash, record_scan
from qr import qr_png
from signer.errors import TraceledgerError
from signer.keys import PASSPHRASE_ENV, SigningKey
from traceledger.demo_walkthrough import DEMO_PASSPHRASE, Errand, save_actor_keys, walkthrough
from traceledger.server import UVICORN_PROXY_HEADERS, api_and_portal, scan_salt
from traceledger.settings import Home

ORIGIN = "trace.qujing.example/log"
DEFAULT_HOME = Path("traceledger-demo")
MANIFEST = "demo.json"  # what the demo built: marks the folder as a demo home, and lists its pages
TEXT = "text/plain; charset=utf-8"


def _uscc(body17: str) -> str:
    return body17 + str(uscc.calc_check_digit(body17))


def _gtin(prefix: str, item: int) -> str:
    body = "0" + prefix + str(item).zfill(12 - len(prefix))
    return body + ean.calc_check_digit(body)


def _sscc(prefix: str, serial: int) -> str:
    body = "0" + prefix + str(serial).zfill(16 - len(prefix))
    return "00/" + body + ean.calc_check_digit(body)


@dataclass(frozen=True)
class Organisation:
    uscc: str
    name: str
    roles: tuple[str, ...]
    licences: tuple[Licence, ...] = ()
    gs1_prefixes: tuple[str, ...] = ()
    key: SigningKey = field(default_factory=SigningKey.generate, compare=False, repr=False)


REGISTRAR = Organisation(_uscc("11530000MB0123456"), "云南省市场监督管理局", ("registrar",))
REGULATOR = Organisation(_uscc("11530300MB0234567"), "曲靖市市场监督管理局", ("regulator",))
LAB = Organisation(_uscc("12530300MB0345678"), "曲靖市食品药品检验检测中心", ("lab",))
HAM_MAKER = Organisation(
    _uscc("91530381MA6K5X2Y3"), "宣威市老浦火腿有限公司", ("producer",),
    (Licence("food_production", "SC11253038100123", "2029-12-31T00:00:00Z"),), ("690123",),
)  # fmt: skip
VEGETABLE_GROWER = Organisation(_uscc("93530322MA6N7B8C9"), "陆良县绿源蔬菜专业合作社", ("producer",), (), ("690456",))
DRUG_MAKER = Organisation(
    _uscc("91530300MA6M2D3E4"), "云南曲靖康源制药有限公司", ("producer",),
    (Licence("drug_manufacturing", "云20160123", "2030-06-30T00:00:00Z"),), ("690789",),
)  # fmt: skip
SHOP = Organisation(
    _uscc("91530302MA6P1Q2R3"), "曲靖云品优选电子商务有限公司", ("merchant",),
    (Licence("food_business", "JY15303020012345", "2030-03-31T00:00:00Z"),),
)  # fmt: skip
GROCER = Organisation(
    _uscc("92530302MA6R5T6K7"), "麒麟区惠民生鲜超市", ("merchant",),
    (Licence("food_business", "JY25303020067890", "2027-12-31T00:00:00Z"),),
)  # fmt: skip
PHARMACY = Organisation(
    _uscc("91530302MA6U8W9X1"), "曲靖百姓大药房连锁有限公司", ("merchant",),
    (Licence("drug_business", "云AA8740123", "2029-09-30T00:00:00Z"),),
)  # fmt: skip
COURIER = Organisation(_uscc("91530302MA6W4T5U6"), "曲靖速达快递有限公司", ("courier",))
LAST_MILE = Organisation(_uscc("91530302MA6X2Y3H4"), "云南顺路同城配送有限公司", ("courier",))
MONITOR = Organisation(_uscc("11530300MB0456789"), "曲靖市电子商务风险监测中心", ("monitor",))  # the server's detectors
ORGANISATIONS = (
    REGULATOR, LAB, HAM_MAKER, VEGETABLE_GROWER, DRUG_MAKER, SHOP, GROCER, PHARMACY, COURIER, LAST_MILE, MONITOR,
)  # fmt: skip
KEY_FILES = {  # HOME/keys/<name>.pem of each actor, kept so that a newcomer can act as any of them
    "registrar": REGISTRAR, "regulator": REGULATOR, "lab": LAB, "ham-maker": HAM_MAKER,
    "vegetable-grower": VEGETABLE_GROWER, "drug-maker": DRUG_MAKER, "shop": SHOP, "grocer": GROCER,
    "pharmacy": PHARMACY, "courier": COURIER, "last-mile": LAST_MILE, "monitor": MONITOR,
}  # fmt: skip

HAM = batch_subject(_gtin("690123", 1), "XW2026-11")
VEGETABLES = batch_subject(_gtin("690456", 1), "LL20261124")
DRUG = batch_subject(_gtin("690789", 1), "KY261101")


def _ham_item(serial: str) -> str:
    return item_subject(HAM.gtin or "", HAM.lot or "", serial).path


ERRAND = Errand(  # the walkthrough: the shop sends a ham item to the reader's browser, the last mile delivers it
    sender="shop", courier="last-mile", leaves_from="曲靖市麒麟区 云品优选仓库",
    handed_over_at="麒麟区南宁街道 顺路驿站", parcel=lambda number: _sscc("690123", number),
    item=lambda number: _ham_item(str(number).zfill(4)),
)  # fmt: skip


@dataclass(frozen=True)
class DemoPage:
    name: str  # also the QR code's file name
    title: str
    path: str  # the subject path, e.g. 01/06901230000014/10/XW2026-11/21/0001


@dataclass
class DemoStory:
    """What the demo built: its pages, and the keys a test needs to add to the story (a consumer's follow-up)."""

    pages: list[DemoPage] = field(default_factory=list)
    consumers: dict[str, SigningKey] = field(default_factory=dict)
    receipts: dict[str, str] = field(default_factory=dict)  # consumer name → their receipt signature event id
    reviews: dict[str, str] = field(default_factory=dict)  # consumer name → their review event id


class _Teller:
    """Appends a story's events in order, each signed by its actor at a time that moves forward from a start."""

    def __init__(self, ledger: Ledger, start: datetime) -> None:
        self.ledger = ledger
        self.clock = start

    def at(self, hours: float) -> datetime:
        self.clock += timedelta(hours=hours)
        return self.clock

    def append(self, payload: EventPayload, key: SigningKey) -> str:
        self.ledger.append([sign_event(payload, [key]).to_json()])
        return payload.canonical_id()

    def attach(self, content: str) -> SealedAttachment:
        """A text attachment to commit to; its content is uploaded once the event that commits to it is logged."""
        return seal_attachment(content.encode("utf-8"), TEXT)


def _register(teller: _Teller, registrar: SigningKey) -> None:
    for org in ORGANISATIONS:
        payload = registration_payload(
            registrar, org.uscc, org.name, org.roles, [org.key.public_key], licences=org.licences,
            gs1_prefixes=org.gs1_prefixes, time=teller.at(0.1),
        )  # fmt: skip
        teller.append(payload, registrar)


def _ship(teller: _Teller, sender: Organisation, parcel: str, contents: Sequence[Content], parents: Sequence[str],
          hops: Sequence[tuple[Organisation, str]], *, to: Organisation | None = None,
          consignee: SigningKey | None = None, place: str) -> str:  # fmt: skip
    """Dispatch a parcel and hand it from courier to courier (and to ``to`` on arrival); returns the custody head."""
    head = teller.append(
        dispatch_payload(sender.key, parcel, contents, parents, location=place, to=to.uscc if to else None,
                         consignee_key=consignee.public_key if consignee else None, time=teller.at(2)),
        sender.key,
    )  # fmt: skip
    holder = sender
    for custodian, where in hops:
        payload = handoff_payload(custodian.key, parcel, head, from_actor=holder.uscc, location=where,
                                  time=teller.at(3))  # fmt: skip
        head, holder = teller.append(payload, custodian.key), custodian
    return head


def _consumer_buys(teller: _Teller, story: DemoStory, name: str, sender: Organisation, parcel: str,
                   content: Content, parents: Sequence[str], hops: Sequence[tuple[Organisation, str]], *,
                   place: str, condition: str = "intact") -> str:  # fmt: skip
    """A consumer (a new pseudonymous key) orders ``content``, which is shipped to them; they sign for it."""
    consumer = SigningKey.generate()  # no name, phone or address ever enters the log
    story.consumers[name] = consumer
    head = _ship(teller, sender, parcel, [content], parents, hops, consignee=consumer, place=place)
    receipt = signature_payload(consumer, parcel, head, condition=condition, time=teller.at(3))
    story.receipts[name] = teller.append(receipt, consumer)
    return story.receipts[name]


def _review(teller: _Teller, story: DemoStory, name: str, subject: str, rating: int, text: str) -> str:
    """The consumer's review with its text uploaded; returns the text's attachment digest."""
    consumer = story.consumers[name]
    sealed = teller.attach(text)
    payload = review_payload(consumer, subject, story.receipts[name], rating=rating, text=sealed.ref,
                             time=teller.at(10))  # fmt: skip
    story.reviews[name] = teller.append(payload, consumer)
    store_attachment(teller.ledger, sealed.ref.digest, sealed.stored)
    return sealed.ref.digest


def _ham(teller: _Teller, story: DemoStory) -> None:
    """Xuanwei ham: produced, inspected, listed, sent to the shop, sold item by item to two consumers who review."""
    report = teller.attach("检验报告 QJ-2026-11-0457：过氧化值、酸价、亚硝酸盐等 12 项指标全部符合 GB 2730-2015。")
    production = teller.append(production_payload(
        HAM_MAKER.key, HAM.gtin or "", HAM.lot or "", product="宣威火腿（500克）", category="food", quantity=200,
        unit="件", place="云南省曲靖市宣威市", expiry="2027-11-30", time=teller.at(1),
    ), HAM_MAKER.key)  # fmt: skip
    teller.append(inspection_payload(LAB.key, HAM.path, production, result="pass", standard="GB 2730-2015",
                                     report=report.ref, time=teller.at(4)), LAB.key)  # fmt: skip
    store_attachment(teller.ledger, report.ref.digest, report.stored)
    teller.append(listing_payload(SHOP.key, HAM.path, production, price=25800, time=teller.at(1)), SHOP.key)
    to_shop = [(COURIER, "宣威市 速达收件点"), (SHOP, "曲靖市麒麟区 云品优选仓库")]
    _ship(teller, HAM_MAKER, _sscc("690123", 1), [Content(HAM.path, 60)], [production], to_shop, to=SHOP,
          place="宣威市 老浦火腿厂")  # fmt: skip
    to_consumer = [(COURIER, "曲靖市麒麟区 速达分拨中心"), (LAST_MILE, "麒麟区南宁街道 顺路驿站")]
    for name, serial, parcel in (("consumer-a", "0001", 2), ("consumer-b", "0002", 3)):
        _consumer_buys(teller, story, name, SHOP, _sscc("690123", parcel), Content(HAM.path, 1, (serial,)),
                       [production], to_consumer, place="曲靖市麒麟区 云品优选仓库")  # fmt: skip
    item_a, item_b = _ham_item("0001"), _ham_item("0002")
    _review(teller, story, "consumer-a", item_a, 5, "肉质紧实，咸香适中，切片蒸着吃很香。包装完好，物流也快。")
    erased = _review(teller, story, "consumer-b", item_b, 4, "味道正宗，就是偏咸，吃之前要先泡水。")
    # consumer-b has the text erased (PIPL art. 47) with a signed, logged event of its own key; the rating stays
    consumer_b = story.consumers["consumer-b"]
    erasure = erasure_payload(consumer_b, item_b, story.reviews["consumer-b"], digest=erased, reason="pipl_request",
                              time=teller.at(11))  # fmt: skip
    teller.append(erasure, consumer_b)
    story.pages += [
        DemoPage(
            "ham-item-0001", "宣威火腿 单品 0001：签收与评价 / Xuanwei ham, item 0001: receipt and reviews", item_a
        ),
        DemoPage("ham-batch", "宣威火腿 批次 XW2026-11 / Xuanwei ham, batch XW2026-11", HAM.path),
        DemoPage("ham-parcel", "包裹：云品优选 → 消费者 / a parcel from the shop to a consumer", _sscc("690123", 2)),
        DemoPage(
            "ham-item-0003",
            "宣威火腿 单品 0003：此码未发放，且可能被复制 / Xuanwei ham, item 0003: never sent out, seen in 3 cities",
            _ham_item("0003"),
        ),
    ]


def _vegetables(teller: _Teller, story: DemoStory, regulator: Organisation) -> None:
    """Luliang vegetables: sold by a grocer whose delivery arrives rotten; the complaint is compensated, and the
    grocer ends up on the black list."""
    expiry = (teller.clock + timedelta(days=12)).date().isoformat()
    production = teller.append(production_payload(
        VEGETABLE_GROWER.key, VEGETABLES.gtin or "", VEGETABLES.lot or "", product="陆良时令蔬菜箱（5千克）",
        category="agricultural_product", quantity=300, unit="箱", place="云南省曲靖市陆良县", expiry=expiry,
        time=teller.at(2),
    ), VEGETABLE_GROWER.key)  # fmt: skip
    teller.append(inspection_payload(LAB.key, VEGETABLES.path, production, result="pass",
                                     standard="GB 2763-2021 农药残留快速检测", time=teller.at(3)), LAB.key)  # fmt: skip
    teller.append(listing_payload(GROCER.key, VEGETABLES.path, production, price=6800, time=teller.at(1)), GROCER.key)
    to_grocer = [(COURIER, "陆良县 速达收件点"), (GROCER, "曲靖市麒麟区 惠民生鲜超市")]
    _ship(teller, VEGETABLE_GROWER, _sscc("690456", 1), [Content(VEGETABLES.path, 40)], [production], to_grocer,
          to=GROCER, place="陆良县 绿源基地")  # fmt: skip
    receipt = _consumer_buys(teller, story, "consumer-c", GROCER, _sscc("690456", 2), Content(VEGETABLES.path, 1),
                             [production], [(LAST_MILE, "麒麟区寥廓街道 顺路驿站")], place="曲靖市麒麟区 惠民生鲜超市",
                             condition="damaged")  # fmt: skip
    consumer = story.consumers["consumer-c"]
    complaint = teller.append(complaint_payload(consumer, VEGETABLES.path, category="quality", parents=[receipt],
                                                time=teller.at(2)), consumer)  # fmt: skip
    teller.append(resolution_payload(VEGETABLE_GROWER.key, VEGETABLES.path, complaint, outcome="compensated",
                                     reason="mediation_agreement", compensation=6800, time=teller.at(10)),
                  VEGETABLE_GROWER.key)  # fmt: skip
    teller.append(sanction_payload(regulator.key, GROCER.uscc, list_="black", reason="多次销售变质蔬菜，拒不整改",
                                   time=teller.at(6)), regulator.key)  # fmt: skip
    story.pages.append(
        DemoPage(
            "vegetables-batch",
            "陆良蔬菜 批次 LL20261124：投诉与黑名单 / Luliang vegetables: a complaint, a black-listed shop",
            VEGETABLES.path,
        )
    )


def _drug(teller: _Teller, story: DemoStory) -> None:
    """A drug batch from a licensed manufacturer, sold by a pharmacy, then recalled by its producer."""
    production = teller.append(production_payload(
        DRUG_MAKER.key, DRUG.gtin or "", DRUG.lot or "", product="板蓝根颗粒（10克×20袋）", category="drug",
        quantity=1000, unit="盒", place="云南省曲靖市经济技术开发区", expiry="2028-10-31", time=teller.at(1),
    ), DRUG_MAKER.key)  # fmt: skip
    teller.append(inspection_payload(LAB.key, DRUG.path, production, result="pass", standard="中国药典 2025 年版一部",
                                     time=teller.at(3)), LAB.key)  # fmt: skip
    teller.append(listing_payload(PHARMACY.key, DRUG.path, production, price=1850, time=teller.at(1)), PHARMACY.key)
    _ship(teller, DRUG_MAKER, _sscc("690789", 1), [Content(DRUG.path, 200)], [production],
          [(COURIER, "曲靖经开区 速达收件点"), (PHARMACY, "曲靖市麒麟区 百姓大药房配送中心")], to=PHARMACY,
          place="曲靖经开区 康源制药")  # fmt: skip
    _consumer_buys(teller, story, "consumer-d", PHARMACY, _sscc("690789", 2), Content(DRUG.path, 1, ("0007",)),
                   [production], [(LAST_MILE, "麒麟区建宁街道 顺路驿站")], place="曲靖市麒麟区 百姓大药房")  # fmt: skip
    item = item_subject(DRUG.gtin or "", DRUG.lot or "", "0007").path
    _review(teller, story, "consumer-d", item, 5, "药盒完好，批号和说明书一致，送货很快。")
    teller.append(recall_payload(DRUG_MAKER.key, DRUG.path, production, reason="quality", level=2,
                                 time=teller.at(4)), DRUG_MAKER.key)  # fmt: skip
    story.pages += [
        DemoPage(
            "drug-batch", "板蓝根颗粒 批次 KY261101：已召回 / Banlangen granules, batch KY261101: recalled", DRUG.path
        ),
        DemoPage("drug-item-0007", "板蓝根颗粒 单品 0007 / Banlangen granules, item 0007", item),
    ]


def _scans(ledger: Ledger, salt: bytes, end: datetime) -> None:
    """Consumers looking at codes: a household scanning its own ham, and one ham code seen in three cities."""
    phone = agent_hash(salt, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) MicroMessenger/8.0.54")
    own = _ham_item("0001")
    for hours in (30, 29, 3):
        record_scan(ledger, own, "曲靖市", phone, end - timedelta(hours=hours))
    copied = _ham_item("0003")
    for hours, city in ((20, "昆明市"), (14, "广州市"), (9, "哈尔滨市"), (2, "广州市")):
        record_scan(ledger, copied, city, agent_hash(salt, f"demo device in {city}"), end - timedelta(hours=hours))


def build_demo(ledger: Ledger, registrar: SigningKey, salt: bytes) -> DemoStory:
    """Tell the demo's stories on a new ledger whose genesis named ``registrar``'s key; returns what was built."""
    now = datetime.now(UTC)
    teller = _Teller(
        ledger, (now - timedelta(days=6, hours=12)).replace(minute=0, second=0, microsecond=0)
    )  # claimed times may be up to 7 days before logging
    story = DemoStory()
    _register(teller, registrar)
    _ham(teller, story)
    _vegetables(teller, story, REGULATOR)
    _drug(teller, story)
    assert teller.clock < now, "the demo's story runs past the present"
    _scans(ledger, salt, now)
    return story


def _write_manifest(home: Home, story: DemoStory) -> None:
    pages = [{"name": p.name, "title": p.title, "path": p.path} for p in story.pages]
    (home.path / MANIFEST).write_text(json.dumps({"pages": pages}, ensure_ascii=False, indent=2) + "\n", "utf-8")


def _read_manifest(home: Home) -> list[DemoPage]:
    try:
        pages = json.loads((home.path / MANIFEST).read_text("utf-8"))["pages"]
        return [DemoPage(str(p["name"]), str(p["title"]), str(p["path"])) for p in pages]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LedgerStateError(f"cannot read the demo's {MANIFEST} in {home.path}: {exc}") from None


def _create(home: Home, passphrase: str) -> list[DemoPage]:
    registrar = REGISTRAR.key
    ledger = home.create(ORIGIN, [Registrar(REGISTRAR.uscc, REGISTRAR.name, (registrar.public_key,))], passphrase)
    try:
        story = build_demo(ledger, registrar, scan_salt(home))
        save_actor_keys(home, ((name, org.key) for name, org in KEY_FILES.items()), passphrase)
        home.use_monitor_key(home.keys_dir / "monitor.pem")  # the served demo runs the risk detectors
        _write_manifest(home, story)
        _report(home, ledger)
    finally:
        ledger.close()
    return story.pages


def _report(home: Home, ledger: Ledger) -> None:
    checkpoint = ledger.checkpoint()
    print(f"\nledger home: {home.path}\nlog verifier key: {ledger.log_verifier.vkey}\n")
    print("latest checkpoint (C2SP signed note):")
    print(checkpoint.note)
    entry = ledger.entry(checkpoint.size - 1)
    proof = ledger.inclusion_proof(entry.leaf_index, checkpoint.size)
    verify_inclusion(entry.leaf_hash, entry.leaf_index, checkpoint.size, proof, checkpoint.root)
    print(f"inclusion proof of entry {entry.leaf_index} ({len(proof)} hashes) verified against the checkpoint root")


def _print_pages(home: Home, pages: Sequence[DemoPage], base_url: str) -> None:
    """Each page's URL, and its QR code (holding that URL) written as a PNG next to the ledger; then the pages
    that no QR code leads to, and how to audit the whole log."""
    folder = home.path / "qr"
    folder.mkdir(exist_ok=True)
    print("\nproduct pages to open in a browser, which verifies each history itself (each QR code holds its URL):")
    for page in pages:
        url = f"{base_url}/{page.path}"
        png = folder / f"{page.name}.png"
        png.write_bytes(qr_png(url))
        print(f"  {page.title}\n    {url}\n    {url}?lang=en\n    QR: {png}")
    print(f"\nthe start page: {base_url}/")
    print(f"a consumer's own page (a receipt key made in the browser, receipts, reviews): {base_url}/consumer")
    print(f"the HTTP API's OpenAPI schema: {base_url}/schema")
    print(f"audit the whole log: traceledger audit --home {home.path}")


def _appending_passphrase(home: Home, passphrase: str) -> str | None:
    """``passphrase`` if it opens the demo's log key, else None (a demo built with another one is served
    read-only)."""
    try:
        home.open(passphrase).close()
    except TraceledgerError:
        print(f"serving read-only: set {PASSPHRASE_ENV} to the passphrase this demo was built with to append")
        return None
    return passphrase


def served_app(home: Home, passphrase: str | None) -> Litestar:
    """The API and portal over the demo's home; with its passphrase, appending and running the risk detectors
    with the demo's monitor key."""
    return api_and_portal(home, lambda: home.open(passphrase), home.monitor_key(passphrase))


def run_demo(home_dir: Path | None, *, serve: bool = True, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Build the demo ledger in ``home_dir`` (or reuse the one a previous run built there), then serve it."""
    home = Home(home_dir or DEFAULT_HOME)
    chosen = os.environ.get(PASSPHRASE_ENV) or DEMO_PASSPHRASE
    passphrase: str | None = chosen
    if (home.path / MANIFEST).exists():
        print(f"reusing the demo ledger in {home.path} (remove the folder to build a new one)")
        pages = _read_manifest(home)
        passphrase = _appending_passphrase(home, chosen)
    elif home.path.exists() and any(home.path.iterdir()):
        raise LedgerStateError(f"{home.path} is not empty and holds no demo ledger; choose another --home")
    else:
        pages = _create(home, chosen)
    base_url = f"http://{host}:{port}"
    _print_pages(home, pages, base_url)
    if passphrase is not None:
        ledger = home.open()
        try:
            print(walkthrough(home, ledger, base_url, ERRAND, passphrase))
        finally:
            ledger.close()
    if not serve:
        return
    import uvicorn  # imported here so that building without serving does not load the server

    print(f"\nserving the API and the verify portal at {base_url}/ (Ctrl-C to stop)")
    if passphrase is not None and home.monitor_key_file() is not None:
        print(f"the server runs the risk detectors, signing findings with {home.monitor_key_file()}")
    uvicorn.run(
        served_app(home, passphrase), host=host, port=port, log_level="warning", proxy_headers=UVICORN_PROXY_HEADERS
    )
