"""Every API problem type (``api.catalogue``) as one short line a shopper understands, Chinese then English.

The consumer page shows these instead of the server's ``title`` and ``detail``, which are written for developers
(event indexes, key ids, internal names). A problem type without a line here is a test failure
(tests/verify_portal/test_problem_texts.py); the page falls back to a line by HTTP status for a type it does not
know (a newer server).
"""

from __future__ import annotations

from verify_portal.i18n import COLUMN, Language

_RETRY = ("请稍后再试。", "Please try again later.")

PROBLEM_TEXTS: dict[str, tuple[str, str]] = {
    # the request itself
    "error": ("操作没有成功，请重试。", "That did not work; please try again."),
    "api-error": ("服务器拒绝了这次操作。", "The server refused this."),
    "ledger-error": ("记录系统拒绝了这次操作。", "The record system refused this."),
    "signer-error": ("签名出了问题，请刷新页面后重试。", "Something went wrong with the signature; reload and retry."),
    "internal-error": ("服务器出错了，" + _RETRY[0], "The server had a problem. " + _RETRY[1]),
    "invalid-request": ("输入的内容格式不对，请检查后重试。", "Something you entered is not in the right form."),
    "malformed-json": ("页面发出的数据有误，请刷新页面后重试。", "The page sent bad data; reload and retry."),
    "method-not-allowed": ("这个操作不被允许。", "That action is not allowed here."),
    "rate-limited": ("操作太频繁了，请过一分钟再试。", "Too many tries; wait a minute and retry."),
    "request-timeout": ("网络太慢，请求超时了，" + _RETRY[0], "The network was too slow. " + _RETRY[1]),
    "request-too-large": ("内容太长了，请缩短后重试。", "That is too long; please shorten it."),
    "invalid-query": ("查询条件不对。", "The search terms are not valid."),
    "not-found": ("没有找到这条记录。", "No such record was found."),
    "ledger-state": ("记录系统暂时不可用，" + _RETRY[0], "The record system is unavailable. " + _RETRY[1]),
    "behind-high-water": ("记录系统暂时不可用，" + _RETRY[0], "The record system is unavailable. " + _RETRY[1]),
    "conservation": ("记录系统暂时不可用，" + _RETRY[0], "The record system is unavailable. " + _RETRY[1]),
    "schema-outdated": ("记录系统正在升级，" + _RETRY[0], "The record system is being upgraded. " + _RETRY[1]),
    "schema-too-new": ("记录系统正在升级，" + _RETRY[0], "The record system is being upgraded. " + _RETRY[1]),
    "insufficient-storage": ("服务器存储已满，" + _RETRY[0], "The server is out of space. " + _RETRY[1]),
    # what was sent
    "authentication": ("签名没有通过核验。", "The signature was not accepted."),
    "bad-checkpoint": (
        "公开记录的签名状态无效，请勿信任这些记录。",
        "The log's signed state is invalid: do not trust it.",
    ),
    "conflict": ("这与已有的记录冲突。", "This conflicts with an earlier record."),
    "invalid-epcis-event": ("这条物流数据格式不对。", "This logistics record is not in the right form."),
    "invalid-event": ("这条记录的格式不对。", "This record is not in the right form."),
    "bad-proof": ("记录的证明没有通过核验，请勿信任。", "The record's proof did not verify: do not trust it."),
    "bad-consistency-proof": (
        "公开记录的证明没有通过核验，请勿信任。",
        "The log's proof did not verify: do not trust it.",
    ),
    "bad-inclusion-proof": (
        "记录的证明没有通过核验，请勿信任。",
        "The record's proof did not verify: do not trust it.",
    ),
    "rule-violation": ("按规则不能这样做。", "The rules do not allow this."),
    "key-file": ("密钥文件无法读取。", "The key file cannot be read."),
    "weak-passphrase": ("密码太短了。", "The passphrase is too short."),
    "bad-note": ("公开记录的签名无效，请勿信任这些记录。", "The log's signature is invalid: do not trust it."),
    "bad-signature": ("签名没有通过核验。", "The signature did not verify."),
    "bad-envelope-signature": (
        "签名没有通过核验，请刷新页面后重试。",
        "The signature did not verify; reload and retry.",
    ),
    "unknown-key": ("记录系统不认识这把签收密钥。", "The record system does not know this key."),
    "event-conflict": ("这条记录已经以另一种签名存在。", "This record is already logged with another signature."),
    "envelope-too-large": ("内容太长了，请缩短后重试。", "That is too long; please shorten it."),
    "invalid-attachment": ("上传的内容与记录不符。", "The uploaded text does not match its record."),
    "invalid-identifier": (
        "编号不对，请检查包裹码或商品码。",
        "That number is not valid; check the parcel or product code.",
    ),
    "invalid-payload": ("这条记录的内容不完整或不对。", "This record is incomplete or wrong."),
    "malformed-envelope": (
        "页面发出的签名数据有误，请刷新页面后重试。",
        "The page sent a bad signature; reload and retry.",
    ),
    "non-canonical-payload": ("页面发出的数据有误，请刷新页面后重试。", "The page sent bad data; reload and retry."),
    "attachment-removed": ("这段文字已按规定删除。", "This text was removed."),
    # the rules: goods
    "batch-expired": ("这批商品已过保质期。", "This batch is past its expiry date."),
    "batch-on-hold": ("这批商品检验不合格，暂停销售。", "This batch failed an inspection and is on hold."),
    "batch-recalled": ("这批商品已被召回。", "This batch has been recalled."),
    "input-recalled": ("这批商品的原料已被召回。", "An ingredient batch of this product was recalled."),
    "insufficient-quantity": ("发货方没有这么多货。", "The sender does not hold that many."),
    "insufficient-input": ("生产方没有这么多原料。", "The producer does not hold that much of an ingredient."),
    "batch-exists": ("这个批次已经登记过了。", "This batch is already registered."),
    "unknown-batch": ("没有这个批次的记录。", "There is no record of this batch."),
    "gtin-prefix-not-owned": ("商品条码不属于这家生产商。", "This barcode does not belong to the producer."),
    "serial-not-issued": ("这个商品码从未发放，可能是假冒的。", "This code was never issued: it may be fake."),
    "serial-already-sold": ("这件商品已经卖给别人了，可能是假冒的。", "This item was already sold to someone else."),
    "licence-missing": (
        "这家商户没有经营这类商品的有效许可证。",
        "This business has no valid licence for these goods.",
    ),
    # the rules: parcels and receipts
    "parcel-exists": ("这个包裹号已经用过了。", "This parcel number is already in use."),
    "unknown-parcel": ("没有这个包裹的记录，请检查包裹号或快递单号。", "No record of this parcel; check its number."),
    "wrong-custodian": ("交接方不是包裹现在的经手人。", "The handover is not from the parcel's current holder."),
    "parcel-on-pallet": (
        "这个包裹在托盘上，拆托后才能单独交接或签收。",
        "This parcel is on a pallet; it moves alone once split.",
    ),
    "not-a-pallet": ("这个包裹不是托盘，无法拆托。", "This parcel is not a pallet, so it cannot be split."),
    "custody-fork": ("包裹状态已经变化，请刷新后重试。", "The parcel has moved on; reload and retry."),
    "already-signed": ("这个包裹已经签收过了。", "This parcel has already been signed for."),
    "not-consignee": ("这个包裹不是寄给您这把密钥的。", "This parcel was not sent to your key."),
    "receipt-required": ("请先签收包裹，再写评价。", "Sign for the parcel before reviewing it."),
    "review-limit": ("每次签收只能写一条评价和一条追评，您已经写过了。", "You already wrote a review and a follow-up."),
    "not-a-party": ("只能评价寄出或送过这个包裹的商家和快递。", "Only the parcel's sender and couriers can be rated."),
    "rating-exists": ("您已经评价过这一方了（含一次追评）。", "You already rated this party, follow-up included."),
    "commitment-expired": ("承诺的有效期已过。", "That commitment has already expired."),
    "no-return-commitment": ("卖家没有为这个包裹承诺七天无理由退货。", "The seller did not promise 7-day returns."),
    "return-window-closed": ("签收已超过七天，不能无理由退货了。", "Over 7 days since you signed: no free return."),
    "return-exists": ("这个包裹已经申请过退货了。", "A return was already requested for this parcel."),
    # the rules: parties, keys and records
    "genesis": ("记录系统的起始记录有误。", "The log's first record is wrong."),
    "not-authorized": ("您没有权限做这件事。", "You are not allowed to do this."),
    "unknown-actor": ("没有这家登记单位。", "There is no such registered business."),
    "actor-exists": ("这家单位已经登记过了。", "This business is already registered."),
    "gs1-prefix-taken": ("这个厂商识别代码属于另一家单位。", "This company prefix belongs to another business."),
    "black-listed": ("这家单位在黑名单上，不能这样做。", "This business is on the black list."),
    "key-expired": ("签名的密钥已过期。", "The signing key has expired."),
    "key-revoked": ("签名的密钥已被注销。", "The signing key was revoked."),
    "wrong-parents": ("这条记录没有接在应有的记录后面，请刷新后重试。", "This record does not follow the right one."),
    "rule-conflict": ("这与已有的记录冲突，请刷新后重试。", "This conflicts with the records; reload and retry."),
    "stale-update": ("记录已经更新过，请刷新后重试。", "The record was updated meanwhile; reload and retry."),
    # complaints, attachments, risk findings
    "unknown-complaint": ("没有这条投诉。", "There is no such complaint."),
    "complaint-closed": ("这条投诉已经处理完了。", "This complaint is already resolved."),
    "channel-not-allowed": (
        "您的投诉请在本页提交；热线投诉由受理部门录入。",
        "File your complaint on this page; hotlines enter theirs.",
    ),
    "reason-required": ("处理结果需要写明理由。", "A resolution needs its reason."),
    "unknown-attachment": ("没有记录用到这段内容。", "No record refers to this text."),
    "already-erased": ("这段内容已经删除了。", "This text was already removed."),
    "unknown-evidence": ("引用的证据记录不存在。", "The evidence it cites is not in the log."),
    "unknown-finding": ("没有这条风险提示。", "There is no such risk finding."),
    "scan-finding-unfounded": ("这条风险提示与记录不符。", "This risk finding is not borne out by the records."),
    "finding-exists": ("这条风险提示已经记录过了。", "This risk finding is already logged."),
    "finding-actor-mismatch": ("处罚对象与风险提示不符。", "The sanction is not about the finding's business."),
    "finding-batch-mismatch": ("召回的批次与风险提示不符。", "The recall is not of the finding's batch."),
    # witnesses (answered to logs, not to shoppers; listed so that every type has its line)
    "witness-error": ("见证方拒绝了这次请求。", "A witness refused the request."),
    "witness-config": ("见证方的设置不对。", "A witness is not set up right."),
    "malformed-witness-request": ("发给见证方的请求格式不对。", "The request to the witness is malformed."),
    "inconsistent-checkpoint": ("公开记录与见证方看到的不一致，请勿信任。", "The log differs from what a witness saw."),
    "conflicting-root": ("公开记录与见证方看到的不一致，请勿信任。", "The log differs from what a witness saw."),
    "tree-size-conflict": ("见证方的记录进度不同，请稍后再试。", "The witness is at another size; retry later."),
    "old-size-above-checkpoint": ("发给见证方的请求有误。", "The request to the witness is wrong."),
    "unknown-log": ("见证方不认识这份公开记录。", "The witness does not follow this log."),
    "untrusted-checkpoint": ("公开记录的签名不被见证方信任。", "The witness does not trust this log's signature."),
}

# A type the page does not know (a newer server): a line by HTTP status class.
STATUS_TEXTS: dict[str, tuple[str, str]] = {
    "4xx": ("操作没有被接受。", "That was not accepted."),
    "409": ("这与已有的记录冲突。", "This conflicts with an earlier record."),
    "5xx": ("服务器出错了，" + _RETRY[0], "The server had a problem. " + _RETRY[1]),
}


def problem_texts(language: Language) -> dict[str, str]:
    """Slug → line, and ``status:<class>`` → the fallback lines, in ``language`` (for the consumer page)."""
    column = COLUMN[language]
    lines = {slug: pair[column] for slug, pair in PROBLEM_TEXTS.items()}
    lines.update({f"status:{status}": pair[column] for status, pair in STATUS_TEXTS.items()})
    return lines
