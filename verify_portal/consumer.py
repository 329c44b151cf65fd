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
from ledger.events.schemas import COMPLAINT_CATEGORIES
from ledger.store.ledger import Ledger
from qr import qr_svg
from signer.encoding import b64decode_strict
from signer.keys import PUBLIC_KEY_SIZE
from verify_portal.complaint_texts import COMPLAINT_TEXTS
from verify_portal.i18n import COLUMN, Lang, Language, Texts, negotiate_language
from verify_portal.problem_texts import problem_texts
from verify_portal.render import page, secured

SVG = "image/svg+xml"

# The page's own texts, Chinese then English; the ``msg_*`` ones are for consumer.js (as data attributes).
_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("我的签收与评价", "My receipts and reviews"),
    "intro": (
        "您的签收密钥只保存在这部手机的浏览器里，不含姓名、电话或地址。下单时把收货码交给商家，"
        "收到包裹后用它签收，再写评价：每一步都由您的手机签名，并写入人人可查、不能篡改的公开记录。",
        "Your receipt key lives only in this phone's browser and holds no name, phone number or address. Give its "
        "public key to the shop at checkout; when the parcel arrives, sign for it and review it: your phone signs "
        "each step and it goes into the public log.",
    ),
    "key_heading": ("我的签收密钥", "My receipt key"),
    "key_none": ("这部手机上还没有签收密钥。", "This phone has no receipt key yet."),
    "key_create": ("创建签收密钥", "Create a receipt key"),
    "key_public": ("我的收货码（下单时交给商家）", "Public key (give it to the shop at checkout)"),
    "key_id": ("编号", "Key id"),
    "key_qr": ("收货码的二维码", "QR code of the public key"),
    "key_copy": ("复制收货码", "Copy the key"),
    "key_share": ("分享收货码", "Share the key"),
    "key_warning": (
        "重要：签收密钥只保存在这个浏览器里。清除浏览器数据、卸载浏览器或换手机，密钥就会永久丢失，"
        "寄给它的包裹将无法签收。请用下面的“导出备份文件”保存一份备份。",
        "Important: your receipt key exists only in this browser. Clearing the browser's data, uninstalling it or "
        "changing phones loses it for good, and parcels sent to it can no longer be signed for. Save a backup "
        "with “Export a backup file” below.",
    ),
    "backup_heading": ("备份与恢复签收密钥", "Back up and restore the key"),
    "backup_passphrase": ("备份密码（至少 8 个字符，恢复时要用）", "Backup passphrase (at least 8 characters)"),
    "backup_export": ("导出备份文件", "Export a backup file"),
    "backup_file": ("备份文件（恢复时选择）", "Backup file (to restore)"),
    "backup_import": ("从备份恢复", "Restore from the backup"),
    "parcel_heading": ("签收包裹", "Sign for a parcel"),
    "parcel_code": ("包裹号或快递单号（也可以扫码）", "Parcel number or courier waybill number (or scan it)"),
    "carrier": ("快递公司（输入快递单号时选择）", "Courier company (for a waybill number)"),
    "carrier_none": ("不用选：包裹号或扫码链接", "None: a parcel number or a scanned link"),
    "scan_camera": ("用相机扫码", "Scan with the camera"),
    "scan_photo": ("从照片识别", "Read a photo"),
    "scan_stop": ("停止扫码", "Stop scanning"),
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
    "review_text": ("评价内容（可选，单独保存，可以删除）", "Review (optional; kept outside the log, erasable)"),
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
    "msg_signed": ("已签收，已写入公开记录。", "Signed for: the receipt is in the log."),
    "msg_already_logged": ("这条记录之前已经写入。", "This record was already in the log."),
    "msg_reviewed": ("评价已写入公开记录。", "Your review is in the log."),
    "msg_text_failed": ("评价已记录，但内容上传失败：", "The review is logged, but its text failed to upload: "),
    "msg_no_receipt": ("请先签收包裹再评价。", "Sign for the parcel before reviewing it."),
    "msg_rejected": ("被拒绝：", "Refused: "),
    "msg_network": ("网络错误，请稍后再试。", "Network error; please try again."),
    "msg_technical": ("技术详情", "Technical details"),
    "msg_whole_batch": ("整批", "whole batch"),
    "msg_item": ("单品", "item"),
    "msg_choose_carrier": ("这是快递单号：请先选择快递公司。", "That is a waybill number: choose the courier company."),
    "msg_scan_none": ("没有识别到二维码，请再试一次或手动输入。", "No QR code was found; try again or type it."),
    "msg_no_camera": (
        "无法打开相机：可以改用“从照片识别”或手动输入。",
        "The camera cannot be opened: read a photo or type the number instead.",
    ),
    "msg_copied": ("收货码已复制，可以粘贴给商家。", "The key is copied: paste it to the shop."),
    "msg_copy_failed": ("无法自动复制，请长按收货码手动复制。", "It could not be copied: select the key and copy it."),
    "msg_backup_saved": ("备份文件已生成，请保存到安全的地方。", "The backup file is ready: keep it somewhere safe."),
    "msg_backup_short": ("备份密码至少 8 个字符。", "The backup passphrase needs at least 8 characters."),
    "msg_backup_unavailable": (
        "这把密钥是在备份功能上线之前创建的，无法导出。",
        "This key was made before backups existed and cannot be exported.",
    ),
    "msg_backup_wrong": (
        "无法恢复：备份密码不对，或文件已损坏。",
        "Cannot restore: wrong passphrase or a damaged file.",
    ),
    "msg_backup_format": ("这不是签收密钥的备份文件。", "That is not a receipt key backup file."),
    "msg_backup_restored": ("已从备份恢复签收密钥。", "Your receipt key is restored from the backup."),
    "msg_backup_no_file": ("请先选择备份文件。", "Choose the backup file first."),
}

