from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from signer.errors import KeyFileError, SignatureError
from signer.keys import SigningKey, kid_of, passphrase_from_env_or_prompt, verify_signature


def test_kid_is_first_16_bytes_of_sha256_of_the_public_key() -> None:
    key = SigningKey.from_seed(bytes(range(32)))
    assert key.kid == hashlib.sha256(key.public_key).digest()[:16].hex()
    assert len(key.kid) == 32


def test_kid_rejects_wrong_length() -> None:
    with pytest.raises(SignatureError):
        kid_of(b"\x00" * 31)


def test_sign_and_verify() -> None:
    key = SigningKey.generate()
    sig = key.sign(b"message")
    assert verify_signature(key.public_key, b"message", sig)
    assert not verify_signature(key.public_key, b"messagE", sig)
    assert not verify_signature(SigningKey.generate().public_key, b"message", sig)
    assert not verify_signature(key.public_key, b"message", sig[:-1])


def test_encrypted_pem_round_trip_and_file_mode(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "k.pem"
    key.save(path, "correct horse")
    text = path.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.load(path, "correct horse").public_key == key.public_key


def test_wrong_passphrase_is_a_clear_error_without_secrets(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    SigningKey.generate().save(path, "right")
    with pytest.raises(KeyFileError) as info:
        SigningKey.load(path, "wrong")
    assert "wrong" not in str(info.value).replace("wrong passphrase", "")
    assert "right" not in str(info.value)


def test_refuses_to_overwrite_or_store_unencrypted(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    SigningKey.generate().save(path, "pw")
    with pytest.raises(KeyFileError):
        SigningKey.generate().save(path, "pw")
    with pytest.raises(KeyFileError):
        SigningKey.generate().save(tmp_path / "other.pem", "")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        SigningKey.load(tmp_path / "absent.pem", "pw")


def test_passphrase_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACELEDGER_KEY_PASSPHRASE", "from-env")
    assert passphrase_from_env_or_prompt() == "from-env"
