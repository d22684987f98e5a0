"""Keyed secret hashes (issue 21, item 6): the stored form is HMAC-SHA256 of a salt and the
value under a key; without the key nothing can be checked, with another key nothing matches;
legacy scrypt hashes still verify, and are named guessable so they get rewritten."""

from __future__ import annotations

import hashlib

from reconciler.core.secrets import SecretHasher, guessable

KEY = b"an applier's key of 32 or more bytes!"
SALT = bytes(range(16))


def test_a_keyed_hash_names_its_key_and_matches_only_the_value_under_that_key() -> None:
    stored = SecretHasher(KEY).hash("Password123!", SALT)
    kind, key_id, salt, mac = stored.split("$")
    assert (kind, salt, len(mac)) == ("hmac-sha256", SALT.hex(), 64)
    assert key_id == SecretHasher(KEY).key_id and KEY.hex() not in stored
    assert SecretHasher(KEY).matches("Password123!", stored) is True
    assert SecretHasher(KEY).matches("Password1234", stored) is False
    assert (
        SecretHasher(b"another key, also 32 bytes or more").matches("Password123!", stored) is False
    )
    assert SecretHasher().matches("Password123!", stored) is None  # no key: cannot tell
    assert not guessable(stored)


def test_a_legacy_scrypt_hash_still_verifies_and_is_guessable() -> None:
    raw = hashlib.scrypt(b"Password123!", salt=SALT, n=2**13, r=8, p=1, dklen=32)
    legacy = f"scrypt${SALT.hex()}${raw.hex()}"
    assert SecretHasher().matches("Password123!", legacy) is True
    assert SecretHasher(KEY).matches("nope-nope-nope", legacy) is False
    assert guessable(legacy)


def test_what_is_not_a_hash_of_ours_is_not_checked() -> None:
    for stored in ("", "md5$abc", "hmac-sha256$x$zz$00", "scrypt$nothex$00"):
        assert SecretHasher(KEY).matches("x" * 12, stored) is None
