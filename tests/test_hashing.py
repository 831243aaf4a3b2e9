from __future__ import annotations

from watcher.core.hashing import HASH_VERSION, content_hash, is_current


def test_hash_ignores_key_order_and_carries_its_version() -> None:
    a = {"b": 1, "a": {"y": [1, 2], "x": None}}
    b = {"a": {"x": None, "y": [1, 2]}, "b": 1}
    assert content_hash(a) == content_hash(b)
    assert content_hash(a).startswith(f"{HASH_VERSION}:")


def test_hash_sees_every_value_and_the_order_of_ordered_lists() -> None:
    base = {"a": [1, 2], "b": "x"}
    assert content_hash(base) != content_hash({"a": [2, 1], "b": "x"})
    assert content_hash(base) != content_hash({"a": [1, 2], "b": "x "})
    assert content_hash(base) != content_hash({"a": [1, 2], "b": "x", "c": None})


def test_reordering_a_list_whose_order_means_nothing_keeps_the_hash() -> None:
    a = {
        "countries": ["France", "Spain"],
        "primary_outcomes": ["OS", "DFS"],
        "sites": [{"facility": "A"}, {"facility": "B"}],
    }
    b = {
        "countries": ["Spain", "France"],
        "primary_outcomes": ["DFS", "OS"],
        "sites": [{"facility": "B"}, {"facility": "A"}],
    }
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash({**b, "countries": ["Spain"]})


def test_hash_is_stable_across_runs() -> None:
    """A stored hash must match tomorrow's: pin one value."""
    assert content_hash({"trial_id": "NCT01234567", "n": 1}) == (
        "2:" + __import__("hashlib").sha256(b'{"n":1,"trial_id":"NCT01234567"}').hexdigest()
    )
    assert is_current(content_hash({})) and not is_current("1:abc")
