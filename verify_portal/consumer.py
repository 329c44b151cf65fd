"""The consumer's page: a pseudonymous key made and kept in the browser, receipt signatures and reviews.

The server only serves the page and a QR code of a public key; the key pair is created by WebCrypto in the
consumer's browser (the private key cannot be exported) and every event is signed there (``static/consumer.js``).
The page pins the log's key like the product pages, so a parcel's history is verified before the consumer signs.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.errors import InvalidRequest
from ledger.store.ledger import Ledger
from qr import qr_svg
from signer.encoding import b64decode_strict
from signer.keys import PUBLIC_KEY_SIZE
from verify_portal.i18n import COLUMN, Lang, Language, Texts, negotiate_language
from verify_portal.render import page, secured

SVG = "image/svg+xml"

# The page's own texts, Chinese then English; the ``msg_*`` ones are for consumer.js (as data attributes).
_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("我的签收与评价", "My receipts and reviews"),
    "intro": (
        "您的签收密钥只保存在这部手机的浏览器里，不含姓名、电话或地址。下单时把公钥交给商家，"
        "收到包裹后用它签收，再写评价：每一步都由您的手机签名并写入公开日志。",
        "Your receipt key lives only in this phone's browser and holds no name, phone number or address. Give its "
        "public key to the shop at checkout; when the parcel arrives, sign for it and review it: your phone signs "
        "each step and it goes into the public log.",
    ),
    "key_heading": ("我的签收密钥", "My receipt key"),
    "key_none": ("这部手机上还没有签收密钥。", "This phone has no receipt key yet."),
    "key_create": ("创建签收密钥", "Create a receipt key"),
    "key_public": ("公钥（下单时交给商家）", "Public key (give it to the shop at checkout)"),
    "key_id": ("密钥编号", "Key id"),
    "key_qr": ("公钥二维码", "QR code of the public key"),
    "parcel_heading": ("签收包裹", "Sign for a parcel"),
    "parcel_code": ("包裹码（SSCC 或扫描得到的链接）", "Parcel code (SSCC, or the link you scanned)"),
    "parcel_load": ("查询包裹", "Look up the parcel"),
    "contents": ("包裹内容", "Contents"),
    "condition": ("包裹状况", "Condition"),
    "condition_intact": ("完好", "intact"),
    "condition_damaged": ("有破损", "damaged"),
    "condition_refused": ("拒收", "refused"),
    "sign": ("签收", "Sign for it"),
    "review_heading": ("写评价", "Write a review"),
    "review_subject": ("评价的商品", "Product"),
    "rating": ("评分", "Rating"),
    "review_text": ("评价内容（可选，存放在日志之外，可删除）", "Review (optional; kept outside the log, erasable)"),
    "review_submit": ("提交评价", "Submit the review"),
    "your_review": ("您的评价", "Your review"),
    "msg_key_created": ("已创建签收密钥。", "Your receipt key was created."),
    "msg_no_key": ("请先创建签收密钥。", "Create a receipt key first."),
    "msg_no_webcrypto": (
        "这个浏览器不支持 Ed25519 签名，请更新浏览器。",
        "This browser cannot make Ed25519 signatures; please update it.",
    ),
    "msg_loading": ("正在查询并验证包裹记录…", "Fetching and verifying the parcel's history…"),
    "msg_not_verified": (
        "包裹记录未通过验证，请勿签收。",
        "The parcel's history did not verify: do not sign for it.",
    ),
    "msg_not_yours": (
        "这个包裹不是发给您的密钥的。",
        "This parcel was not sent to your key.",
    ),
    "msg_not_found": ("查不到这个包裹。", "No such parcel was found."),
    "msg_parcel_ready": ("包裹记录已验证，是发给您的。", "The parcel's history is verified and it was sent to you."),
    "msg_signed": ("已签收，记录已写入日志。", "Signed for: the receipt is in the log."),
    "msg_already_logged": ("这条记录已经在日志中。", "This record was already in the log."),
    "msg_reviewed": ("评价已写入日志。", "Your review is in the log."),
    "msg_text_failed": ("评价已记录，但内容上传失败：", "The review is logged, but its text failed to upload: "),
    "msg_no_receipt": ("请先签收包裹再评价。", "Sign for the parcel before reviewing it."),
    "msg_rejected": ("被拒绝：", "Refused: "),
    "msg_network": ("网络错误，请稍后再试。", "Network error; please try again."),
}

Subject = Annotated[str | None, QueryParameter(description="the product to review, if known")]
PublicKeyParam = Annotated[str, QueryParameter(description="base64 of a raw 32-byte Ed25519 public key")]


def consumer_texts(language: Language) -> dict[str, str]:
    column = COLUMN[language]
    return {key: pair[column] for key, pair in _TEXTS.items()}


class ConsumerController(Controller):
    path = "/consumer"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def consumer_page(
        self,
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        lang: Lang = None,
        subject: Subject = None,
    ) -> Response[str]:
        """The page; everything it does happens in the browser (consumer.js)."""
        language = negotiate_language(request.query_params, request)
        return page(
            "consumer.html", request, Texts(language), c=consumer_texts(language), vkey=ledger.log_verifier.vkey,
            origin=ledger.origin, subject=subject or "",
        )  # fmt: skip

    @get("/key.svg", sync_to_thread=False, media_type=SVG)
    def key_qr(self, key: PublicKeyParam) -> Response[str]:
        """A QR code of a consumer's public key (as a dispatch's ``consignee_key`` holds it), for the shop."""
        raw = b64decode_strict(key, "key", InvalidRequest)
        if len(raw) != PUBLIC_KEY_SIZE:
            raise InvalidRequest(f"key must be a {PUBLIC_KEY_SIZE}-byte Ed25519 public key in base64")
        return secured(Response(qr_svg(key), media_type=SVG, headers={"Cache-Control": "public, max-age=86400"}))
