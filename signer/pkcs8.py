"""Encrypted PKCS#8 (RFC 5958) with PBES2, scrypt (RFC 7914 §7) and AES-256-CBC, as ``openssl pkcs8 -scrypt`` writes.

``cryptography`` reads such files but writes encrypted PKCS#8 only with PBKDF2 at 2,048 rounds, cheap to guess;
so the few DER structures of the envelope are written here, and reading stays with ``cryptography`` (OpenSSL's
parser), which also reads the older PBKDF2 files. scrypt costs N=2^14, r=8, p=1: 16 MiB, OpenSSL's own default
for scrypt keys and under its 32 MiB limit, so ``openssl pkey`` opens these files too.
"""

from __future__ import annotations

import base64
import os
import textwrap

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
# DER of the object identifiers: PBES2 (1.2.840.113549.1.5.13), scrypt (1.3.6.1.4.1.11591.4.11), aes256-CBC
# (2.16.840.1.101.3.4.1.42).
_PBES2 = bytes.fromhex("06092a864886f70d01050d")
_SCRYPT = bytes.fromhex("06092b06010401da47040b")
_AES256_CBC = bytes.fromhex("060960864801650304012a")


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    count = (size.bit_length() + 7) // 8
    return bytes([tag, 0x80 | count]) + size.to_bytes(count, "big") + content


def _integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))  # non-negative: a leading 0 bit


def _sequence(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _octets(value: bytes) -> bytes:
    return _der(0x04, value)


def encrypt_pkcs8(private_key_info: bytes, passphrase: bytes) -> bytes:
    """The PEM ``ENCRYPTED PRIVATE KEY`` of a DER PrivateKeyInfo, under a key scrypt derives from ``passphrase``."""
    salt, iv = os.urandom(16), os.urandom(16)
    key = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(private_key_info) + padder.finalize()
    encryptor = Cipher(algorithms.AES256(key), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(plain) + encryptor.finalize()
    scrypt = _sequence(_SCRYPT, _sequence(_octets(salt), _integer(SCRYPT_N), _integer(SCRYPT_R), _integer(SCRYPT_P)))
    algorithm = _sequence(_PBES2, _sequence(scrypt, _sequence(_AES256_CBC, _octets(iv))))
    body = base64.b64encode(_sequence(algorithm, _octets(sealed))).decode("ascii")
    lines = "\n".join(textwrap.wrap(body, 64))
    return f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{lines}\n-----END ENCRYPTED PRIVATE KEY-----\n".encode("ascii")
