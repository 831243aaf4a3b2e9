"""A property of every real payload in tests/data (real register answers, each
with its provenance line): any one value replaced by an odd but plausible real-world form
(two values joined by ";", a date format no parser knows, an empty or blank value, another
script, a stray <br>) leaves every other record of the file as it was, and in its own record
no more than the few fields that value feeds. No parser ever fails the file."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.conftest import settings_for
from watcher.core.lenient import take_warnings
from watcher.sources import get

DATA = Path(__file__).parent / "data"
# Cases per payload: 20 in the edit loop, 50 in CI ($WATCHER_TEST_EXAMPLES, set by .ci/run).
EXAMPLES = int(os.environ.get("WATCHER_TEST_EXAMPLES", "20"))
ODD: list[Callable[[str], str]] = [
    lambda v: f"{v};{v}",
    lambda v: f"{v};Other value",
    lambda _v: "Q3/2021 (estimated)",
    lambda _v: "",
    lambda _v: "   ",
    lambda _v: "临床试验 — испытание",
    lambda v: f"{v}<br>",
    lambda v: f"<br>{v}",
]
# A value holding a trial's identity (its ID): changing it makes another record, not an odd one.
IDENTITY = re.compile(r"NCT\d{8}|\d{4}-\d{6}-\d{2}|^[A-Z]{2,}[-\w]*\d{4,}")
# How many record fields one raw value may feed (a status and its vocabulary, a size and its
# text, a date and the prospective flag, a contact's name from two columns...).
FEEDS_AT_MOST = 3


@dataclass(frozen=True)
class Sample:
    """One real payload, the places of its values, and how to write a value back."""

    path: Path
    source: str
    leaves: list[Any]
    write: Callable[[Any, str], bytes]


def _json_leaves(path: Path) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Where each value of a JSON payload is, and the value, but those naming the trial and
    those never read (CT.gov's ``derivedSection``: nothing to bend)."""

    def walk(node: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, (*at, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, (*at, i))
        elif not (isinstance(node, str) and IDENTITY.search(node)) and "derivedSection" not in at:
            yield at, node

    yield from walk(orjson.loads(path.read_bytes()), ())


def _json_sample(path: Path, source: str = "ctgov") -> Sample:
    leaves = [at for at, v in _json_leaves(path) if isinstance(v, str) and v.strip()]

    def write(at: tuple[Any, ...], value: str) -> bytes:
        copy = orjson.loads(path.read_bytes())
        node = copy
        for step in at[:-1]:
            node = node[step]
        node[at[-1]] = value
        return orjson.dumps(copy)

    return Sample(path, source, leaves, write)


def _xml_sample(path: Path, source: str = "ictrp") -> Sample:
    root = etree.fromstring(path.read_bytes())
    leaves = [
        root.getroottree().getpath(el)
        for el in root.iter()
        if isinstance(el.tag, str)
        and len(el) == 0
        and (el.text or "").strip()
        and not IDENTITY.search(el.text or "")
        and el.tag not in ("TrialID", "Source_Register", "trial_id", "reg_name")
    ]

    def write(xpath: str, value: str) -> bytes:
        doc = etree.fromstring(path.read_bytes())
        (el,) = doc.getroottree().xpath(xpath)
        el.text = value
        return bytes(etree.tostring(doc, encoding="utf-8", xml_declaration=True))

    return Sample(path, source, leaves, write)


def _csv_sample(path: Path) -> Sample:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    leaves = [
        (r, c)
        for r in range(1, len(rows))
        for c, name in enumerate(header)
        if rows[r][c].strip()
        and name not in ("TrialID", "Source Register", "web address")
        and not IDENTITY.search(rows[r][c])
    ]

    def write(at: tuple[int, int], value: str) -> bytes:
        changed = [list(row) for row in rows]
        changed[at[0]][at[1]] = value
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerows(changed)
        return out.getvalue().encode("utf-8")

    return Sample(path, "ictrp", leaves, write)


def _lines_sample(path: Path, source: str, label: re.Pattern[str]) -> Sample:
    lines = path.read_bytes().decode("utf-8").split("\n")
    leaves = [
        i
        for i, line in enumerate(lines)
        if (m := label.match(line))
        and m[2].strip()
        and not IDENTITY.search(line)
        and not _SELECTING.search(m[1])
    ]

    def write(i: int, value: str) -> bytes:
        changed = list(lines)
        m = label.match(changed[i])
        assert m is not None
        changed[i] = f"{m[1]}{value}"
        return "\n".join(changed).encode("utf-8")

    return Sample(path, source, leaves, write)


def _html_sample(path: Path, source: str, values: str) -> Sample:
    """``values``: the XPath of the page's value elements (never its labels or headings)."""
    doc = etree.fromstring(path.read_bytes(), etree.HTMLParser())
    leaves = [
        doc.getroottree().getpath(el)
        for el in doc.xpath(values)
        if len(el) == 0
        and (el.text or "").strip()
        and not IDENTITY.search(el.text or "")
        and not _names_the_record(el.getprevious())
    ]

    def write(xpath: str, value: str) -> bytes:
        page = etree.fromstring(path.read_bytes(), etree.HTMLParser())
        (el,) = page.getroottree().xpath(xpath)
        el.text = value
        return bytes(etree.tostring(page, encoding="utf-8", method="html"))

    return Sample(path, source, leaves, write)


# Values that say which record a record is, or which of two records of one EUCTR member state
# is the newer: changing them makes another record (or picks the other), by design.
_SELECTING = re.compile(
    r"National Competent Authority|Clinical Trial Type|Link|Date of Competent Authority "
    r"Decision|Date of Ethics Committee Opinion"
)


def _names_the_record(label: Any) -> bool:
    return label is not None and bool(_SELECTING.search("".join(label.itertext())))


def samples() -> Iterator[Sample]:
    for path in sorted((DATA / "ctgov").glob("*.json")) + sorted(
        (DATA / "ctgov-versions").glob("*.json")
    ):
        if "receipts" not in path.name and not path.name.endswith(".expected.json"):
            yield _json_sample(path)
    for path in sorted(DATA.glob("ictrp*/**/*.xml")):
        if "_ws_" not in path.name and "CONSTRUCTED" not in path.name:
            yield _xml_sample(path)
    for path in sorted((DATA / "ctis").glob("*.json")) + sorted(
        (DATA / "ctis-versions").glob("*.json")
    ):
        if not path.name.endswith(".expected.json"):
            yield _json_sample(path, "ctis")
    yield _xml_sample(DATA / "isrctn" / "isrctn_api_who_format_3trials.xml", "isrctn")
    for path in sorted(DATA.glob("ictrp-versions/**/*.csv")):
        yield _csv_sample(path)
    yield _lines_sample(
        DATA / "ictrp" / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt",
        "ictrp",
        re.compile(r"^([A-Z][^:\n]{2,40}: )(.*)$"),
    )
    yield _lines_sample(
        DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt",
        "euctr",
        re.compile(r"^([A-Z]\.[\d.]* [^:\n]{2,120}: )(.*)$"),
    )
    yield _html_sample(DATA / "ictrp" / "ictrp_trial_page_NCT04280705.html", "ictrp", "//span[@id]")
    for path in sorted((DATA / "euctr").glob("*.html")):
        yield _html_sample(
            path,
            "euctr",
            '//tr[contains(@class, "tricell")]/td[3] | //td[@class="cellLighterGrey"]',
        )


SAMPLES = list(samples())
SETTINGS = settings_for("http://registry.test")


def _parse(source: str, data: bytes, name: str) -> list[dict[str, Any]]:
    records = get(source, SETTINGS).parse_file(data, name)
    for record in records:
        take_warnings(record)
    return records


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path.name)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_one_odd_value_bends_its_record_and_nothing_else(sample: Sample, data: Any) -> None:
    assert sample.leaves, f"{sample.path.name}: no value found to bend"
    at = data.draw(st.sampled_from(sample.leaves), label="value")
    odd = data.draw(st.sampled_from(ODD), label="form")
    baseline = _parse(sample.source, sample.write(at, _value(sample, at)), sample.path.name)
    bent = _parse(sample.source, sample.write(at, odd(_value(sample, at))), sample.path.name)
    assert [r["trial_id"] for r in bent] == [r["trial_id"] for r in baseline]
    changed = [
        (b["trial_id"], sorted(k for k in b.keys() | a.keys() if b.get(k) != a.get(k)))
        for b, a in zip(baseline, bent, strict=True)
        if b != a
    ]
    assert len(changed) <= 1, changed
    for _trial, keys in changed:
        assert len(keys) <= FEEDS_AT_MOST, keys


