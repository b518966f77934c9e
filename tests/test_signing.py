"""Signed tokens: round trips, tampering, foreign keys and purposes, rotation, expiry."""

from __future__ import annotations

from typing import Any

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from tests.conftest import SECRET, Clock
from widget_server.core import signing
from widget_server.core.errors import BadTokenError
from widget_server.core.signing import ClickClaim, Signer

OLD = "old-key-aaaaaaaaaaaaaaaaaaaaaaaa"
NEW = "new-key-bbbbbbbbbbbbbbbbbbbbbbbb"
MAX_AGE = 3600
TIMED_SALTS = (signing.SALT_PORTAL, signing.SALT_SESSION)


def flip(token: str, index: int) -> str:
    """``token`` with the character at ``index`` replaced by another URL-safe one."""
    old = token[index]
    new = "B" if old == "A" else "A"
    return token[:index] + new + token[index + 1 :]


def payload_start(token: str) -> int:
    return 0


def signature_start(token: str) -> int:
    # The signature is the last dot-separated part; its first character carries
    # six full bits (the last one may only carry padding bits).
    return token.rindex(".") + 1


# -- embed tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize("placement_id", [1, 2, 42, 2**31, 10**15])
def test_embed_token_round_trips(signer: Signer, placement_id: int) -> None:
    assert signer.read_embed_token(signer.embed_token(placement_id)) == placement_id


def test_embed_token_is_stable_for_the_same_placement(signer: Signer) -> None:
    # Members paste it once: the same placement must always give the same code.
    assert signer.embed_token(7) == signer.embed_token(7)
    assert signer.embed_token(7) != signer.embed_token(8)


@pytest.mark.parametrize("where", [payload_start, signature_start], ids=["payload", "signature"])
def test_tampered_embed_token_is_rejected(signer: Signer, where: Any) -> None:
    token = signer.embed_token(12345)
    with pytest.raises(BadTokenError):
        signer.read_embed_token(flip(token, where(token)))


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.def", "a.b.c", "NQ"])
def test_garbage_is_not_an_embed_token(signer: Signer, token: str) -> None:
    with pytest.raises(BadTokenError):
        signer.read_embed_token(token)


def test_embed_token_signed_with_another_key_is_rejected(signer: Signer) -> None:
    foreign = Signer(["some-other-key-entirely"]).embed_token(5)
    with pytest.raises(BadTokenError):
        signer.read_embed_token(foreign)


def test_raw_serializer_with_the_same_key_and_salt_is_accepted(signer: Signer) -> None:
    # The control for the next test: a raw serializer makes tokens the signer reads,
    # so a rejection there is due to the value alone.
    raw = URLSafeSerializer(SECRET, salt=signing.SALT_EMBED)
    assert signer.read_embed_token(str(raw.dumps(9))) == 9


@pytest.mark.parametrize(
    "value", ["abc", "5", 0, -1, True, False, 1.5, None, [1], {"id": 1}], ids=repr
)
def test_embed_token_whose_value_is_not_a_positive_int_is_rejected(
    signer: Signer, value: Any
) -> None:
    raw = URLSafeSerializer(SECRET, salt=signing.SALT_EMBED)
    with pytest.raises(BadTokenError):
        signer.read_embed_token(str(raw.dumps(value)))


# -- click tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("placement_id", "partner_id", "bucket"), [(1, 2, 3), (10, 20, 6_000_000), (5, 5, 0)]
)
def test_click_token_round_trips_as_a_fresh_claim(
    signer: Signer, placement_id: int, partner_id: int, bucket: int
) -> None:
    claim = signer.read_click_token(signer.click_token(placement_id, partner_id, bucket), MAX_AGE)
    assert claim == ClickClaim(placement_id, partner_id, bucket, fresh=True)


@pytest.mark.parametrize(
    ("placement_id", "partner_id", "bucket"), [(1, 2, 3), (10, 20, 6_000_000), (2**40, 7, 0)]
)
def test_click_token_is_what_itsdangerous_makes_as_text_and_as_bytes(
    signer: Signer, clock: Clock, placement_id: int, partner_id: int, bucket: int
) -> None:
    """The token assembled directly is itsdangerous' own token, byte for byte, at the
    same second (a joint slot's too); the bytes made for a block's body are the same
    characters."""

    raw = URLSafeTimedSerializer(SECRET, salt=signing.SALT_CLICK)
    for step in (0, 0.5, 1, 86_400):
        clock.advance(step)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("itsdangerous.timed.time.time", lambda: clock.now)
            expected = str(raw.dumps([placement_id, partner_id, bucket]))
            slot = str(raw.dumps([placement_id, 0, bucket, 2, partner_id]))
        assert signer.click_token(placement_id, partner_id, bucket) == expected
        assert signer.click_token_bytes(placement_id, partner_id, bucket) == expected.encode()
        assert signer.slot_click_token(placement_id, bucket, 2, partner_id) == slot