# 快递单号: a waybill number names the parcel ``parcel/<carrier>/<waybill>`` (DESIGN §3), the carrier chosen here
# or read from the number's prefix by consumer.js; a shop dispatches such a parcel with ``--parcel parcel/sf/SF…``.
CARRIERS: dict[str, tuple[str, str]] = {
    "sf": ("顺丰速运", "SF Express"),
    "jd": ("京东物流", "JD Logistics"),
    "yto": ("圆通速递", "YTO Express"),
    "zto": ("中通快递", "ZTO Express"),
    "sto": ("申通快递", "STO Express"),
    "yunda": ("韵达快递", "Yunda Express"),
    "ems": ("中国邮政 EMS", "China Post EMS"),
    "jtexpress": ("极兔速递", "J&T Express"),
}

Subject = Annotated[str | None, QueryParameter(description="the product to review, if known")]
PublicKeyParam = Annotated[str, QueryParameter(description="base64 of a raw 32-byte Ed25519 public key")]


def consumer_texts(language: Language) -> dict[str, str]:
    column = COLUMN[language]
    return {key: pair[column] for key, pair in (_TEXTS | COMPLAINT_TEXTS).items()}


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
            origin=ledger.origin, subject=subject or "", problems=problem_texts(language),
            carriers=[(code, names[COLUMN[language]]) for code, names in CARRIERS.items()],
            complaint_categories=COMPLAINT_CATEGORIES,
        )  # fmt: skip

    @get("/key.svg", sync_to_thread=False, media_type=SVG)
    def key_qr(self, key: PublicKeyParam) -> Response[str]:
        """A QR code of a consumer's public key (as a dispatch's ``consignee_key`` holds it), for the shop."""
        raw = b64decode_strict(key, "key", InvalidRequest)
        if len(raw) != PUBLIC_KEY_SIZE:
            raise InvalidRequest(f"key must be a {PUBLIC_KEY_SIZE}-byte Ed25519 public key in base64")
        return secured(Response(qr_svg(key), media_type=SVG, headers={"Cache-Control": "public, max-age=86400"}))
