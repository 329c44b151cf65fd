"""The portal's two languages: Chinese first (zh-CN), English on request (``?lang=en`` or Accept-Language).

Every text a page shows is here, once per language, so a missing translation is a KeyError in the tests rather
than a blank on a consumer's phone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from litestar import Request
from litestar.params import QueryParameter

from verify_portal.credit_texts import CREDIT_TEXTS
from verify_portal.shown import Parts, parts

Language = Literal["zh-CN", "en"]
Lang = Annotated[str | None, QueryParameter(description="zh or en")]  # a page's ``?lang=``, read by negotiate_language
DEFAULT_LANGUAGE: Language = "zh-CN"

_TEXTS: dict[str, tuple[str, str]] = {
    # page frame
    "site": ("溯源链 · 商品溯源查询", "TraceLedger · product traceability"),
    "brand": ("溯源链", "TraceLedger"),
    "other_language": ("English", "中文"),
    "footer": (
        "每条记录都由经手方签名，并写入公开、只能追加、无法篡改的记录。本页面会在您的手机上重新核对每条记录的"
        "签名和证明，不需要信任本网站。",
        "Every record is signed by whoever handled the goods and written to a public, append-only transparency log. "
        "Your phone recomputes each record's hash, inclusion proof and signatures: you need not trust this website.",
    ),
    # landing page
    "landing_title": ("扫码查验商品来源", "Scan to check where a product came from"),
    "landing_intro": (
        "用手机相机或微信扫描商品标签上的二维码，即可看到它的产地、生产商、检验、经手的商家和快递，以及其他消费者的评价。",
        "Scan the QR code on a product's label with your phone's camera or WeChat to see where it was made, who made "
        "it, its inspections, every shop and courier that handled it, and other consumers' reviews.",
    ),
    "landing_step_scan": ("扫描标签上的二维码", "Scan the QR code on the label"),
    "landing_step_read": (
        "查看溯源记录：生产、检验、上架、运输、签收、评价",
        "Read its history: production, inspection, listing, transport, receipt, reviews",
    ),
    "landing_step_verify": (
        "等待“已验证”标记：您的手机已核对每一条记录的签名",
        "Wait for the “verified” mark: your phone has checked every record's signature",
    ),
    "landing_warning": (
        "如果页面提示召回、黑名单、过期、“此码未发放”或“此码可能被复制”，请不要食用或使用该商品，并拨打 12315 投诉。",
        "If the page warns of a recall, a black-listed party, expiry, “this code was never issued” or “this code may "
        "have been copied”, do not eat or use the product, and call the 12315 consumer hotline.",
    ),
    # verdicts
    "verdict_pending": ("正在您的手机上验证记录…", "Verifying the records on your phone…"),
    "verdict_verified": (
        "全部记录已验证：签名和证明均有效",
        "All records verified: signatures and log proofs hold",
    ),
    "verdict_failed": (
        "验证失败：部分记录与公开记录不符，请勿信任本页内容",
        "Verification failed: some records do not match the log; do not trust this page",
    ),
    "verdict_not_issued": (
        "记录已验证，但此码未发放：本批次从未发出这个序列号，请勿信任此商品",
        "Records verified, but this code was never issued: its batch never sent out this serial; do not trust "
        "this product",
    ),
    "approval_number": ("批准文号", "Approval number"),
    "strength": ("规格", "Strength"),
    "leaflet": ("查看药品说明书", "Read the leaflet"),
    "time_zone": ("北京时间", "UTC+8"),  # the zone of every time shown (verify_portal.page.LOCAL_TIME)
    "verdict_verified_warned_one": (
        "记录真实有效，但本页有 1 条警告：请先阅读上方提示",
        "Records genuine — but this page has a warning: read it above",
    ),
    "verdict_verified_warned": (
        "记录真实有效，但本页有 {count} 条警告：请先阅读上方提示",
        "Records genuine — but this page has {count} warnings: read them above",
    ),
    "verdict_unsupported": (
        "此浏览器无法验证本页记录：请用较新的浏览器或在电脑上打开本页。这并不表示商品有问题。",
        "This browser cannot verify these records: open this page in a newer browser or on a computer. This says "
        "nothing against the product.",
    ),
    "unsupported": ("无法验证", "cannot check"),
    "unverified": ("未验证", "not verified"),
    "unverified_title": (
        "这项内容来自本网站，不在已签名的记录中，您的手机无法核对",
        "This comes from the website, not from the signed records: your phone cannot check it",
    ),
    "field_mismatch": ("✗ 与签名记录不符", "✗ differs from the signed record"),
    "field_failed": ("✗ 记录未通过验证", "✗ its record failed verification"),
    "event_pending": ("待验证", "checking"),
    "event_verified": ("已验证", "verified"),
    "event_failed": ("验证失败", "failed"),
    "checkpoint": ("日志检查点", "Log checkpoint"),
    "checkpoint_size": ("日志共 {size} 条记录", "{size} records in the log"),
    "checkpoint_witnesses": ("{count} 个独立见证方已联署", "cosigned by {count} independent witnesses"),
    "checkpoint_witnesses_one": ("1 个独立见证方已联署", "cosigned by 1 independent witness"),
    "checkpoint_no_witnesses": ("尚无见证方联署", "no witness cosignatures yet"),
    "checkpoint_pending": ("待验证", "checking"),
    "checkpoint_verified": ("签名有效", "signature valid"),
    "checkpoint_failed": ("签名无效", "signature invalid"),
    # banners
    "banner_recall": (
        "召回：生产商或监管部门已召回本批次商品。请停止食用或使用，并联系商家退货。",
        "Recalled: the producer or the regulator has recalled this batch. Stop using it and return it to the shop.",
    ),
    "banner_recall_by": ("{date} 由 {authority} 发布召回", "Recalled on {date} by {authority}"),
    "banner_recall_advice": (
        "怎么办：停止食用或使用；凭订单联系商家退货退款；身体不适请就医，并拨打 12315 投诉。",
        "What to do: stop using it; ask the shop for a refund with your order; see a doctor if unwell, and call "
        "the 12315 hotline.",
    ),
    "banner_recall_reason": ("召回原因：{reason}（{level}级）", "Reason: {reason} (level {level})"),
    "banner_input_recalled": (
        "原料批次已召回：本商品所用的以下原料批次已被召回。请停止食用或使用，并联系商家或拨打 12315。",
        "Input recalled: a batch this product was made from has been recalled. Stop using it and ask the shop or "
        "the 12315 hotline.",
    ),
    "banner_input_recalled_batch": ("{product}（批号 {lot}）", "{product} (lot {lot})"),
    "banner_black_listed": (
        "警告：经手本商品的以下单位已被列入严重失信黑名单：",
        "Warning: these parties that handled this product are on the black list:",
    ),
    "banner_black_listed_by": ("{date} 由 {authority} 列入黑名单", "Black-listed on {date} by {authority}"),
    "banner_black_listed_advice": (
        "怎么办：不要再向其购买；已买到的商品请保留凭证，拨打 12315 投诉。",
        "What to do: do not buy from them again; keep your receipt for what you bought and call the 12315 hotline.",
    ),
    "banner_expired": ("已过期：本商品已于 {date} 过期。", "Expired: this product expired on {date}."),
    "banner_not_issued": ("此码未发放", "This code was never issued"),
    "banner_not_issued_outside": (
        "本批次共 {quantity} 件，标签码为 {first} 至 {last}；序列号 {serial} 不在其中，不是为本批次印制的码。",
        "This batch has {quantity} items, labelled {first} to {last}; serial {serial} is not among them and was "
        "never printed for it.",
    ),
    "banner_not_issued_undispatched": (
        "没有任何发货记录载有序列号 {serial}：生产商和商家都未以此码发出过商品。",
        "No dispatch in the log carries serial {serial}: no producer or shop has sent out an item with this code.",
    ),
    "banner_not_issued_advice": (
        "如您买到带有此码的商品，请联系商家并拨打 12315。",
        "If you bought a product with this code, ask the shop and call the 12315 hotline.",
    ),
    "banner_copy": ("此码可能被复制", "This code may have been copied"),
    "banner_copy_places": (
        "一天之内在 {places} 被扫描，真品通常只在一处。",
        "Within one day it was scanned in {places}; a genuine item is usually in one place.",
    ),
    "banner_copy_devices": (
        "消费者签收后又被 {count} 台不同的设备扫描，远多于一个家庭。",
        "After the consumer signed for it, {count} different devices scanned it: far more than one household has.",
    ),
    "banner_copy_advice": (
        "如果您刚买到它，它可能是假冒品：请向 12315 投诉。",
        "If you have just bought it, it may be counterfeit: report it to the 12315 hotline.",
    ),
    # product header
    "kind_batch": ("批次", "Batch"),
    "kind_item": ("单品", "Item"),
    "kind_parcel": ("包裹", "Parcel"),
    "producer": ("生产商", "Producer"),
    "verified_identity": ("已实名登记", "Verified identity"),
    "registered_by": ("登记机关：{name}", "registered by {name}"),
    "licence": ("许可证", "Licence"),
    "licence_valid_until": ("{number}，有效期至 {date}", "{number}, valid until {date}"),
    "licence_expired": ("{number}，已于 {date} 过期", "{number}, expired on {date}"),
    "lot": ("批号", "Lot"),
    "serial": ("序列号", "Serial"),
    "batch_size": ("批次数量", "Batch size"),
    "expiry": ("保质期至", "Best before"),
    "place": ("产地", "Made in"),
    "rating": ("评分", "Rating"),
    "rating_value": ("{average} / 5（{count} 条评价）", "{average} / 5 ({count} reviews)"),
    "rating_value_one": ("{average} / 5（{count} 条评价）", "{average} / 5 ({count} review)"),
    "rating_left_out": (
        "{count} 条评价的签收被风险监测标记：评价照常显示，但不计入评分",
        "{count} reviews come from receipts flagged by risk monitoring: shown, but not counted in the rating",
    ),
    "rating_left_out_one": (
        "1 条评价的签收被风险监测标记：评价照常显示，但不计入评分",
        "1 review comes from a receipt flagged by risk monitoring: shown, but not counted in the rating",
    ),
    "review_flagged": (
        "此评价的签收被风险监测标记，不计入评分",
        "Its receipt was flagged by risk monitoring: not counted in the rating",
    ),
    "contents": ("内容", "Contents"),
    "scans_summary": ("本码已被查询 {count} 次", "This code has been looked up {count} times"),
    "scans_summary_one": ("本码已被查询 1 次", "This code has been looked up once"),
    "receive_action": ("签收与评价", "I received this"),
    "timeline": ("溯源记录", "History"),
    "consumer": ("消费者（匿名）", "a consumer (anonymous)"),
    # event kinds
    "ev_production": ("生产", "Produced"),
    "ev_inspection": ("检验", "Inspected"),
    "ev_listing": ("上架销售", "Listed for sale"),
    "ev_dispatch": ("发货", "Dispatched"),
    "ev_handoff": ("转运交接", "Handed over"),
    "ev_arrival": ("到达", "Arrived"),
    "ev_aggregation": ("装托", "Loaded onto a pallet"),
    "ev_disaggregation": ("拆托", "Pallet split"),
    "ev_signature": ("签收", "Signed for"),
    "ev_review": ("评价", "Review"),
    "ev_complaint": ("投诉", "Complaint"),
    "ev_complaint.resolution": ("投诉处理结果", "Complaint resolved"),
    "ev_recall": ("召回", "Recall"),
    "ev_attachment.erasure": ("内容已删除", "Content removed"),
    "ev_risk.finding": ("风险提示", "Risk finding"),
    "ev_rating": ("互评", "Rating"),
    "ev_commitment": ("经营承诺", "Commitment"),
    "ev_return.request": ("申请退货", "Return requested"),
    # event details
    "produced": ("{quantity} {unit}，产地 {place}", "{quantity} {unit}, made in {place}"),
    "inspection_pass": ("合格（{standard}）", "Passed ({standard})"),
    "inspection_fail": ("不合格（{standard}）", "Failed ({standard})"),
    "price": ("售价 ¥{price}", "Price ¥{price}"),
    "dispatch_to_actor": ("从 {place} 发往 {to}", "From {place} to {to}"),
    "aggregation": ("在 {place} 装入托盘，随托盘一起运送", "At {place}, loaded onto a pallet; moves with the pallet"),
    "disaggregation": (
        "在 {place} 拆托，各箱分别继续运送",
        "At {place}, the pallet was split; each case goes on alone",
    ),
    "dispatch_to_consumer": ("从 {place} 发往消费者", "From {place} to a consumer"),
    "handoff": ("在 {place} 从 {from_} 接收", "At {place}, received from {from_}"),
    "condition_intact": ("完好", "intact"),
    "condition_damaged": ("有破损", "damaged"),
    "condition_refused": ("拒收", "refused"),
    "signature": ("消费者签收：{condition}", "The consumer signed for it: {condition}"),
    "content_removed": ("（内容已删除）", "(content removed)"),
    "erasure_detail": ("附件内容已删除，原因：{reason}", "An attachment's content was removed: {reason}"),
    "erasure_pipl_request": ("本人依《个人信息保护法》请求删除", "deleted at the data subject's request (PIPL)"),
    "erasure_court_order": ("法院命令", "court order"),
    "erasure_unlawful_content": ("违法内容", "unlawful content"),
    "erasure_never_uploaded": ("内容从未上传", "the content was never uploaded"),
    "erasure_other": ("其他", "other"),
    "risk_detail": ("风险监测发现：{detector}", "Found by risk monitoring: {detector}"),
    "detector_no_independent_custody": (
        "无独立物流交接的签收（空包裹）",
        "a receipt with no independent custody (empty parcel)",
    ),
    "detector_captive_consignee": ("收货密钥只收过同一卖家的包裹", "a consignee key only one seller ever ships to"),
    "detector_receipt_burst": ("短时间内集中签收", "a burst of receipts"),
    "detector_review_burst": ("短时间内集中评价", "a burst of reviews"),
    "detector_impossible_travel": ("物流交接的时间地点不可能", "handoffs impossibly far apart in time"),
    "detector_repeated_serial": ("同一序列号重复销售", "one serial sold more than once"),
    "detector_captive_reviewer": ("评价者只在同一店铺购买", "reviews by a key that only buys from one shop"),
    "complaint_category": ("类别：{category}", "Category: {category}"),
    "complaint_channel": ("渠道：{channel}", "Channel: {channel}"),
    "resolution_outcome": ("结果：{outcome}", "Outcome: {outcome}"),
    "resolution_reason": ("理由：{reason}", "Reason: {reason}"),
    "compensation": ("赔偿 ¥{amount}", "compensation ¥{amount}"),
    "recall_detail": ("原因：{reason}，{level}级召回", "Reason: {reason}, level {level} recall"),
    # value labels
    "category_food": ("食品", "food"),
    "category_drug": ("药品", "drug"),
    "category_medical_device": ("医疗器械", "medical device"),
    "category_agricultural_product": ("农产品", "agricultural product"),
    "category_agricultural_input": ("农业投入品", "agricultural input"),
    "complaint_counterfeit": ("假冒伪劣", "counterfeit"),
    "complaint_quality": ("质量问题", "quality"),
    "complaint_mismatch": ("货不对板", "not as described"),
    "complaint_price_fraud": ("价格欺诈", "price fraud"),
    "complaint_false_advertising": ("虚假宣传", "false advertising"),
    "complaint_service_breach": ("服务违约", "service breach"),
    "complaint_privacy": ("泄露隐私", "privacy"),
    "complaint_fake_review": ("虚假评价", "fake review"),
    "complaint_logistics": ("物流问题", "logistics"),
    "complaint_other": ("其他", "other"),
    "channel_consumer": ("消费者", "consumer"),
    "channel_12312": ("12312 商务举报投诉热线", "12312 commerce hotline"),
    "channel_12315": ("12315 热线", "12315 hotline"),
    "channel_12318": ("12318 文化市场举报热线", "12318 culture market hotline"),
    "channel_12358": ("12358 价格举报热线", "12358 price hotline"),
    "channel_12363": ("12363 金融消费权益保护热线", "12363 financial consumer hotline"),
    "channel_12365": ("12365 质量监督热线", "12365 quality supervision hotline"),
    "channel_platform": ("平台", "platform"),
    "channel_inspection": ("抽检", "inspection"),
    "outcome_upheld": ("投诉成立", "upheld"),
    "outcome_rejected": ("投诉不成立", "rejected"),
    "outcome_compensated": ("已赔偿", "compensated"),
    "outcome_withdrawn": ("已撤回", "withdrawn"),
    "settled_violation_found": ("查实违法或侵权", "a violation was found"),
    "settled_no_violation": ("未发现违法或侵权", "no violation was found"),
    "settled_insufficient_evidence": ("证据不足", "insufficient evidence"),
    "settled_mediation_agreement": ("调解达成协议", "settled by mediation"),
    "settled_complainant_withdrew": ("投诉人撤回", "the complainant withdrew"),
    "settled_outside_scope": ("不属于受理范围", "outside the scope of complaints handled"),
    "settled_duplicate": ("重复投诉", "a duplicate complaint"),
    "settled_other": ("其他", "other"),
    "reason_safety": ("安全风险", "safety"),
    "reason_quality": ("质量问题", "quality"),
    "reason_labelling": ("标签问题", "labelling"),
    "reason_counterfeit": ("假冒", "counterfeit"),
    "reason_regulatory": ("监管要求", "regulatory"),
    "reason_other": ("其他", "other"),
    # errors
    "not_found_title": ("查不到这个商品", "We could not find this product"),
    "not_found_text": (
        "溯源日志中没有这个编码的任何记录。正规商品的二维码都能查到来源；"
        "如果您是在商品上扫到的，它可能是假冒品，请向 12315 投诉。",
        "The traceability log holds no record of this code. Genuine goods can always be traced; if you scanned it on "
        "a product, the product may be counterfeit: report it to the 12315 hotline.",
    ),
    "bad_code_title": ("这不是有效的商品码", "This is not a valid product code"),
    "bad_code_text": (
        "二维码中的编码格式不正确（{detail}）。请重新扫描，或向 12315 投诉。",
        "The code in the QR code is malformed ({detail}). Scan again, or report it to the 12315 hotline.",
    ),
    "back_home": ("返回首页", "Back to the start page"),
    **CREDIT_TEXTS,
}

COLUMN: dict[Language, int] = {"zh-CN": 0, "en": 1}  # where each language stands in a (Chinese, English) pair


class Texts:
    """The texts of one language: ``texts("key", name=...)`` formats the key's text with the given values."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._column = COLUMN[language]

    def __call__(self, key: str, **values: Any) -> str:
        text = _TEXTS[self._number(key, values)][self._column]
        return text.format(**values) if values else text

    def parts(self, key: str, **values: object) -> Parts:
        """The key's text with its values kept apart, so that each can carry its binding (``verify_portal.shown``)."""
        return parts(_TEXTS[self._number(key, values)][self._column], values)

    @staticmethod
    def _number(key: str, values: Mapping[str, object]) -> str:
        """``KEY_one`` where there is one and ``count`` is 1 (English needs the singular; Chinese has the same)."""
        count = values.get("count")
        shown = getattr(count, "text", count)  # a bound value (verify_portal.shown.Shown) carries its text
        return f"{key}_one" if str(shown) == "1" and f"{key}_one" in _TEXTS else key


def _accepted(header: str) -> list[tuple[float, str]]:
    """Accept-Language ranges with their q-values, best first (malformed q-values count as 0)."""
    ranges: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if tag:
            ranges.append((quality, tag.strip().lower()))
    return sorted(ranges, key=lambda r: -r[0])


def negotiate_language(query: Mapping[str, str], request: Request[Any, Any, Any]) -> Language:
    """``?lang=en`` / ``?lang=zh`` wins; otherwise English only when Accept-Language prefers it over Chinese."""
    asked = query.get("lang", "").lower()
    if asked.startswith("en"):
        return "en"
    if asked.startswith("zh"):
        return "zh-CN"
    for quality, tag in _accepted(request.headers.get("accept-language", "")):
        if quality <= 0:
            continue
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
