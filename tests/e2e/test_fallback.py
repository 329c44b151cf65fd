"""Browsers without WebCrypto Ed25519 (issue 10, item 2): older WeChat and Android webviews, and any page served
over plain http off localhost, where ``crypto.subtle`` does not exist at all.

The page feature-tests WebCrypto by verifying a known-good signature and otherwise verifies with the vendored
pure-JS @noble/ed25519 (SHA-512 and, where WebCrypto is missing, SHA-256 from the vendored @noble/hashes). Init
scripts take WebCrypto's Ed25519 (or all of ``crypto.subtle``) away before the page runs; aborting the vendored files
takes the fallback away too, and then the page must say that this browser cannot verify, never that it failed.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Page

from api import bundles
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_bound_fields import read_fields
from tests.e2e.test_verification import _root_replaced, alter_bundle, entry_of, flip_byte, verdicts
from tests.scenarios.world import World
from tests.verify_portal.conftest import HAM, ITEM, REVIEW_TEXT, Story
from verify_portal.i18n import Texts

ZH = Texts("zh-CN")
CRYPTO = "/static/portal/crypto.js"
NOBLE_ED25519 = "/static/portal/vendor/noble-ed25519/index.js"
NOBLE_SHA2 = "/static/portal/vendor/noble-hashes/sha2.js"

# An old webview: WebCrypto without Ed25519, which rejects the algorithm as an unrecognised name.
NO_ED25519 = """
(() => {
  const proto = SubtleCrypto.prototype;
  const name = (algorithm) => String(typeof algorithm === "string" ? algorithm : algorithm?.name).toLowerCase();
  for (const [method, at] of [["importKey", 2], ["verify", 0], ["sign", 0], ["generateKey", 0]]) {
    const original = proto[method];
    proto[method] = function (...args) {
      if (name(args[at]) !== "ed25519") return original.apply(this, args);
      return Promise.reject(new DOMException("Unrecognized algorithm name", "NotSupportedError"));
    };
  }
})();
"""
# A webview whose Ed25519 imports keys but verifies nothing: only a known-answer test tells it apart.
BROKEN_ED25519 = """
(() => {
  const original = SubtleCrypto.prototype.verify;
  SubtleCrypto.prototype.verify = function (algorithm, ...rest) {
    const name = String(typeof algorithm === "string" ? algorithm : algorithm?.name).toLowerCase();
    return name === "ed25519" ? Promise.resolve(false) : original.call(this, algorithm, ...rest);
  };
})();
"""
# Plain http off localhost: not a secure context, so there is no crypto.subtle at all.
NO_SUBTLE = """
Object.defineProperty(Crypto.prototype, "subtle", { get: () => undefined, configurable: true });
delete window.SubtleCrypto;
"""


def _without_fallback(page: Page) -> None:
    page.route("**/static/portal/vendor/**", lambda route: route.abort())


@pytest.mark.parametrize("init", [NO_ED25519, BROKEN_ED25519, NO_SUBTLE], ids=["no-ed25519", "broken", "no-subtle"])
def test_a_genuine_product_verifies_through_the_fallback(
    world: World, ham: Story, ham_url: str, page: Page, init: str
) -> None:
    page.add_init_script(init)
    page.goto(f"{ham_url}/{ITEM.path}")
    fields = read_fields(page)
    assert page.get_attribute("#verdict", "data-verifier") == "noble"
    assert fields.overall == "verified"
    # the story's item page warns of a black-listed party: genuine records, but never a green "all fine"
    assert page.text_content("#verdict") == ZH("verdict_verified_warned_one")
    history = bundles.history_bundle(world.ledger, ITEM.path)
    assert fields.events == {e.event_id: "verified" for e in history.entries}
    assert fields.flagged() == []
    assert REVIEW_TEXT in {f.text for f in fields.of_state("verified")}  # SHA-256 of the attachment too
    if init == NO_SUBTLE:
        page.screenshot(path=str(SCREENSHOTS / "no-webcrypto-zh.png"), full_page=True)


def test_a_browser_with_working_webcrypto_uses_it(ham: Story, ham_url: str, page: Page) -> None:
    page.goto(f"{ham_url}/{ITEM.path}")
    assert verdicts(page).overall == "verified"
    assert page.get_attribute("#verdict", "data-verifier") == "webcrypto"


@pytest.mark.parametrize("init", [NO_ED25519, NO_SUBTLE], ids=["no-ed25519", "no-subtle"])
def test_the_fallback_still_fails_a_tampered_history(
    world: World, ham: Story, ham_url: str, page: Page, init: str
) -> None:
    history = bundles.history_bundle(world.ledger, HAM.path)
    listing = next(e.event_id for e in history.entries if e.kind == "listing")

    def tamper(bundle: dict[str, Any]) -> None:
        entry_of(bundle, listing).update(entry=flip_byte(entry_of(bundle, listing)["entry"], 40))

    page.add_init_script(init)
    alter_bundle(page, tamper)
    page.goto(f"{ham_url}/{HAM.path}")
    result = verdicts(page)
    assert page.get_attribute("#verdict", "data-verifier") == "noble"
    assert result.events.pop(listing) == "failed"
    assert set(result.events.values()) == {"verified"}
    assert result.overall == "failed"


def test_the_fallback_refuses_a_checkpoint_whose_signature_does_not_hold(ham: Story, ham_url: str, page: Page) -> None:
    page.add_init_script(NO_ED25519)
    alter_bundle(page, lambda b: b.update(checkpoint=_root_replaced(b["checkpoint"])))
    page.goto(f"{ham_url}/{HAM.path}?lang=en")
    result = verdicts(page)
    assert page.get_attribute("#verdict", "data-verifier") == "noble"
    assert result.checkpoint == "failed"
    assert page.get_attribute("#checkpoint-verdict", "data-reason") == "the checkpoint signature is invalid"
    assert result.overall == "failed"


@pytest.mark.parametrize("init", [NO_ED25519, NO_SUBTLE], ids=["no-ed25519", "no-subtle"])
def test_without_any_ed25519_the_page_says_it_cannot_verify(ham: Story, ham_url: str, page: Page, init: str) -> None:
    page.add_init_script(init)
    _without_fallback(page)
    page.goto(f"{ham_url}/{ITEM.path}")
    page.wait_for_selector("#verdict:not([data-state='pending'])")
    assert page.get_attribute("#verdict", "data-state") == "unsupported"
    assert page.text_content("#verdict") == ZH("verdict_unsupported")
    states = page.eval_on_selector_all("[data-state]", "(els) => els.map((el) => el.dataset.state)")
    assert "failed" not in states
    assert set(page.eval_on_selector_all(".event-verdict", "(els) => els.map((el) => el.dataset.state)")) == {
        "unsupported"
    }
    assert page.locator("[data-v-state=mismatch], [data-v-state=failed]").count() == 0
    assert ZH("verdict_failed") not in (page.text_content("main") or "")
    if init == NO_SUBTLE:
        page.screenshot(path=str(SCREENSHOTS / "cannot-verify-zh.png"), full_page=True)


# --- the vendored Ed25519 against RFC 8032 ---------------------------------------------------------------------------

# RFC 8032 §7.1, the Ed25519 test vectors TEST 1, 2, 3 and SHA(abc) (secret key, public key, message, signature).
RFC_8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf", hashlib.sha512(b"abc").hexdigest(),
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"),
]  # fmt: skip


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _vectors() -> list[dict[str, str]]:
    """The RFC's vectors (checked against OpenSSL first) and 40 more signed by OpenSSL over random messages."""
    vectors = []
    for secret, public, message, signature in RFC_8032:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
        assert _raw_public(key).hex() == public
        assert key.sign(bytes.fromhex(message)).hex() == signature
        vectors.append({"secret": secret, "public": public, "message": message, "signature": signature})
    rng = random.Random(8032)
    for n in range(40):
        key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        signed = rng.randbytes(n * 7)
        public, signature = _raw_public(key).hex(), key.sign(signed).hex()
        vectors.append({"secret": "", "public": public, "message": signed.hex(), "signature": signature})
    return vectors


