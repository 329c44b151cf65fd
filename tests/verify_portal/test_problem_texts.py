"""Every problem type the API can answer has a line a shopper reads on the consumer page, in Chinese and English."""

from __future__ import annotations

import json
import re

import ledger.log.witness_errors  # noqa: F401 -- registers the witness's problem types in the catalogue
from api.catalogue import catalogue
from tests.verify_portal.conftest import Portal
from verify_portal.problem_texts import PROBLEM_TEXTS, STATUS_TEXTS, problem_texts

CHINESE = re.compile(r"[\u4e00-\u9fff]")
JARGON = ("SSCC", "GTIN", "DSSE", "kid", "event", "payload", "日志", "公钥", "哈希")  # words a shopper does not know


def test_every_problem_type_has_a_chinese_and_an_english_line() -> None:
    missing = sorted(set(catalogue()) - set(PROBLEM_TEXTS))
    assert not missing, f"problem types without a consumer line in verify_portal/problem_texts.py: {missing}"
    assert not set(PROBLEM_TEXTS) - set(catalogue()), "lines for problem types that no longer exist"
    for slug, (chinese, english) in {**PROBLEM_TEXTS, **STATUS_TEXTS}.items():
        assert CHINESE.search(chinese), slug
        assert not CHINESE.search(english), slug
        for line in (chinese, english):
            assert "\n" not in line, slug
            assert len(line) <= 60, slug  # one line on a phone's status area
            assert not any(word in line for word in JARGON), (slug, line)


def test_the_consumer_page_carries_the_lines_of_its_language(portal: Portal) -> None:
    for lang, column in (("zh", 0), ("en", 1)):
        html = portal.client.get(f"/consumer?lang={lang}").text
        block = re.search(r'<script type="application/json" id="problem-texts">(.*?)</script>', html, re.S)
        assert block, lang
        lines = json.loads(block.group(1))
        assert lines == problem_texts("zh-CN" if lang == "zh" else "en")
        assert lines["already-signed"] == PROBLEM_TEXTS["already-signed"][column]
        assert lines["status:5xx"] == STATUS_TEXTS["5xx"][column]


def test_the_consumer_page_speaks_plain_chinese(portal: Portal) -> None:
    html = portal.client.get("/consumer").text
    page = re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)
    shown = re.sub(r"<[^>]+>", " ", re.sub(r"<(head|footer)>.*?</\1>", "", page, flags=re.S))
    attributes = " ".join(re.findall(r'data-msg-[\w-]+="([^"]*)"', page))
    for word in ("SSCC", "GTIN", "日志", "公钥", "哈希"):
        assert word not in shown, word
        assert word not in attributes, word
