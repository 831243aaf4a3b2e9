"""A local register for benchmarks: N distinct trials per format, built from real records.

Run alone (it prints its base URL, then serves until killed):

    python bench/register.py --ctgov 10000 --ictrp 100 --euctr 100 [--latency 0.05] [--full]

CT.gov studies are NCT04267848 (real, from tests/data) under N distinct NCT IDs, with its
1,148 sites cut to 25 (about 35 KB, a typical record) unless ``--full``; ICTRP pages are the
real EUCTR2017-001400-29-FR page text, and EUCTR downloads the real 2022-002568-62 records,
under N distinct IDs each. Answers are rendered from one template per revision, so that 10,000
trials cost kilobytes, not the gigabytes of 10,000 parsed copies.

It is the tests' register (``tests/registry_server.py``) given mappings that render each
answer on demand. Control (for the harness): ``POST /_bench/change?fraction=0.01&seed=1``
changes that share of the trials (their status, enrolment and last update date) and answers the
IDs changed; ``GET /_bench/stats`` answers the requests, bytes and CT.gov studies served so
far; ``POST /_bench/reset`` zeroes them. It runs in its own process so that its CPU and memory
are not the watcher's.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import random
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the stand-in lives with the tests

from tests.registry_server import RegistryServer, RegistryState  # noqa: E402

DATA = ROOT / "tests" / "data"
STUDY = DATA / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json"
PAGE = DATA / "ictrp" / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt"
DOWNLOAD = DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"

NCT_TEMPLATE = "NCT04267848"
ICTRP_TEMPLATE = "2017-001400-29"
EUCTR_TEMPLATE = "2022-002568-62"
STATUSES = ("RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED")
# Where each format's answer holds the trial ID.
TOKENS = {
    "ctgov": NCT_TEMPLATE.encode(),
    "ictrp": ICTRP_TEMPLATE.encode(),
    "euctr": EUCTR_TEMPLATE.encode(),
}


def ctgov_ids(n: int) -> list[str]:
    return [f"NCT{90000000 + i:08d}" for i in range(n)]


def ictrp_ids(n: int) -> list[str]:
    return [f"EUCTR2017-{100000 + i:06d}-29-FR" for i in range(n)]


def euctr_numbers(n: int) -> list[str]:
    return [f"2022-{100000 + i:06d}-62" for i in range(n)]


class Templates:
    """Each format's answer at each revision, with a placeholder where the trial ID goes."""

    def __init__(self, full: bool, sites: int) -> None:
        study = orjson.loads(STUDY.read_bytes())
        # The day each revision was made, as CT.gov dates an update (revision 0: the real
        # record's): a check between full sweeps fetches what the register lists as updated.
        self.dates = {
            0: study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
        }
        # What `fields=protocolSection,hasResults` (watcher's default) brings back.
        self.study = {
            "protocolSection": study["protocolSection"],
            "hasResults": study["hasResults"],
        }
        if not full:
            locations = self.study["protocolSection"]["contactsLocationsModule"]["locations"]
            self.study["protocolSection"]["contactsLocationsModule"]["locations"] = locations[
                :sites
            ]
        self.page = PAGE.read_text(encoding="utf-8")
        download = DOWNLOAD.read_text(encoding="utf-8")
        lines = download.split("\n")
        starts = [i for i, line in enumerate(lines) if line.strip() == "Summary"]
        self.preamble = "\n".join(lines[: starts[0]])
        chunks = [
            "\n".join(lines[s : (starts[k + 1] if k + 1 < len(starts) else len(lines))])
            for k, s in enumerate(starts)
        ]
        self.euctr_records = "\n".join(
            c for c in chunks if f"EudraCT Number: {EUCTR_TEMPLATE}" in c
        )
        self._cache: dict[tuple[str, int], tuple[bytes, bytes]] = {}
        self._lock = threading.Lock()

    def _render(self, kind: str, revision: int) -> bytes:
        if kind == "ctgov":
            study = copy.deepcopy(self.study)
            if revision:
                status = study["protocolSection"]["statusModule"]
                status["overallStatus"] = STATUSES[revision % len(STATUSES)]
                status["lastUpdatePostDateStruct"]["date"] = self.dates[revision]
                study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 100 + revision
            return orjson.dumps(study)
        if kind == "ictrp":
            page = self.page
            if revision:
                page = page.replace(
                    "Target sample size: 10", f"Target sample size: {10 + revision}"
                )
                page = page.replace("20 August 2018", f"{1 + revision % 28} September 2018")
            return page.encode()
        records = self.euctr_records
        if revision:
            records = records.replace(
                "Trial Status: Ongoing",
                f"Trial Status: {'Completed' if revision % 2 else 'Ongoing'}",
            )
        return ("\n".join([self.preamble, records]) + "\n").encode()

    def parts(self, kind: str, revision: int) -> tuple[bytes, bytes]:
        """The answer before and after the trial ID."""
        key = (kind, revision)
        with self._lock:
            if key not in self._cache:
                head, _, tail = self._render(kind, revision).partition(TOKENS[kind])
                # Every other occurrence (the page repeats its ID) is replaced at answer time.
                self._cache[key] = (head, tail)
            return self._cache[key]

    def answer(self, kind: str, revision: int, ident: str) -> bytes:
        head, tail = self.parts(kind, revision)
        ident_b = ident.encode()
        return head + ident_b + tail.replace(TOKENS[kind], ident_b)


