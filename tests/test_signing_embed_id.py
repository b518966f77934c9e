"""core/signing.py: an embed token's id read without a JSON parser is the parser's."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from itsdangerous import BadData, base64_decode

from widget_server.core.errors import BadTokenError
from widget_server.core.signing import Signer, _embed_id


def decoded(raw: bytes) -> object:
    """What the payload decodes to the long way, or the exception's class."""
    try:
        return json.loads(base64_decode(raw))
    except (ValueError, BadData) as exc:
        return type(exc)


def encoded(text: bytes) -> bytes:
    return base64.urlsafe_b64encode(text).rstrip(b"=")


numbers = st.integers(-(10**30), 10**30).map(lambda n: str(n).encode())
texts = (
    numbers
    | st.sampled_from([b"0", b"007", b" 12", b"12 ", b"1e3", b"1.0", b"true", b"\xd9\xa1", b""])
    | st.binary(max_size=24)
)


@given(texts.map(encoded) | st.binary(max_size=24) | st.text(max_size=12).map(str.encode))
@example(b"MTIz")
@example(b"MTIz=")
@example(b"M-Iz")
@example(b"MT Iz")
def test_an_embed_id_is_what_json_makes_of_the_payload(raw: bytes) -> None:
    found = _embed_id(raw)
    if found is not None:
        assert found == decoded(raw)
        assert type(found) is int and found > 0


@given(st.integers(1, 2**62))
def test_a_tokens_id_is_read_back_by_both_ways(placement_id: int) -> None:
    signer = Signer(["embed-id-test-key"])
    token = signer.embed_token(placement_id)
    raw = token.rpartition(".")[0].encode()
    if not raw.startswith(b"."):  # a compressed payload is itsdangerous' to read
        assert _embed_id(raw) == placement_id == decoded(raw)
    assert Signer(["embed-id-test-key"]).read_embed_token(token) == placement_id


@pytest.mark.parametrize("payload", [b"0", b"-3", b"007", b"1.5", b"true", b'"12"'])
def test_a_signed_payload_that_is_no_id_is_refused_as_before(payload: bytes) -> None:
    signer = Signer(["embed-id-test-key"])
    signed = signer._embed.make_signer().sign(encoded(payload)).decode()
    assert _embed_id(encoded(payload)) is None
    with pytest.raises((BadTokenError, BadData)):  # not JSON: BadPayload, as it always was
        signer.read_embed_token(signed)