def _value(sample: Sample, at: Any) -> str:
    """The value as the file has it (the baseline is the file written back unchanged, so
    that a writer's own quoting or serialization is no difference)."""
    return _original(sample.path, at)


def _original(path: Path, at: Any) -> str:
    if path.suffix == ".json":
        node: Any = orjson.loads(path.read_bytes())
        for step in at:
            node = node[step]
        return str(node)
    if path.suffix == ".xml":
        (el,) = etree.fromstring(path.read_bytes()).getroottree().xpath(at)
        return str(el.text)
    if path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
        return str(rows[at[0]][at[1]])
    if path.suffix == ".html":
        page = etree.fromstring(path.read_bytes(), etree.HTMLParser())
        (el,) = page.getroottree().xpath(at)
        return str(el.text)
    line: str = path.read_bytes().decode("utf-8").split("\n")[at]
    return line.split(": ", 1)[1]


# A register that changes a value's type (CTIS's ``ctStatus``, a label in 2024, a number in
# 2026): a number where text was, text where a number was, a list where one value was, an
# object, null.
RETYPED: list[Callable[[Any], Any]] = [
    lambda _v: 4,
    lambda _v: 12.5,
    lambda _v: True,
    lambda v: str(v),
    lambda v: [v],
    lambda v: [v, v],
    lambda v: {"value": v},
    lambda _v: None,
    lambda _v: [],
    lambda _v: {},
]
JSON_SAMPLES = [s for s in SAMPLES if s.path.suffix == ".json"]


