"""The ISRCTN API's two formats, read into one shape: a row of the WHO data set's columns, as an
ICTRP export has them, so that ``ictrp_record.record_from_row`` maps both to the record.

- the WHO format (``/api/query/format/who``): ``<trials><trial><main>…`` with the WHO Trial
  Registration Data Set's own element names; several contacts, countries, outcomes, secondary
  IDs and ethics reviews as child elements;
- the default format (``/api/query/format/default``): the richer ``<allTrials><fullTrial>`` of
  the 67bricks namespace, with a ``version`` counter that grows at every edit of the record.

Either answer may be cut short (a saved prefix): what is whole is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from watcher.errors import InputError
from watcher.sources.ictrp_formats import Row

WHO = "who"
DEFAULT = "default"


def detect(data: bytes) -> str | None:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<trials") or b"<trials>" in head or b"<trials " in head:
        return WHO
    if b"<alltrials" in head and b"67bricks.com/isrctn" in head:
        return DEFAULT
    return None


def _root(data: bytes, source: str) -> Any:
    # recover: a saved answer cut short still gives the trials it holds whole.
    parser = etree.XMLParser(resolve_entities=False, huge_tree=True, recover=True)
    root = etree.fromstring(data, parser)
    if root is None:
        raise InputError(source, "not an ISRCTN API answer (no XML)")
    return root


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _child(el: Any, name: str) -> Any:
    return next(iter(_children(el, name)), None)


def _children(el: Any, name: str) -> list[Any]:
    """The child elements ``name`` of ``el`` (none when ``el`` is None)."""
    if el is None:
        return []
    return [c for c in el if isinstance(c.tag, str) and _local(c) == name]


def _text(el: Any, name: str) -> str:
    found = _child(el, name) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


def _texts(el: Any, name: str) -> list[str]:
    return [(c.text or "").strip() for c in _children(el, name) if (c.text or "").strip()]


# -- the WHO format ---------------------------------------------------------------------------

# <main> elements whose names differ from the export's columns.
_MAIN = {
    "trial_id": "trialid",
    "reg_name": "source_register",
    "date_enrolment": "date_enrollement",
    "url": "web_address",
    "hc_freetext": "condition",
    "i_freetext": "intervention",
    "results_IPD_plan": "results_ipd_plan",
    "results_IPD_description": "results_ipd_description",
}


def read_who(data: bytes, source: str) -> list[Row]:
    root = _root(data, source)
    if _local(root) != "trials":
        raise InputError(source, "not an ISRCTN WHO-format answer (no <trials>)")
    return [_who_row(trial) for trial in _children(root, "trial")]


def _who_row(trial: Any) -> Row:
    main = _child(trial, "main")
    row: Row = {}
    for el in main if main is not None else ():
        if isinstance(el.tag, str):
            name = _local(el)
            row[_MAIN.get(name, name.lower())] = (el.text or "").strip()
    row["contacts"] = [
        {
            "name": " ".join(
                p
                for p in (_text(c, "firstname"), _text(c, "middlename"), _text(c, "lastname"))
                if p
            ),
            "affiliation": _text(c, "affiliation"),
            "email": _text(c, "email"),
            "phone": _text(c, "telephone"),
            "address": ", ".join(
                p
                for p in (
                    " ".join(_text(c, "address").split()),
                    _text(c, "city"),
                    _text(c, "zip"),
                    _text(c, "country1"),
                )
                if p
            ),
            "role": _text(c, "type") or None,
        }
        for c in _children(_child(trial, "contacts"), "contact")
    ]
    # A nation and its parts are both listed (United Kingdom, England): kept as they are.
    row["countries"] = _texts(_child(trial, "countries"), "country2")
    criteria = _child(trial, "criteria")
    for name, column in (
        ("inclusion_criteria", "inclusion_criteria"),
        ("exclusion_criteria", "exclusion_criteria"),
        ("agemin", "inclusion_agemin"),
        ("agemax", "inclusion_agemax"),
        ("gender", "inclusion_gender"),
    ):
        row[column] = _text(criteria, name)
    row["primary_outcome"] = _texts(_child(trial, "primary_outcome"), "prim_outcome")
    row["secondary_outcome"] = _texts(_child(trial, "secondary_outcome"), "sec_outcome")
    row["secondary_sponsor"] = _texts(_child(trial, "secondary_sponsor"), "sponsor_name")
    row["source_support"] = _texts(_child(trial, "source_support"), "source_name")
    row["secondary_id"] = [
        _text(s, "sec_id")
        for s in _children(_child(trial, "secondary_ids"), "secondary_id")
        if _text(s, "sec_id")
    ]
    row["ethics_reviews"] = [
        {
            "committee": _text(e, "contact_name") or None,
            "status": _text(e, "status") or None,
            "approval_date": _text(e, "approval_date") or None,
        }
        for e in _children(_child(trial, "ethics_reviews"), "ethics_review")
    ]
    return row


# -- the default format ---------------------------------------------------------------------


def read_default(data: bytes, source: str) -> list[Row]:
    root = _root(data, source)
    if _local(root) != "allTrials":
        raise InputError(source, "not an ISRCTN default-format answer (no <allTrials>)")
    return [_default_row(full) for full in _children(root, "fullTrial")]


def _all(el: Any, path: str) -> Iterator[Any]:
    """The elements at a slash-separated path of local names below ``el``."""
    found = [el]
    for step in path.split("/"):
        found = [c for parent in found if parent is not None for c in _children(parent, step)]
    yield from found


def _at(el: Any, path: str) -> str:
    return next(((e.text or "").strip() for e in _all(el, path)), "")


def _date(iso: str) -> str:
    return iso[:10] if iso else ""


def _outcomes(description: Any, group: str) -> list[str]:
    """Each outcome measure as one item: what, how, and when, one line each."""
    out = []
    for m in _all(description, f"{group}/outcomeMeasure"):
        lines = [_text(m, "variable")]
        if method := _text(m, "method"):
            lines.append(f"Method: {method}")
        if timepoints := _text(m, "timepoints"):
            lines.append(f"Timepoints: {timepoints}")
        out.append("\n".join(line for line in lines if line))
    return out


def _values(el: Any, path: str) -> list[str]:
    return [(e.text or "").strip() for e in _all(el, path) if (e.text or "").strip()]


def _default_row(full: Any) -> Row:
    trial = _child(full, "trial")
    description = _child(trial, "trialDescription")
    participants = _child(trial, "participants")
    number = _child(trial, "isrctn")
    parties = _child(trial, "parties")
    row: Row = {
        "trialid": trial.get("publicIdentifierCanonical") or "ISRCTN" + _at(trial, "isrctn"),
        "source_register": "ISRCTN",
        "date_registration": _date(number.get("dateAssigned") or "") if number is not None else "",
        "public_title": _text(description, "title"),
        "scientific_title": _text(description, "scientificTitle"),
        "acronym": _text(description, "acronym"),
        "study_type": _at(trial, "trialDesign/primaryStudyDesign"),
        "study_design": _at(trial, "trialDesign/secondaryStudyDesign"),
        "phase": "; ".join(_values(trial, "interventions/intervention/phase")),
        "target_size": _text(participants, "targetEnrolment"),
        "date_enrollement": _date(_text(participants, "recruitmentStart")),
        "inclusion_criteria": _text(participants, "inclusion"),
        "exclusion_criteria": _text(participants, "exclusion"),
        "inclusion_agemin": _text(participants, "lowerAgeLimit"),
        "inclusion_agemax": _text(participants, "upperAgeLimit"),
        "inclusion_gender": _text(participants, "gender"),
        # A nation and its parts are both listed (United Kingdom, England): kept as they are.
        "countries": _values(participants, "recruitmentCountries/country"),
        "condition": _values(trial, "conditions/condition/description"),
        "intervention": _values(trial, "interventions/intervention/description"),
        "primary_outcome": _outcomes(description, "primaryOutcomes"),
        "secondary_outcome": _outcomes(description, "secondaryOutcomes"),
        "secondary_id": [
            e.get("canonicalSecondaryNumber") or (e.text or "").strip()
            for e in _all(trial, "externalRefs/secondaryNumbers/secondaryNumber")
        ]
        + [
            v
            for v in (
                _at(trial, "externalRefs/eudraCTNumber"),
                _at(trial, "externalRefs/clinicalTrialsGovNumber"),
            )
            if v
        ],
        "results_ipd_plan": _at(trial, "miscellaneous/ipdSharingPlan"),
        "results_ipd_description": _at(trial, "results/ipdSharingStatement"),
        "web_address": f"https://www.isrctn.com/{trial.get('publicIdentifierCanonical') or ''}",
        "isrctn_version": trial.get("version"),
        "isrctn_last_updated": trial.get("lastUpdated"),
    }
    contacts = {c.get("id"): c for c in _children(full, "contact")}
    row["contacts"] = [
        {
            "name": " ".join(
                p for p in (_text(c, "forename"), _text(c, "surname")) if p and p != "-"
            ),
            "email": _at(c, "contactDetails/email"),
            "phone": _at(c, "contactDetails/telephone").strip("-"),
            "address": ", ".join(
                p
                for p in (
                    _at(c, "contactDetails/address"),
                    _at(c, "contactDetails/city"),
                    _at(c, "contactDetails/zip"),
                    _at(c, "contactDetails/country"),
                )
                if p
            ),
            "affiliation": "",
            "role": "; ".join(_values(c, "contactTypes/contactType")) or None,
        }
        for cid in _texts(parties, "contactId")
        if (c := contacts.get(cid)) is not None
    ]
    sponsors = {s.get("id"): s for s in _children(full, "sponsor")}
    names = [
        _text(sponsors[i], "organisation") for i in _texts(parties, "sponsorId") if i in sponsors
    ]
    row["primary_sponsor"] = names[0] if names else ""
    row["secondary_sponsor"] = names[1:]
    funders = {f.get("id"): f for f in _children(full, "funder")}
    row["source_support"] = [
        _text(funders[i], "name") for i in _texts(parties, "funderId") if i in funders
    ]
    row["ethics_reviews"] = [
        {
            "committee": _text(e, "committeeName") or None,
            "status": e.get("approvalStatus") or None,
            "approval_date": _date(e.get("statusDate") or "") or None,
        }
        for e in _all(description, "ethicsCommittees/ethicsCommittee")
    ]
    return row
