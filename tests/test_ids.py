from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.core.ids import PATTERNS, euctr_parts, parse_trial_id
from watcher.errors import InvalidTrialId

CANONICAL = [
    ("NCT01234567", "ctgov"),
    ("EUCTR2017-001400-29-FR", "euctr"),
    ("EUCTR2011-005852-33-3RD", "euctr"),
    ("EUCTR2017-001400-29", "euctr"),
    ("CTIS2023-507385-11-00", "ctis"),
    ("ISRCTN12345678", "isrctn"),
    ("DRKS00012345", "drks"),
    ("ACTRN12612000123456", "anzctr"),
    ("ChiCTR2100050713", "chictr"),
    ("ChiCTR-TRC-12002378", "chictr"),
    ("JPRN-jRCTs031210288", "jprn"),
    ("JPRN-jRCT2031210288", "jprn"),
    ("JPRN-UMIN000012345", "jprn"),
    ("JPRN-JapicCTI-121234", "jprn"),
    ("KCT0000379", "cris"),
    ("NL-OMON55279", "nl-omon"),
    ("NL8491", "ntr"),
    ("NTR2345", "ntr"),
    ("CTRI/2020/01/022345", "ctri"),
    ("IRCT20200101045998N1", "irct"),
    ("PACTR202001123456789", "pactr"),
    ("RBR-5k8mqs", "rebec"),
]


@pytest.mark.parametrize(("text", "registry"), CANONICAL)
def test_canonical_ids_are_accepted_unchanged(text: str, registry: str) -> None:
    tid = parse_trial_id(text)
    assert (tid.value, tid.registry) == (text, registry)


@pytest.mark.parametrize(
    ("given_text", "canonical"),
    [
        ("  nct01234567\n", "NCT01234567"),
        ("euctr2017-001400-29-fr", "EUCTR2017-001400-29-FR"),
        ("EUCTR2011-005852-33-3rd", "EUCTR2011-005852-33-3RD"),
        ("2023-507385-11-00", "CTIS2023-507385-11-00"),
        ("ctis2023-507385-11-00", "CTIS2023-507385-11-00"),
        ("CHICTR2100050713", "ChiCTR2100050713"),
        ("jprn-JRCTS031210288", "JPRN-jRCTs031210288"),
        ("rbr-5K8MQS", "RBR-5k8mqs"),
        ("nl-omon55279", "NL-OMON55279"),
    ],
)
def test_input_is_trimmed_and_put_in_the_registers_case(given_text: str, canonical: str) -> None:
    assert parse_trial_id(given_text).value == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "NCT123",
        "NCT012345678",
        "EUCTR2017-1400-29",
        "ISRCTN1234567",
        "hello",
        "2023-407385-11-00",
        "NCT0123456７",
        "\u212aCT0000379",
        "NCT01234567 NCT01234568",
    ],
)
def test_anything_else_is_rejected_with_its_text(text: str) -> None:
    with pytest.raises(InvalidTrialId) as err:
        parse_trial_id(text)
    assert (text.strip() or "empty") in str(err.value) or "empty" in str(err.value)


def test_rejection_names_the_input_and_the_expected_forms() -> None:
    with pytest.raises(InvalidTrialId, match=r"'NCT123': not a trial ID .*NCT01234567"):
        parse_trial_id("NCT123")


@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_the_documented_error(text: str) -> None:
    try:
        tid = parse_trial_id(text)
    except InvalidTrialId:
        return
    assert parse_trial_id(tid.value) == tid


def _canonical_strategy() -> st.SearchStrategy[str]:
    digits = st.text("0123456789", min_size=1, max_size=1)

    def n(k: int) -> st.SearchStrategy[str]:
        return st.text("0123456789", min_size=k, max_size=k)

    return st.one_of(
        n(8).map(lambda d: f"NCT{d}"),
        st.tuples(n(4), n(6), n(2), st.sampled_from(["", "-FR", "-DE", "-3RD"])).map(
            lambda t: f"EUCTR{t[0]}-{t[1]}-{t[2]}{t[3]}"
        ),
        st.tuples(n(4), n(5), n(2), n(2)).map(lambda t: f"CTIS{t[0]}-5{t[1]}-{t[2]}-{t[3]}"),
        n(8).map(lambda d: f"ISRCTN{d}"),
        n(14).map(lambda d: f"ACTRN{d}"),
        n(9).map(lambda d: f"JPRN-jRCTs{d}"),
        st.text("0123456789abcdefghijklmnopqrstuvwxyz", min_size=6, max_size=6).map(
            lambda d: f"RBR-{d}"
        ),
        digits.map(lambda d: f"NL-OMON{d}"),
    )


@given(_canonical_strategy())
def test_canonical_ids_round_trip(text: str) -> None:
    tid = parse_trial_id(text)
    assert tid.value == text
    assert parse_trial_id(f"  {text.lower()} ").value == text


def test_every_pattern_accepts_its_own_example() -> None:
    for pattern in PATTERNS:
        assert parse_trial_id(pattern.example).registry == pattern.registry


def test_euctr_parts() -> None:
    assert euctr_parts("EUCTR2017-001400-29-FR") == ("2017-001400-29", "FR")
    assert euctr_parts("EUCTR2017-001400-29") == ("2017-001400-29", None)