class Rendered(Mapping[str, bytes]):
    """A register's answers by trial ID, rendered when asked for from each trial's revision."""

    def __init__(
        self,
        revisions: dict[str, int],
        key: Callable[[str], str],
        render: Callable[[str, int], bytes],
    ) -> None:
        self.revisions, self.key, self.render = revisions, key, render

    def __getitem__(self, ident: str) -> bytes:
        return self.render(ident, self.revisions[self.key(ident)])

    def __contains__(self, ident: object) -> bool:
        return isinstance(ident, str) and self.key(ident) in self.revisions

    def __iter__(self) -> Iterator[str]:
        return iter(self.revisions)

    def __len__(self) -> int:
        return len(self.revisions)


def state_for(args: argparse.Namespace) -> RegistryState:
    """The stand-in's state for N trials of each format, and the changer of the harness."""
    templates = Templates(args.full, args.sites)
    revisions: dict[str, dict[str, int]] = {
        "ctgov": dict.fromkeys(ctgov_ids(args.ctgov), 0),
        "ictrp": {i.removeprefix("EUCTR")[:14]: 0 for i in ictrp_ids(args.ictrp)},
        "euctr": dict.fromkeys(euctr_numbers(args.euctr), 0),
    }
    lock = threading.Lock()

    def change(fraction: float, seed: int) -> list[str]:
        rng = random.Random(seed)
        changed = []
        with lock:
            for kind, by_id in revisions.items():
                ids = sorted(by_id)
                for ident in rng.sample(ids, round(len(ids) * fraction)):
                    by_id[ident] += 1
                    templates.dates.setdefault(by_id[ident], date.today().isoformat())
                    changed.append(f"{kind}:{ident}")
        return changed

    def same(ident: str) -> str:
        return ident

    def number(trial_id: str) -> str:
        return trial_id.removeprefix("EUCTR")[:14]

    def answer(kind: str, key: Callable[[str], str]) -> Callable[[str, int], bytes]:
        return lambda ident, revision: templates.answer(kind, revision, key(ident))

    return RegistryState(
        studies=Rendered(revisions["ctgov"], same, answer("ctgov", same)),
        ictrp_pages=Rendered(revisions["ictrp"], number, answer("ictrp", number)),
        euctr_answers=Rendered(revisions["euctr"], same, answer("euctr", same)),
        euctr_download=templates.preamble + "\n",
        latency=args.latency,
        changer=change,
        last_update=lambda nct: templates.dates[revisions["ctgov"][nct]],
        keep_log=False,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ctgov", type=int, default=1000, help="CT.gov trials")
    parser.add_argument("--ictrp", type=int, default=0, help="ICTRP trial pages")
    parser.add_argument("--euctr", type=int, default=0, help="EUCTR trials")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--full", action="store_true", help="the full 1,148-site record")
    parser.add_argument("--sites", type=int, default=25, help="sites kept when not --full")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with RegistryServer(state_for(args), args.port) as server:
        print(server.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
