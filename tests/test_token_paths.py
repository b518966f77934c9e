"""Embed and click tokens made and checked without itsdangerous' layers, as it would.

The widget checks an embed token on every first sight and signs a click token
for every partner of every block it builds, so both are done directly; these
tests hold them to what the itsdangerous serializers make and accept.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from widget_server.core.errors import BadTokenError
from widget_server.core.signing import SALT_CLICK, SALT_EMBED, Signer

KEYS = ["old-key", "new-key"]


@given(
    placement=st.integers(1, 10**9),
    partner=st.integers(1, 10**9),
    bucket=st.integers(0, 10**10),
    now=st.integers(1, 2**34),
)
def test_click_tokens_read_back_and_match_the_serializer_when_it_would_not_compress(
    placement: int, partner: int, bucket: int, now: int
) -> None:
    signer = Signer(KEYS, clock=lambda: float(now))
    token = signer.click_token(placement, partner, bucket)
    claim = signer.read_click_token(token, max_age=60)
    assert (claim.placement_id, claim.partner_id, claim.bucket, claim.fresh) == (
        placement,
        partner,
        bucket,
        True,
    )
    serializer = URLSafeTimedSerializer(KEYS, salt=SALT_CLICK)
    assert serializer.loads(token, max_age=None) == [placement, partner, bucket]
    made = signer._click.dumps([placement, partner, bucket])
    if not str(made).startswith("."):  # the serializer compressed nothing
        assert token == made


def test_a_click_token_signed_with_an_older_key_or_tampered_with_is_handled_as_before() -> None:
    old = Signer(["old-key"], clock=lambda: 1_800_000_000.0)
    rotated = Signer(["old-key", "new-key"], clock=lambda: 1_800_000_000.0)
    assert rotated.read_click_token(old.click_token(1, 2, 3), 60).partner_id == 2
    token = rotated.click_token(1, 2, 3)
    payload, stamp, mac = token.split(".")
    with pytest.raises(Exception, match="not valid"):
        rotated.read_click_token(f"{payload}.{stamp}.{mac[:-2]}AA", 60)
    later = Signer(["old-key", "new-key"], clock=lambda: 1_800_000_000.0 + 120)
    assert later.read_click_token(token, 60).fresh is False


def _itsdangerous_reads(token: str) -> object:
    try:
        return URLSafeSerializer(KEYS, salt=SALT_EMBED).loads(token)
    except BadSignature:
        return None


@given(placement=st.integers(1, 10**12), key=st.sampled_from([["old-key"], KEYS]))
def test_embed_tokens_of_every_key_read_back(placement: int, key: list[str]) -> None:
    token = Signer(key).embed_token(placement)
    assert Signer(KEYS).read_embed_token(token) == placement
    assert _itsdangerous_reads(token) == placement


@given(
    token=st.text(max_size=40)
    | st.builds(
        lambda p, cut, junk: Signer(KEYS).embed_token(p)[:cut] + junk,
        st.integers(1, 10**6),
        st.integers(0, 40),
        st.text(max_size=4),
    )
)
def test_embed_tokens_are_accepted_exactly_when_itsdangerous_accepts_them(token: str) -> None:
    expected = _itsdangerous_reads(token)
    signer = Signer(KEYS)
    try:
        got: object = signer.read_embed_token(token)
    except BadTokenError:
        got = None
    if isinstance(expected, int) and not isinstance(expected, bool) and expected >= 1:
        assert got == expected
    else:
        assert got is None


def test_a_signed_embed_payload_that_is_not_an_id_is_refused() -> None:
    signed_list = URLSafeSerializer(KEYS, salt=SALT_EMBED).dumps([1, 2])
    with pytest.raises(BadTokenError):
        Signer(KEYS).read_embed_token(str(signed_list))