@pytest.mark.parametrize("where", [payload_start, signature_start], ids=["payload", "signature"])
def test_tampered_click_token_is_rejected(signer: Signer, where: Any) -> None:
    token = signer.click_token(1, 2, 3)
    with pytest.raises(BadTokenError):
        signer.read_click_token(flip(token, where(token)), MAX_AGE)


def test_click_token_signed_with_another_key_is_rejected(signer: Signer, clock: Clock) -> None:
    foreign = Signer(["some-other-key-entirely"], clock=clock).click_token(1, 2, 3)
    with pytest.raises(BadTokenError):
        signer.read_click_token(foreign, MAX_AGE)


def test_raw_timed_serializer_with_the_click_salt_is_accepted(signer: Signer) -> None:
    # The control for the next test: only the shape of the value makes the difference.
    raw = URLSafeTimedSerializer(SECRET, salt=signing.SALT_CLICK)
    claim = signer.read_click_token(str(raw.dumps([1, 2, 3])), 10**10)
    assert (claim.placement_id, claim.partner_id, claim.bucket) == (1, 2, 3)


@pytest.mark.parametrize(
    "value", [[1, 2], [1, 2, 3, 4], [1, True, 3], [1, "2", 3], [1, 2.0, 3], "1,2,3", 7, None]
)
def test_click_token_with_a_malformed_claim_is_rejected(signer: Signer, value: Any) -> None:
    raw = URLSafeTimedSerializer(SECRET, salt=signing.SALT_CLICK)
    token = str(raw.dumps(value))
    with pytest.raises(BadTokenError):
        signer.read_click_token(token, 10**10)


def test_click_token_is_fresh_up_to_and_including_max_age(signer: Signer, clock: Clock) -> None:
    token = signer.click_token(4, 5, 6)
    clock.advance(MAX_AGE)
    assert signer.read_click_token(token, MAX_AGE).fresh is True


def test_click_token_older_than_max_age_still_decodes_but_is_not_fresh(
    signer: Signer, clock: Clock
) -> None:
    token = signer.click_token(4, 5, 6)
    clock.advance(MAX_AGE + 1)
    assert signer.read_click_token(token, MAX_AGE) == ClickClaim(4, 5, 6, fresh=False)
    clock.advance(365 * 86_400)
    assert signer.read_click_token(token, MAX_AGE) == ClickClaim(4, 5, 6, fresh=False)


@pytest.mark.parametrize("where", [payload_start, signature_start], ids=["payload", "signature"])
def test_tampered_and_expired_click_token_is_rejected(
    signer: Signer, clock: Clock, where: Any
) -> None:
    token = signer.click_token(4, 5, 6)
    clock.advance(MAX_AGE * 10)
    with pytest.raises(BadTokenError):
        signer.read_click_token(flip(token, where(token)), MAX_AGE)


def test_expired_click_token_signed_with_another_key_is_rejected(
    signer: Signer, clock: Clock
) -> None:
    foreign = Signer(["some-other-key-entirely"], clock=clock).click_token(1, 2, 3)
    clock.advance(MAX_AGE * 10)
    with pytest.raises(BadTokenError):
        signer.read_click_token(foreign, MAX_AGE)


# -- purposes (salts) -------------------------------------------------------------------------


def test_embed_token_is_not_a_click_token(signer: Signer) -> None:
    with pytest.raises(BadTokenError):
        signer.read_click_token(signer.embed_token(3), MAX_AGE)


def test_click_token_is_not_an_embed_token(signer: Signer) -> None:
    with pytest.raises(BadTokenError):
        signer.read_embed_token(signer.click_token(3, 4, 5))


@pytest.mark.parametrize("salt", TIMED_SALTS)
def test_timed_token_is_neither_an_embed_nor_a_click_token(signer: Signer, salt: str) -> None:
    token = signer.dumps(salt, [3, 4, 5])
    with pytest.raises(BadTokenError):
        signer.read_click_token(token, MAX_AGE)
    with pytest.raises(BadTokenError):
        signer.read_embed_token(signer.dumps(salt, 3))


@pytest.mark.parametrize("salt", TIMED_SALTS)
def test_embed_and_click_tokens_are_not_timed_tokens(signer: Signer, salt: str) -> None:
    with pytest.raises(BadTokenError):
        signer.loads(salt, signer.embed_token(3), MAX_AGE)
    with pytest.raises(BadTokenError):
        signer.loads(salt, signer.click_token(3, 4, 5), MAX_AGE)


