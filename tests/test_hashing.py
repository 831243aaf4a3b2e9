from __future__ import annotations

from watcher.hashing import HASH_VERSION, content_hash


def test_hash_ignores_key_order_and_carries_its_version() -> None:
    a = {"b": 1, "a": {"y": [1, 2], "x": None}}
    b = {"a": {"x": None, "y": [1, 2]}, "b": 1}
    assert content_hash(a) == content_hash(b)
    assert content_hash(a).startswith(f"{HASH_VERSION}:")


def test_hash_sees_every_value_and_list_order() -> None:
    base = {"a": [1, 2], "b": "x"}
    assert content_hash(base) != content_hash({"a": [2, 1], "b": "x"})
    assert content_hash(base) != content_hash({"a": [1, 2], "b": "x "})
    assert content_hash(base) != content_hash({"a": [1, 2], "b": "x", "c": None})


def test_hash_is_stable_across_runs() -> None:
    """A stored hash must match tomorrow's: pin one value."""
    assert content_hash({"trial_id": "NCT01234567", "n": 1}) == (
        "1:" + __import__("hashlib").sha256(b'{"n":1,"trial_id":"NCT01234567"}').hexdigest()
    )
