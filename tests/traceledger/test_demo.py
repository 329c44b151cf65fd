"""``traceledger demo``: the full Qujing story, built, reused, refused where it would clobber, and served."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from PIL import Image

from tests.demos import demo_home
from tests.qr.decoding import decoded
from tests.servers import demo_process
from tests.verify_portal.conftest import page_text
from traceledger.demo import DRUG, GROCER, ORIGIN, VEGETABLES, DemoStory
from traceledger.server import api_and_portal
from traceledger.settings import Home
from verify_portal.i18n import Texts

PASSPHRASE = "demo test passphrase"
DEFAULT_URL = "http://127.0.0.1:8000"  # where the demo serves unless told otherwise
ZH = Texts("zh-CN")


def _traceledger(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip


def _demo(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return _traceledger("demo", "--home", str(home), *args)


def _pages(output: str) -> dict[str, tuple[str, Path]]:
    """Each printed page's URL and QR code file, by the QR code's name."""
    found = re.findall(r"\n    (http://\S+)\n    http://\S+\?lang=en\n    QR: (\S+\.png)", output)
    return {Path(png).stem: (url, Path(png)) for url, png in found}


def test_the_demo_builds_prints_its_pages_and_writes_their_qr_codes(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    first = _demo("--no-serve", home=home)
    assert first.returncode == 0, first.stderr
    assert "verified against the checkpoint root" in first.stdout
    pages = _pages(first.stdout)
    assert {"ham-item-0001", "ham-batch", "ham-parcel", "ham-item-0003", "vegetables-batch", "drug-batch"} <= set(pages)
    for url, png in pages.values():
        assert url.startswith(f"{DEFAULT_URL}/")
        assert decoded(Image.open(png)) == [url]
    assert Home(home).settings()["origin"] == ORIGIN  # a real ledger home
    assert f"{DEFAULT_URL}/consumer" in first.stdout  # the page no QR code leads to
    assert f"traceledger audit --home {home}" in first.stdout

    again = _demo("--no-serve", "--port", "8123", home=home)
    assert again.returncode == 0, again.stderr
    assert "reusing the demo ledger" in again.stdout
    assert "verified against the checkpoint root" not in again.stdout  # nothing was built again
    assert set(_pages(again.stdout)) == set(pages)
    for url, png in _pages(again.stdout).values():
        assert url.startswith("http://127.0.0.1:8123/")
        assert decoded(Image.open(png)) == [url]  # the QR codes follow the address the demo serves at


def test_the_demo_ledger_audits_clean(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    assert _demo("--no-serve", home=home).returncode == 0
    audit = _traceledger("audit", "--json", "--home", str(home))
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert (report["ok"], report["first"], report["findings"]) == (True, None, [])
    assert report["origin"] == ORIGIN
    assert report["checked"]["entries"] == report["size"] > 40  # every story's events, each replayed
    assert report["checked"]["attachments"] > report["checked"]["attachment_contents"]  # one review text erased


def test_the_demo_refuses_a_folder_it_did_not_build(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = _demo("--no-serve", home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "is not empty and holds no demo ledger" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.fixture
def served_demo(tmp_path: Path) -> Iterator[str]:
    """``traceledger demo`` serving on a free port in its own process, stopped (by its pid) afterwards."""
    with demo_process(tmp_path / "d", tmp_path / "demo.log") as (base, _):
        yield base


def test_the_demo_serves_the_api_and_the_portal_together(served_demo: str) -> None:
    page = httpx.get(f"{served_demo}/{DRUG.path}", timeout=10)
    assert page.status_code == 200
    assert ZH("banner_recall") in page.text
    bundle = httpx.get(f"{served_demo}/v1/subjects/{DRUG.path}", timeout=10).json()
    assert bundle["summary"]["recalled"] is True
    assert httpx.get(f"{served_demo}/static/portal/portal.css", timeout=10).status_code == 200


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[tuple[TestClient[Litestar], DemoStory, Home]]:
    home, story = demo_home(tmp_path / "home", PASSPHRASE)
    ledger = home.open(PASSPHRASE)
    try:
        views = ledger.views()
        ledger.reindex()
        assert ledger.views() == views, "reindex must reproduce the demo's views"
    finally:
        ledger.close()
    with TestClient(api_and_portal(home, lambda: home.open(PASSPHRASE))) as client:
        yield client, story, home


def test_every_demo_page_tells_its_story(demo_app: tuple[TestClient[Litestar], DemoStory, Home]) -> None:
    client, story, _ = demo_app
    pages = {page.name: client.get(f"/{page.path}").text for page in story.pages}
    for page in story.pages:  # each page lists exactly its bundle's events (no sanction), which the browser verifies
        bundle = client.get(f"/v1/subjects/{page.path}").json()
        listed = re.findall(r'<li class="event [^"]*" data-leaf-index="\d+" data-event-id="([0-9a-f]{64})"',
                            pages[page.name])  # fmt: skip
        assert listed == [e["event_id"] for e in bundle["entries"]], page.name
    shown = {name: page_text(page) for name, page in pages.items()}
    assert ZH("banner_recall") in shown["drug-batch"]
    assert ZH("banner_recall") in shown["drug-item-0007"]
    assert f"{GROCER.name}：多次销售变质蔬菜，拒不整改" in shown["vegetables-batch"]
    assert ZH("complaint_category", category=ZH("complaint_quality")) in shown["vegetables-batch"]
    assert ZH("resolution_outcome", outcome=ZH("outcome_compensated")) in shown["vegetables-batch"]
    assert ZH("banner_copy") in shown["ham-item-0003"]
    assert ZH("banner_copy") not in shown["ham-item-0001"]
    assert "肉质紧实" in shown["ham-item-0001"]
    assert "肉质紧实" in shown["ham-batch"]
    assert ZH("content_removed") in shown["ham-batch"]
    assert ZH("inspection_pass", standard="GB 2730-2015") in shown["ham-batch"]
    assert ZH("ev_signature") in shown["ham-parcel"]
    assert "云20160123" in shown["drug-batch"]  # the drug manufacturing licence
    expired = ZH("banner_expired", date="\0").split("\0")[0]
    assert not any(expired in text for text in pages.values())
    assert client.get(f"/{VEGETABLES.path}?lang=en").headers["content-language"] == "en"