@pytest.mark.parametrize("made_for", TIMED_SALTS)
@pytest.mark.parametrize("read_as", TIMED_SALTS)
def test_timed_token_is_only_accepted_for_its_own_purpose(
    signer: Signer, made_for: str, read_as: str
) -> None:
    token = signer.dumps(made_for, {"member": 7})
    if made_for == read_as:
        assert signer.loads(read_as, token, MAX_AGE) == {"member": 7}
    else:
        with pytest.raises(BadTokenError):
            signer.loads(read_as, token, MAX_AGE)


# -- key rotation ---------------------------------------------------------------------------


def test_tokens_signed_with_the_old_key_verify_after_a_new_key_is_added(clock: Clock) -> None:
    before = Signer([OLD], clock=clock)
    after = Signer([OLD, NEW], clock=clock)
    assert after.read_embed_token(before.embed_token(11)) == 11
    assert after.read_click_token(before.click_token(1, 2, 3), MAX_AGE) == ClickClaim(1, 2, 3, True)
    assert after.loads(signing.SALT_PORTAL, before.dumps(signing.SALT_PORTAL, "x"), MAX_AGE) == "x"


def test_tokens_made_after_rotation_are_signed_with_the_newest_key(clock: Clock) -> None:
    rotated = Signer([OLD, NEW], clock=clock)
    old_only = Signer([OLD], clock=clock)
    new_only = Signer([NEW], clock=clock)

    embed = rotated.embed_token(11)
    assert new_only.read_embed_token(embed) == 11
    with pytest.raises(BadTokenError):
        old_only.read_embed_token(embed)

    click = rotated.click_token(1, 2, 3)
    assert new_only.read_click_token(click, MAX_AGE) == ClickClaim(1, 2, 3, True)
    with pytest.raises(BadTokenError):
        old_only.read_click_token(click, MAX_AGE)

    timed = rotated.dumps(signing.SALT_PORTAL, "x")
    assert new_only.loads(signing.SALT_PORTAL, timed, MAX_AGE) == "x"
    with pytest.raises(BadTokenError):
        old_only.loads(signing.SALT_PORTAL, timed, MAX_AGE)


def test_tokens_of_a_dropped_key_no_longer_verify(clock: Clock) -> None:
    token = Signer([OLD], clock=clock).embed_token(11)
    with pytest.raises(BadTokenError):
        Signer([NEW], clock=clock).read_embed_token(token)


# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [[], [""], [OLD, ""], ["", NEW]], ids=repr)
def test_signer_needs_non_empty_keys(keys: list[str]) -> None:
    with pytest.raises(ValueError, match="key"):
        Signer(keys)


# -- timed dumps/loads ----------------------------------------------------------------------


@pytest.mark.parametrize("salt", TIMED_SALTS)
@pytest.mark.parametrize("value", [1, "x", [1, 2], {"a": [1, "b"]}, None], ids=repr)
def test_timed_token_round_trips(signer: Signer, salt: str, value: Any) -> None:
    assert signer.loads(salt, signer.dumps(salt, value), MAX_AGE) == value


@pytest.mark.parametrize("salt", TIMED_SALTS)
def test_timed_token_is_valid_until_max_age_and_rejected_after(
    signer: Signer, clock: Clock, salt: str
) -> None:
    token = signer.dumps(salt, "v")
    clock.advance(MAX_AGE)
    assert signer.loads(salt, token, MAX_AGE) == "v"
    clock.advance(1)
    with pytest.raises(BadTokenError, match="expired"):
        signer.loads(salt, token, MAX_AGE)


@pytest.mark.parametrize("where", [payload_start, signature_start], ids=["payload", "signature"])
def test_tampered_timed_token_is_rejected(signer: Signer, where: Any) -> None:
    token = signer.dumps(signing.SALT_SESSION, {"user": "koordination"})
    with pytest.raises(BadTokenError):
        signer.loads(signing.SALT_SESSION, flip(token, where(token)), MAX_AGE)


# -- view tokens ----------------------------------------------------------------------------

VIEW_SLOTS = ((7, 1, True), (9, 2, False), (11, 3, True))


def view(signer: Signer, placement: int, bucket: int, slots: Any, nonce: str) -> str:
    return signer.view_token(Signer.view_prefix(placement, bucket, slots), nonce)


def test_view_token_round_trips_the_block_it_was_made_for(signer: Signer) -> None:
    token = view(signer, 12, 5_984_645, VIEW_SLOTS, "a1b2c3")
    claim = signer.read_view_token(token, MAX_AGE)
    assert (claim.placement_id, claim.bucket, claim.slots, claim.nonce) == (
        12,
        5_984_645,
        VIEW_SLOTS,
        "a1b2c3",
    )