RUN_VECTORS = """async ([crypto, vectors]) => {
    const c = await import(crypto);
    const bytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
    const backend = await c.cryptoBackend();
    const out = [];
    for (const v of vectors) {
        const key = await c.importEd25519(bytes(v.public));
        const signature = bytes(v.signature);
        const message = bytes(v.message);
        const flipped = signature.slice();
        flipped[v.message.length % 64] ^= 0x10;
        const altered = message.length ? message.map((b, i) => (i === 0 ? b ^ 1 : b)) : Uint8Array.of(0);
        out.push([
            await c.verifyEd25519(key, message, signature),
            await c.verifyEd25519(key, message, flipped),
            await c.verifyEd25519(key, altered, signature),
        ]);
    }
    return { name: backend?.name ?? null, out };
}"""


@pytest.mark.parametrize("init", [NO_ED25519, NO_SUBTLE], ids=["no-ed25519", "no-subtle"])
def test_the_fallback_against_the_rfc_8032_vectors(ham_url: str, page: Page, init: str) -> None:
    vectors = _vectors()
    page.add_init_script(init)
    page.goto(f"{ham_url}{CRYPTO}")
    result: dict[str, Any] = page.evaluate(RUN_VECTORS, [CRYPTO, vectors])
    assert result["name"] == "noble"
    assert result["out"] == [[True, False, False]] * len(vectors)


def test_the_vendored_library_signs_the_rfc_8032_vectors_itself(ham_url: str, page: Page) -> None:
    """The vendored modules as they are, no WebCrypto involved: public keys and signatures from the secret keys."""
    page.goto(f"{ham_url}{CRYPTO}")
    result: list[list[str]] = page.evaluate(
        """async ([edPath, shaPath, vectors]) => {
            const ed = await import(edPath);
            const { sha512 } = await import(shaPath);
            ed.hashes.sha512 = sha512;
            const bytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
            return vectors.map((v) => [
                ed.etc.bytesToHex(ed.getPublicKey(bytes(v.secret))),
                ed.etc.bytesToHex(ed.sign(bytes(v.message), bytes(v.secret))),
            ]);
        }""",
        [NOBLE_ED25519, NOBLE_SHA2, [v for v in _vectors() if v["secret"]]],
    )
    assert result == [[public, signature] for _, public, _, signature in RFC_8032]
