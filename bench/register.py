"""A local register for benchmarks: N distinct trials per format, built from real records.

Run alone (it prints its base URL, then serves until killed):

    python bench/register.py --ctgov 10000 --ictrp 100 --euctr 100 [--latency 0.05] [--full]

CT.gov studies are NCT04267848 (real, from tests/data) under N distinct NCT IDs, with its
1,148 sites cut to 25 (about 35 KB, a typical record) unless ``--full``; ICTRP pages are the
real EUCTR2017-001400-29-FR page text, and EUCTR downloads the real 2022-002568-62 records,
under N distinct IDs each. Answers are rendered from one template per revision, so that 10,000
trials cost kilobytes, not the gigabytes of 10,000 parsed copies.

Control (for the harness): ``POST /_bench/change?fraction=0.01&seed=1`` changes that share of
the trials (their status, enrolment and last update date) and answers the IDs changed;
``GET /_bench/stats`` answers the requests, bytes and CT.gov studies served so far;
``POST /_bench/reset`` zeroes them. It runs in its own process so that its CPU and memory are
not the watcher's.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import random
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
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
                status["lastUpdatePostDateStruct"]["date"] = f"2026-{1 + revision % 12:02d}-15"
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


class State:
    def __init__(self, args: argparse.Namespace) -> None:
        self.templates = Templates(args.full, args.sites)
        self.latency = args.latency
        self.revisions: dict[str, dict[str, int]] = {
            "ctgov": dict.fromkeys(ctgov_ids(args.ctgov), 0),
            "ictrp": {i.removeprefix("EUCTR")[:14]: 0 for i in ictrp_ids(args.ictrp)},
            "euctr": dict.fromkeys(euctr_numbers(args.euctr), 0),
        }
        self.requests: Counter[str] = Counter()
        self.bytes_sent = 0
        self.studies_sent = 0
        self.lock = threading.Lock()

    def change(self, fraction: float, seed: int) -> list[str]:
        rng = random.Random(seed)
        changed = []
        with self.lock:
            for kind, revisions in self.revisions.items():
                ids = sorted(revisions)
                for ident in rng.sample(ids, round(len(ids) * fraction)):
                    revisions[ident] += 1
                    changed.append(f"{kind}:{ident}")
        return changed


class Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # ../shared/recipes.md: else ~40 ms per keep-alive answer
    wbufsize = -1
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with self.server.state.lock:
            self.server.state.bytes_sent += len(body)

    def do_POST(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/_bench/change":
            fraction = float(query.get("fraction", ["0.01"])[0])
            seed = int(query.get("seed", ["0"])[0])
            self._send(200, orjson.dumps(state.change(fraction, seed)))
        elif url.path == "/_bench/reset":
            with state.lock:
                state.requests.clear()
                state.bytes_sent = 0
                state.studies_sent = 0
            self._send(200, b"{}")
        else:
            self._send(404, b"{}")

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/_bench/stats":
            with state.lock:
                stats = {
                    "requests": dict(state.requests),
                    "bytes": state.bytes_sent,
                    "studies": state.studies_sent,
                }
            self._send(200, orjson.dumps(stats))
            return
        if state.latency:
            time.sleep(state.latency)
        if url.path == "/api/v2/studies":
            self._count("ctgov batch")
            ids = [i for i in (query.get("filter.ids") or [""])[0].split(",") if i]
            size = int((query.get("pageSize") or ["10"])[0])
            start = int((query.get("pageToken") or ["0"])[0])
            found = [i for i in ids if i in state.revisions["ctgov"]]
            studies = [self._study(i) for i in found[start : start + size]]
            with state.lock:
                state.studies_sent += len(studies)
            body = b'{"studies":[' + b",".join(studies) + b"]"
            if start + size < len(found):
                body += b',"nextPageToken":"' + str(start + size).encode() + b'"'
            self._send(200, body + b"}")
        elif url.path.startswith("/api/v2/studies/"):
            self._count("ctgov single")
            nct = url.path.rsplit("/", 1)[1]
            if nct in state.revisions["ctgov"]:
                with state.lock:
                    state.studies_sent += 1
                self._send(200, self._study(nct))
            else:
                self._send(404, orjson.dumps({"message": f"Study not found: {nct}"}))
        elif url.path == "/Trial2.aspx":
            self._count("ictrp page")
            number = (query.get("TrialID") or [""])[0].removeprefix("EUCTR")[:14]
            revision = state.revisions["ictrp"].get(number)
            if revision is None:
                self._send(
                    200, b"<html><body>No trial found for this ID.</body></html>", "text/html"
                )
            else:
                answer = state.templates.answer("ictrp", revision, number)
                self._send(200, answer, "text/plain; charset=utf-8")
        elif url.path == "/ctr-search/rest/download/full":
            self._count("euctr download")
            number = (query.get("query") or [""])[0]
            revision = state.revisions["euctr"].get(number)
            if revision is None:
                self._send(200, (state.templates.preamble + "\n").encode(), "text/plain")
            else:
                answer = state.templates.answer("euctr", revision, number)
                self._send(200, answer, "text/plain; charset=UTF-8")
        else:
            self._send(404, b"not found", "text/plain")

    def _study(self, nct: str) -> bytes:
        return self.server.state.templates.answer(
            "ctgov", self.server.state.revisions["ctgov"][nct], nct
        )

    def _count(self, kind: str) -> None:
        with self.server.state.lock:
            self.server.state.requests[kind] += 1


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State, port: int) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A watcher stopped mid-answer (the benchmarks end it with SIGTERM) is no error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
    server = Server(State(args), args.port)
    host, port = server.server_address[:2]
    print(f"http://{host!s}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(0.2)


if __name__ == "__main__":
    sys.exit(main())
