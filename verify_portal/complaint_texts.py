"""The consumer page's complaint form texts (Chinese, then English), kept apart from the page's other texts."""

from __future__ import annotations

COMPLAINT_TEXTS: dict[str, tuple[str, str]] = {
    "complaint_heading": ("投诉", "Complain"),
    "complaint_intro": (
        "收到的商品有问题？选择商品和问题类型，写下经过，由您的手机签名后写入公开记录。"
        "您的姓名和电话不会写入记录，请不要写在内容里。",
        "Something wrong with what you received? Choose the product and the kind of problem and say what happened; "
        "your phone signs it into the public log. Your name and phone number are never logged: leave them out.",
    ),
    "complaint_subject": ("投诉的商品", "Product"),
    "complaint_category": ("问题类型", "Kind of problem"),
    "complaint_text": ("经过（存放在公开记录之外，可删除）", "What happened (kept outside the log, erasable)"),
    "complaint_submit": ("提交投诉", "File the complaint"),
    "msg_whole_parcel": ("整个包裹", "the whole parcel"),
    "complaint_hotline": ("也可以拨打 12315 全国消费者投诉热线", "Or call the national consumer hotline, 12315"),
    "msg_complained": ("投诉已写入公开记录，可在投诉处理队列中查到。", "Your complaint is in the log and the queue."),
    "msg_complaint_text_failed": (
        "投诉已记录，但经过上传失败：",
        "The complaint is logged, but its text failed to upload: ",
    ),
    "msg_no_receipt_complaint": ("请先签收包裹再投诉。", "Sign for the parcel before complaining about it."),
}
