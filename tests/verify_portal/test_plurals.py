"""English texts agree with their count: one review, two reviews; Chinese reads the same either way."""

from __future__ import annotations

from verify_portal.i18n import Texts
from verify_portal.shown import Shown

EN, ZH = Texts("en"), Texts("zh-CN")


def test_english_takes_the_singular_for_one() -> None:
    assert EN("checkpoint_witnesses", count=1) == "cosigned by 1 independent witness"
    assert EN("checkpoint_witnesses", count=3) == "cosigned by 3 independent witnesses"
    assert EN("scans_summary", count=1) == "This code has been looked up once"
    assert EN("scans_summary", count=2) == "This code has been looked up 2 times"
    assert EN("rating_left_out", count=1).startswith("1 review comes from a receipt")
    assert EN("verdict_verified_warned", count=2).startswith("Records genuine — but this page has 2 warnings")
    one = EN.parts("rating_value", average="5.0", count=Shown("1"))  # a bound count counts too
    assert "".join(p if isinstance(p, str) else p.text for p in one) == "5.0 / 5 (1 review)"
    assert ZH("checkpoint_witnesses", count=1) == "1 个独立见证方已联署"
    assert ZH("rating_left_out", count=1) == "1 条评价的签收被风险监测标记：评价照常显示，但不计入评分"
