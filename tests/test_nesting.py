"""The nesting of a streamed JSON answer, followed before the parser sees it: exact on real
records read in pieces of any size, and a 200 KB array nested 100,000 deep in one study of a
batch fails that study alone, at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import settings_for
from tests.registry_server import SMALL_STUDY, RegistryServer, RegistryState, load_study, study_as
from watcher.core.model import Fetched
from watcher.sources.base import nesting
from watcher.sources.ctgov import CtGov
from watcher.sources.http import Fetcher, make_client
from watcher.sources.nesting import Nesting

DATA = Path(__file__).parent / "data"
REAL = [
    DATA / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json",
    DATA / "ctis" / "ctis_retrieve_2022-501417-31-00.json",
    DATA / "ctgov" / "biomcp_search_phelan_limit5_20260811.json",
]
TRICKY = {"a": 'x\\"[[[{{" \n ]] \\\\', "b": [[["\\u005b"]]], "c": "]]]]}}}", "d": "\\"}


@pytest.mark.parametrize("piece", [1, 7, 64, 65536])
@pytest.mark.parametrize("document", [*REAL, None], ids=lambda d: getattr(d, "name", "tricky"))
def test_the_depth_is_exact_however_the_answer_is_cut(document: Path | None, piece: int) -> None:
    text = document.read_bytes() if document else json.dumps(TRICKY).encode()
    value: Any = orjson.loads(text)
    found = Nesting()
    for start in range(0, len(text), piece):
        found.feed(text[start : start + piece])
    assert (found.deepest, found.depth) == (nesting(value), 0)


def test_a_200kb_array_100000_deep_fails_its_study_alone() -> None:
    small = load_study(SMALL_STUDY)
    ids = [f"NCT{90000000 + i:08d}" for i in range(6)]
    studies: dict[str, Any] = {n: orjson.dumps(study_as(small, n)) for n in ids}
    deep = json.dumps(study_as(small, ids[2]))
    studies[ids[2]] = (deep[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    with RegistryServer(RegistryState(studies=studies)) as server:
        settings = settings_for(server.url)
        with make_client(settings.http) as client:
            fetcher = Fetcher(client, "ctgov", settings.http)
            results = dict(CtGov(settings.sources["ctgov"]).fetch(fetcher, ids))
    assert all(isinstance(results[n], Fetched) for n in ids if n != ids[2])
    assert "nests deeper than 64 levels" in str(results[ids[2]])
