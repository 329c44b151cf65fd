from __future__ import annotations

import pytest

from signer.encoding import b64, b64decode_strict
from signer.errors import NoteError, SignatureError


def test_round_trip() -> None:
    assert b64decode_strict(b64(b"\x00\xfftraceledger"), "x") == b"\x00\xfftraceledger"


@pytest.mark.parametrize("text", ["AAE", "AAE=\n", "-_8=", "AAF=", "茶", 5])
def test_only_the_canonical_standard_form_is_accepted(text: object) -> None:
    with pytest.raises(SignatureError):
        b64decode_strict(text, "value")  # type: ignore[arg-type]
    with pytest.raises(NoteError):
        b64decode_strict(text, "value", NoteError)  # type: ignore[arg-type]
