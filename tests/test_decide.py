"""The rules of a check (watcher.core.decide), without a database or a register: what to store
and what to report, given the latest version and today's reading."""

from __future__ import annotations

from typing import Any

import pytest

from watcher.core.decide import (
    Decision,
    decide,
    moved,
    needs_rehash,
    needs_reread,
    same_payload,
)
from watcher.core.fields import DiffRules
from watcher.core.hashing import content_hash, payload_fingerprint
from watcher.core.model import Latest, Record
from watcher.errors import FormatChanged

RULES = DiffRules()
TID = "NCT04267848"


def _record(**values: Any) -> Record:
    record: Record = {
        "trial_id": TID,
        "public_title": "Accio",
        "scientific_title": "A trial of accio",
        "recruitment_status": "RECRUITING",
        "target_sample_size": 1210,
        "primary_sponsor": "Hogwarts",
        "conditions": ["Lost objects"],
        "countries": ["United Kingdom"],
        "secondary_ids": [],
    }
    record.update(values)
    return record


def _latest(record: Record, *, version: int = 3, source: str | None = "ctgov") -> Latest:
    return Latest(version, content_hash(record), "fingerprint", "ctgov:1", source)


def _never() -> Record:
    raise AssertionError("the stored record was read though nothing needed it")


def test_the_very_bytes_of_the_last_check_are_not_read_again() -> None:
    fingerprint = payload_fingerprint("ctgov:1", b"{}")
    latest = Latest(1, "2:abc", fingerprint, "ctgov:1", "ctgov")
    assert same_payload(latest, fingerprint)
    assert not same_payload(latest, payload_fingerprint("ctgov:2", b"{}"))  # another parser
    assert not same_payload(None, fingerprint)


def test_history_read_by_another_parser_or_hash_function_is_brought_up_to_date_first() -> None:
    latest = Latest(1, "2:abc", None, "ictrp:1", "ictrp")
    assert needs_reread(latest, "ictrp:2") and not needs_reread(latest, "ictrp:1")
    assert not needs_reread(None, "ictrp:2")
    assert needs_rehash(latest._replace(content_hash="1:abc"))
    assert not needs_rehash(latest) and not needs_rehash(None)


def test_a_first_reading_is_a_baseline_and_reads_nothing_stored() -> None:
    record = _record()
    decision = decide(TID, None, _never, record, content_hash(record), "ctgov", RULES)
    assert decision == Decision("baseline")
    assert decision.stores and decision.outcome == "baseline"


def test_the_same_content_is_unchanged_whatever_its_order_or_spacing() -> None:
    stored = _record(countries=["United Kingdom", "France"], public_title="Accio for all")
    today = _record(countries=["France", "United Kingdom"], public_title="Accio  for\nall")
    decision = decide(TID, _latest(stored), _never, today, content_hash(today), "ctgov", RULES)
    assert decision == Decision("unchanged", 3)
    assert not decision.stores and decision.outcome == "unchanged"


def test_a_change_is_stored_with_its_field_changes_and_new_registrations() -> None:
    stored = _record()
    today = _record(
        recruitment_status="ACTIVE_NOT_RECRUITING", secondary_ids=["EUCTR2020-000001-11"]
    )
    decision = decide(
        TID, _latest(stored), lambda: stored, today, content_hash(today), "ctgov", RULES
    )
    assert decision.action == "changed" and decision.outcome == "changed"
    fields = {c.field: c.significance for c in decision.changes}
    assert fields["recruitment_status"] == "major"
    assert decision.new_links == ("EUCTR2020-000001-11",)


def test_a_watch_moved_to_another_adapter_starts_again_without_changes() -> None:
    stored = _record()
    today = _record(public_title="Accio, as CTIS reads it")
    latest = _latest(stored, source="ictrp")
    assert moved(latest, "ctis") and not moved(latest, "ictrp")
    assert not moved(_latest(stored, source=None), "ctis")  # before sources were recorded
    decision = decide(TID, latest, _never, today, content_hash(today), "ctis", RULES)
    assert decision == Decision("restart")
    assert decision.stores and decision.outcome == "baseline" and not decision.changes


def test_a_record_that_lost_most_of_its_fields_is_refused_not_stored() -> None:
    stored = _record()
    today: Record = {"trial_id": TID, "public_title": "Accio"}
    with pytest.raises(FormatChanged) as raised:
        decide(TID, _latest(stored), lambda: stored, today, content_hash(today), "ctgov", RULES)
    assert raised.value.trial_id == TID and "recruitment_status" in raised.value.lost


def test_a_withdrawn_record_that_lost_its_fields_is_a_change() -> None:
    stored = _record()
    today: Record = {"trial_id": TID, "public_title": "Accio", "status": "withdrawn"}
    decision = decide(
        TID, _latest(stored), lambda: stored, today, content_hash(today), "ctgov", RULES
    )
    assert decision.action == "changed"
