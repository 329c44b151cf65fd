from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signer.errors import KeyFileError, SignatureError, WeakPassphrase
from signer.keys import MIN_PASSPHRASE, SigningKey, kid_of, passphrase_from_env_or_prompt, verify_signature


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
    SigningKey.generate().save(path, "right passphrase")
    with pytest.raises(KeyFileError) as info:
        SigningKey.load(path, "wrong passphrase")
    assert "wrong" not in str(info.value).replace("wrong passphrase", "")
    assert "right" not in str(info.value)
    assert "passphrase" not in str(info.value).replace("wrong passphrase", "")


def test_refuses_to_overwrite_or_store_unencrypted(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    SigningKey.generate().save(path, "pass phrase")
    with pytest.raises(KeyFileError):
        SigningKey.generate().save(path, "pass phrase")
    with pytest.raises(KeyFileError):
        SigningKey.generate().save(tmp_path / "other.pem", "")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        SigningKey.load(tmp_path / "absent.pem", "pw")


def test_passphrase_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACELEDGER_KEY_PASSPHRASE", "from-env")
    assert passphrase_from_env_or_prompt() == "from-env"


def test_new_key_files_use_scrypt_and_openssl_reads_them(tmp_path: Path) -> None:
    """PBES2 with scrypt (N=2^14, r=8, p=1), not PBKDF2 at 2,048 rounds; a standard file OpenSSL itself opens."""
    key = SigningKey.generate()
    path = tmp_path / "k.pem"
    key.save(path, "correct horse")
    der = base64.b64decode("".join(path.read_text(encoding="ascii").splitlines()[1:-1]))
    assert bytes.fromhex("06092b06010401da47040b") in der  # the scrypt OID
    assert bytes.fromhex("06092a864886f70d01050c") not in der  # no PBKDF2
    assert bytes.fromhex("020240000201080201 01".replace(" ", "")) in der  # N=16384, r=8, p=1
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    opened = subprocess.run(
        [openssl, "pkey", "-in", str(path), "-passin", "env:KEY_PASSPHRASE", "-pubout", "-outform", "DER"],
        capture_output=True,
        env={**os.environ, "KEY_PASSPHRASE": "correct horse"},
        check=True,
    )
    assert opened.stdout.endswith(key.public_key)


def test_key_files_of_the_old_format_still_open(tmp_path: Path) -> None:
    key = SigningKey.generate()
    old = key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),  # PBKDF2, 2,048 rounds; and a passphrase since refused
    )
    assert SigningKey.from_encrypted_pem(old, "pw").public_key == key.public_key


def test_a_short_passphrase_is_refused_for_new_keys(tmp_path: Path) -> None:
    with pytest.raises(WeakPassphrase, match=f"at least {MIN_PASSPHRASE} characters"):
        SigningKey.generate().save(tmp_path / "k.pem", "x" * (MIN_PASSPHRASE - 1))
    assert not (tmp_path / "k.pem").exists()
