"""Where a free-text place is: a small gazetteer of Chinese cities and districts with their coordinates.

Event places are free text (``"曲靖市麒麟区 速达分拨中心"``), so a place is located by the gazetteer names it
contains; Chinese addresses run from the largest area to the smallest, so the name found last in the text is the
most precise one. A place naming none of them is not located, and the travel detector does not compare it. The
coordinates are the cities' centres (WGS 84, to a hundredth of a degree), enough for distances of tens of km.
"""

from __future__ import annotations

import math
from functools import lru_cache

#: name → (latitude, longitude). Yunnan's Qujing prefecture in detail (the demo's region), other provincial
#: capitals and large cities coarsely.
GAZETTEER: dict[str, tuple[float, float]] = {
    "曲靖市": (25.49, 103.80), "麒麟区": (25.50, 103.80), "宣威市": (26.22, 104.10), "陆良县": (25.03, 103.67),
    "沾益区": (25.60, 103.82), "马龙区": (25.43, 103.58), "富源县": (25.67, 104.25), "罗平县": (24.88, 104.31),
    "师宗县": (24.82, 103.99), "会泽县": (26.42, 103.30), "昆明市": (25.04, 102.71), "玉溪市": (24.35, 102.54),
    "大理市": (25.61, 100.27), "丽江市": (26.86, 100.23), "贵阳市": (26.65, 106.63), "成都市": (30.66, 104.07),
    "重庆市": (29.56, 106.55), "南宁市": (22.82, 108.37), "广州市": (23.13, 113.26), "深圳市": (22.54, 114.06),
    "长沙市": (28.23, 112.94), "武汉市": (30.59, 114.31), "杭州市": (30.27, 120.16), "上海市": (31.23, 121.47),
    "南京市": (32.06, 118.80), "北京市": (39.90, 116.41), "天津市": (39.13, 117.20), "西安市": (34.34, 108.94),
    "郑州市": (34.75, 113.63), "兰州市": (36.06, 103.83), "乌鲁木齐市": (43.83, 87.62), "拉萨市": (29.65, 91.14),
    "沈阳市": (41.80, 123.43), "哈尔滨市": (45.80, 126.53), "长春市": (43.82, 125.32), "福州市": (26.07, 119.30),
    "海口市": (20.04, 110.32), "呼和浩特市": (40.84, 111.75), "西宁市": (36.62, 101.78), "银川市": (38.49, 106.23),
}  # fmt: skip
EARTH_RADIUS_KM = 6371.0


@lru_cache(maxsize=65536)  # a log names few places, many times
def locate(place: str) -> tuple[float, float] | None:
    """The coordinates of the most precise gazetteer name in ``place`` (the one found last), or None."""
    found = [(place.rfind(name), name) for name in GAZETTEER if name in place]
    return GAZETTEER[max(found)[1]] if found else None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