def test_view_token_of_an_empty_block_round_trips(signer: Signer) -> None:
    assert signer.read_view_token(view(signer, 1, 2, (), "n"), MAX_AGE).slots == ()


def test_view_token_expires(signer: Signer, clock: Clock) -> None:
    token = view(signer, 12, 1, VIEW_SLOTS, "n")
    clock.advance(MAX_AGE + 1)
    with pytest.raises(BadTokenError, match="expired"):
        signer.read_view_token(token, MAX_AGE)


@pytest.mark.parametrize("where", ["placement", "slots", "signature"])
def test_tampered_view_token_is_rejected(signer: Signer, where: str) -> None:
    token = view(signer, 12, 1, VIEW_SLOTS, "n")
    tampered = {
        "placement": "13" + token[2:],
        "slots": token.replace("9-2-0", "9-1-1"),
        "signature": token[:-1] + ("A" if token[-1] != "A" else "B"),
    }[where]
    assert tampered != token
    with pytest.raises(BadTokenError):
        signer.read_view_token(tampered, MAX_AGE)


def test_other_tokens_are_not_view_tokens(signer: Signer) -> None:
    for token in (
        signer.embed_token(3),
        signer.click_token(1, 2, 3),
        signer.dumps(signing.SALT_PORTAL, 1),
    ):
        with pytest.raises(BadTokenError):
            signer.read_view_token(token, MAX_AGE)
    with pytest.raises(BadTokenError):
        signer.read_click_token(view(signer, 1, 2, VIEW_SLOTS, "n"), MAX_AGE)


def test_a_verified_embed_token_stays_valid_and_a_forged_one_stays_invalid(signer: Signer) -> None:
    token = signer.embed_token(42)
    assert signer.read_embed_token(token) == signer.read_embed_token(token) == 42
    with pytest.raises(BadTokenError):
        signer.read_embed_token(token[:-2] + "xx")


def test_view_tokens_survive_a_key_rotation(clock: Clock) -> None:
    old = Signer(["old-key"], clock=clock)
    token = view(old, 12, 1, VIEW_SLOTS, "n")
    rotated = Signer(["old-key", "new-key"], clock=clock)
    assert rotated.read_view_token(token, MAX_AGE).placement_id == 12
    with pytest.raises(BadTokenError):
        Signer(["new-key"], clock=clock).read_view_token(token, MAX_AGE)
    with pytest.raises(BadTokenError):  # new tokens are signed with the newest key
        old.read_view_token(view(rotated, 3, 1, (), "m"), MAX_AGE)


# -- the MAC behind embed and click tokens --------------------------------------------------


def _lazy_sha1(string: bytes = b"") -> Any:
    """A digest method as itsdangerous gives it: a Python function, not a hashlib name."""
    import hashlib

    return hashlib.sha1(string)


@pytest.mark.parametrize("name", ["sha1", "sha256", "sha512", "md5"])
@pytest.mark.parametrize("key_length", [0, 1, 20, 63, 64, 65, 128, 129, 200])
def test_the_padded_mac_is_the_standard_hmac(name: str, key_length: int) -> None:
    """The MAC from the two kept hash states equals ``hmac.new``'s for keys shorter
    than, as long as and longer than the hash's block (a long key is hashed first)."""
    import hashlib
    import hmac

    key = bytes((7 * i + key_length) % 256 for i in range(key_length))
    mac = signing._Mac(key, getattr(hashlib, name))
    assert mac._inner is not None  # the padded path, not the fallback
    for message in (b"", b"x", b"WzEsMiwzXQ.ZyA", bytes(range(256)) * 3):
        assert mac.of(message) == hmac.new(key, message, name).digest()


def test_a_digest_method_without_a_name_keeps_the_keyed_copy() -> None:
    """itsdangerous' lazy SHA-1 still has a name; a method whose hash has none, or
    one hashlib does not know, falls back to copying a keyed HMAC: the same MAC."""
    import hashlib
    import hmac

    class Nameless:
        def __init__(self, data: bytes = b"") -> None:
            self._h = hashlib.sha1(data)
            self.digest_size, self.block_size = self._h.digest_size, self._h.block_size

        def update(self, data: bytes) -> None:
            self._h.update(data)

        def digest(self) -> bytes:
            return self._h.digest()

        def copy(self) -> Nameless:
            made = Nameless()
            made._h = self._h.copy()
            return made

    for method in (Nameless, _lazy_sha1):
        mac = signing._Mac(b"k" * 30, method)
        assert (mac._inner is None) == (method is Nameless)
        assert mac.of(b"message") == hmac.new(b"k" * 30, b"message", "sha1").digest()