def _typed_leaves(path: Path) -> list[tuple[Any, ...]]:
    """Every value of a JSON payload but those naming the trial: strings, numbers, booleans."""
    return [at for at, _v in _json_leaves(path)]


def _retyped(path: Path, at: tuple[Any, ...], make: Callable[[Any], Any]) -> bytes:
    doc = orjson.loads(path.read_bytes())
    node = doc
    for step in at[:-1]:
        node = node[step]
    node[at[-1]] = make(node[at[-1]])
    return orjson.dumps(doc)


@pytest.mark.parametrize("sample", JSON_SAMPLES, ids=lambda s: s.path.name)
@settings(
    max_examples=max(EXAMPLES // 2, 10),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_value_of_another_type_bends_its_record_and_nothing_else(
    sample: Sample, data: Any
) -> None:
    """Any one value given another JSON type never fails the file, keeps every record, and
    changes no more than the few fields of its own record that it feeds."""
    leaves = _typed_leaves(sample.path)
    at = data.draw(st.sampled_from(leaves), label="value")
    make = data.draw(st.sampled_from(RETYPED), label="type")
    baseline = _parse(sample.source, sample.path.read_bytes(), sample.path.name)
    bent = _parse(sample.source, _retyped(sample.path, at, make), sample.path.name)
    assert [r["trial_id"] for r in bent] == [r["trial_id"] for r in baseline]
    changed = [b for b, a in zip(baseline, bent, strict=True) if b != a]
    assert len(changed) <= 1
