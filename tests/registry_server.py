"""The local stand-in for the registers, for the tests and the benchmarks alike: a real HTTP
server on 127.0.0.1 serving real recorded payloads (CT.gov API v2, ICTRP trial pages and web
service, the EUCTR text download), which tests change between checks and make fail on purpose.

The benchmarks (``bench/register.py``) give it mappings that render 10,000 distinct trials from
one template each, and a ``changer``; ``/_bench/change``, ``/_bench/stats`` and
``/_bench/reset`` let a benchmark in another process drive and read it.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import re
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from tests import register_search as searching
from tests.register_search import euctr_records_where

DATA = Path(__file__).parent / "data"
FULL_STUDY = DATA / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json"
# A real study of 10 KB, for tests of many trials that read none of their content (the full
# one is 360 KB: parsing it dominated such tests).
SMALL_STUDY = DATA / "ctgov" / "biomcp_get_nct02576665_20260811.json"


def load_study(path: Path = FULL_STUDY) -> dict[str, Any]:
    study: dict[str, Any] = orjson.loads(path.read_bytes())
    return study


def study_as(study: dict[str, Any], nct_id: str) -> dict[str, Any]:
    """A copy of a real study under another NCT ID (to watch many distinct trials)."""
    clone = copy.deepcopy(study)
    clone["protocolSection"]["identificationModule"]["nctId"] = nct_id
    return clone


NOT_FOUND_PAGE = (
    b"<html><head><title>International Clinical Trials Registry Platform</title>"
    b"</head><body><div>World Health Organization site</div>"
    b"<div>No trial found for this ID.</div></body></html>"
)
SERVICE_PASSWORD = "s3cret"
ICTRP = DATA / "ictrp"


def service_answer(body: str) -> bytes:
    """A GetTrialDetails answer: the real header and footer around ``body`` (the diffgram's
    rows); an empty body gives the real empty answer."""
    header = (ICTRP / "ictrp_ws_GetTrialDetails_response_header_schema.xml").read_text()
    if not body:
        head = header[: header.rindex("<diffgr:diffgram")]
        return (
            head + (ICTRP / "ictrp_ws_GetTrialDetails_empty_response_footer.xml").read_text()
        ).encode()
    footer = (ICTRP / "ictrp_ws_GetTrialDetails_response_footer.xml").read_text()
    return (header + body + footer).encode()


def euctr_download_of(download: str, number: str) -> str:
    """The part of a real text download that the register returns for one EudraCT number:
    the preamble and that trial's records (none: the preamble alone, as EUCTR answers)."""
    return euctr_records_where(download, lambda chunk: f"EudraCT Number: {number}\n" in chunk)


def page_as_html(text: str) -> bytes:
    """An ICTRP trial page's visible text laid out as the WebForms page does: a label cell and
    a value cell per row, <br> inside values. Made for the tests (no real HTML page of ICTRP
    is in registry-samples); the adapter reads it by its labels, as it reads the real text."""
    import html

    rows = []
    for line in text.split("\n"):
        label, sep, value = line.partition(": ")
        if sep and len(label) < 60:
            rows.append(
                f'<tr><td><b>{html.escape(label)}:</b></td><td><span id="DataList3_'
                f'ctl01_Label">{html.escape(value)}</span></td></tr>'
            )
        else:
            rows.append(f'<tr><td colspan="2">{html.escape(line)}</td></tr>')
    return (
        "<!DOCTYPE html><html><head><title>ICTRP</title><style>td{}</style></head><body>"
        "<form><table>" + "\n".join(rows) + "</table></form></body></html>"
    ).encode()


@dataclass
class Fault:
    """What to answer instead of the record: a status, a body, a header."""

    status: int = 500
    body: bytes = b"Internal Server Error"
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # answer with the fault this often, then serve normally
    delay: float = 0.0  # seconds to wait before answering (a timeout, when longer than it)
    # A hostile answer instead (see ``_Handler._hostile``): "redirect_loop", "redirect_away",
    # "bomb" (``size`` bytes gzipped), "trickle" (a byte every ``delay`` s), "endless",
    # "short" (``body`` cut at ``cut`` though its Content-Length says all of it), "cut"
    # (``body`` cut at ``cut``, no Content-Length, the connection closed: it looks whole).
    mode: str = ""
    size: int = 0
    cut: float = 1.0


@dataclass
class RegistryState:
    """What the server answers; tests change it between checks."""

    # CT.gov studies by NCT ID: as JSON data (tests edit them), or as their JSON bytes.
    studies: MutableMapping[str, Any] = field(default_factory=dict)
    # Trial2.aspx pages, by TrialID
    ictrp_pages: MutableMapping[str, bytes] = field(default_factory=dict)
    ictrp_service: dict[str, bytes] = field(default_factory=dict)  # GetTrialDetails answers
    euctr_download: str = ""  # the text download the EUCTR queries are answered from...
    euctr_answers: MutableMapping[str, bytes] = field(default_factory=dict)  # ...unless one is here
    ctis: dict[str, Any] = field(default_factory=dict)  # CTIS retrieve answers, by EU CT number
    isrctn: dict[str, bytes] = field(default_factory=dict)  # ISRCTN WHO-format <trial>, by ID
    aliases: dict[str, str] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)  # by NCT ID, or "batch"
    page_limit: int = 1000  # studies per page the server returns at most
    latency: float = 0.0  # seconds before each answer, as a real register's
    # For a benchmark: changes that share of the trials, with that seed; the IDs changed.
    changer: Callable[[float, int], list[str]] | None = None
    requests: Counter[str] = field(default_factory=Counter)
    bytes_sent: int = 0
    studies_sent: int = 0
    log: list[str] = field(default_factory=list)
    keep_log: bool = True  # a benchmark's millions of requests are counted, not kept
    # Studies the register's list of updates leaves out though they changed (a register
    # forgetting to date a change): only a full sweep finds them.
    forgotten: set[str] = field(default_factory=set)
    # The day a study was last updated, when its answers are rendered bytes (the benchmarks'
    # register) rather than studies to read it from.
    last_update: Callable[[str], str] | None = None
    # What each study was when it was last served (a checksum), so that one a test changes
    # in place is listed as updated, as CT.gov dates every change it posts.
    served: dict[str, int] = field(default_factory=dict)
    # The (UTC) day a change of a study was first served: CT.gov keeps listing a change on
    # its day, whoever fetched it since (a client killed before storing it asks again).
    posted: dict[str, str] = field(default_factory=dict)
    # Trials a CTIS search answers at most, however many match (the real register: 10,000).
    ctis_cap: int = 10_000

    def remember(self, nct: str, body: bytes) -> None:
        if self.last_update is None:  # (the benchmarks' register dates its own changes)
            checksum = zlib.crc32(body)
            if self.served.get(nct, checksum) != checksum:
                self.posted[nct] = datetime.now(UTC).date().isoformat()
            self.served[nct] = checksum

    def changed_since_served(self, nct: str) -> bool:
        before = self.served.get(nct)
        return before is not None and zlib.crc32(_as_json(self.studies[nct])) != before

    lock: threading.Lock = field(default_factory=threading.Lock)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "bytes": self.bytes_sent,
                "studies": self.studies_sent,
            }

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.bytes_sent = self.studies_sent = 0

    def take_fault(self, key: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get(key)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[key]
            return fault


class _Handler(BaseHTTPRequestHandler):
    # Without these, http.server waits ~40 ms per keep-alive answer (Nagle's algorithm
    # meeting delayed ACKs).
    disable_nagle_algorithm = True
    wbufsize = -1
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        with self.server.state.lock:
            self.server.state.bytes_sent += len(body)

    def _fault(self, fault: Fault) -> None:
        if fault.mode:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._hostile(fault)
            return
        if fault.delay:
            time.sleep(fault.delay)
        # The client may have given up waiting: that was the point.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(fault.status, fault.body, fault.content_type, fault.headers)

    def _hostile(self, fault: Fault) -> None:
        if fault.mode in ("redirect_loop", "redirect_away"):
            port = self.server.server_address[1]
            # 127.0.0.1 and localhost are one machine but two hosts to an HTTP client.
            origin = "" if fault.mode == "redirect_loop" else f"http://localhost:{port}"
            self._send(302, b"", headers={"Location": origin + self.path})
            return
        self.send_response(200)
        self.send_header("Content-Type", fault.content_type)
        for key, value in fault.headers.items():
            self.send_header(key, value)
        if fault.mode == "bomb":
            bomb = gzip_bomb(fault.size)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(bomb)))
            self.end_headers()
            self.wfile.write(bomb)
        elif fault.mode == "trickle":
            self.send_header("Content-Length", str(len(fault.body)))
            self.end_headers()
            for byte in fault.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(fault.delay)
        elif fault.mode == "endless":
            self.send_header("Connection", "close")
            self.end_headers()
            block = b"x" * 65536
            while True:
                self.wfile.write(block)
        elif fault.mode in ("short", "cut"):
            kept = fault.body[: int(len(fault.body) * fault.cut)]
            if fault.mode == "short":
                self.send_header("Content-Length", str(len(fault.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(kept)
            self.wfile.flush()
            self.close_connection = True
        else:
            raise ValueError(f"no such hostile mode: {fault.mode}")

    def do_POST(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/_bench/change" and state.changer is not None:
            fraction = float(query.get("fraction", ["0.01"])[0])
            seed = int(query.get("seed", ["0"])[0])
            self._send(200, orjson.dumps(state.changer(fraction, seed)))
        elif url.path == "/_bench/reset":
            state.reset()
            self._send(200, b"{}")
        elif url.path == "/ctis-public-api/search":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.log.append(self.path)
                state.requests[url.path] += 1
            if fault := state.take_fault("ctis:search"):
                self._fault(fault)
                return
            self._send(200, orjson.dumps(searching.ctis_page(state.ctis, body, state.ctis_cap)))
        else:
            self._send(404, b"{}")

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/_bench/stats":
            self._send(200, orjson.dumps(state.stats()))
            return
        with state.lock:
            if state.keep_log:
                state.log.append(self.path)
                self.server.user_agents.append(self.headers.get("User-Agent", ""))
            state.requests[url.path.rsplit("/", 1)[0] if url.path.count("/") > 3 else url.path] += 1
        if state.latency:
            time.sleep(state.latency)
        if url.path == "/api/v2/studies":
            self._batch(state, query)
        elif url.path.startswith("/api/v2/studies/"):
            self._one(state, url.path.rsplit("/", 1)[1])
        elif url.path == "/Trial2.aspx":
            self._ictrp_page(state, (query.get("TrialID") or [""])[0])
        elif url.path.endswith("/TrialService.asmx/GetTrialDetails"):
            self._ictrp_service(state, query)
        elif url.path == "/ctr-search/rest/download/full":
            self._euctr_download(state, (query.get("query") or [""])[0])
        elif url.path.startswith("/ctis-public-api/retrieve/"):
            self._ctis(state, url.path.rsplit("/", 1)[1])
        elif url.path == "/api/query/format/who":
            self._isrctn(state, query)
        elif url.path == "/api/query/format/default":  # ISRCTN's count (limit=0)
            found = searching.isrctn_found(state.isrctn, (query.get("q") or [""])[0])
            self._send(
                200,
                f'<allTrials totalCount="{len(found)}" xmlns="http://www.67bricks.com/isrctn"/>'.encode(),
                "application/xml",
            )
        else:
            self._send(404, b"not found", "text/plain")

    def _ictrp_page(self, state: RegistryState, trial_id: str) -> None:
        if fault := state.take_fault(trial_id):
            self._fault(fault)
            return
        page = state.ictrp_pages.get(trial_id)
        # ICTRP answers an unknown ID with a page of its own, and HTTP 200.
        body = page if page is not None else NOT_FOUND_PAGE
        self._send(200, body, "text/html; charset=utf-8")

    def _ictrp_service(self, state: RegistryState, query: dict[str, list[str]]) -> None:
        if (query.get("password") or [""])[0] != SERVICE_PASSWORD:
            self._send(500, b"<error>Authentication failed</error>", "text/xml")
            return
        trial_id = (query.get("TrialIDnum") or [""])[0]
        if fault := state.take_fault(trial_id):
            self._fault(fault)
            return
        answer = state.ictrp_service.get(trial_id, service_answer(""))
        self._send(200, answer, "text/xml; charset=utf-8")

    def _euctr_download(self, state: RegistryState, number: str) -> None:
        if fault := state.take_fault(f"euctr:{number}"):
            self._fault(fault)
            return
        answer = state.euctr_answers.get(number)
        if answer is None and not re.fullmatch(r"\d{4}-\d{6}-\d{2}", number):
            answer = searching.euctr_records_matching(state.euctr_download, number).encode()
        if answer is None:
            answer = euctr_download_of(state.euctr_download, number).encode()
        self._send(200, answer, "text/plain; charset=UTF-8")

    def _ctis(self, state: RegistryState, number: str) -> None:
        if fault := state.take_fault(f"ctis:{number}"):
            self._fault(fault)
            return
        record = state.ctis.get(number)
        if record is None:
            self._send(404, b'{"message":"Not found"}')
            return
        self._send(200, _as_json(record))

    def _isrctn(self, state: RegistryState, query: dict[str, list[str]]) -> None:
        q = (query.get("q") or [""])[0]
        if fault := state.take_fault(f"isrctn:{q}"):
            self._fault(fault)
            return
        # The WHO format answers a query with the trials it matches, a page of them.
        found = searching.isrctn_found(state.isrctn, q)
        offset = int((query.get("offset") or ["0"])[0])
        limit = int((query.get("limit") or ["100"])[0])
        page = b"".join(found[offset : offset + limit])
        self._send(200, b"<trials>" + page + b"</trials>", "application/xml")

    def _one(self, state: RegistryState, nct: str) -> None:
        if nct in state.aliases:
            self._send(301, b"", headers={"Location": f"/api/v2/studies/{state.aliases[nct]}"})
            return
        if fault := state.take_fault(nct):
            self._fault(fault)
            return
        study = state.studies.get(nct)
        if study is None:
            self._send(404, orjson.dumps({"message": f"Study not found: {nct}"}))
            return
        body = _as_json(study)
        with state.lock:
            state.studies_sent += 1
            state.remember(nct, body)
        self._send(200, body)

    def _batch(self, state: RegistryState, query: dict[str, list[str]]) -> None:
        if fault := state.take_fault("batch"):
            self._fault(fault)
            return
        ids = [i for i in (query.get("filter.ids") or [""])[0].split(",") if i]
        asked = {k: v[0] for k, v in query.items()}
        if (
            not ids
            and (since := _updated_since(query)) is not None
            and not any(k.startswith("query.") for k in asked)
        ):
            self._updated(state, query, since)
            return
        if not ids and searching.is_search(asked):
            self._search(state, asked)
            return
        for nct in ids:
            if (
                (fault := state.faults.get(nct)) is not None
                and fault.status >= 500
                and not fault.mode
            ):
                self._fault(fault)  # one broken record fails the whole page, as on a real API
                return
        # A study answering with a hostile mode is left out of pages, as an alias is: the
        # client asks the single-study endpoint for it, where the mode is played.
        hostile = {i for i in ids if (f := state.faults.get(i)) is not None and f.mode}
        found = [i for i in ids if i in state.studies and i not in hostile]
        size = min(int((query.get("pageSize") or ["10"])[0]), state.page_limit)
        start = int((query.get("pageToken") or ["0"])[0])
        studies = [_as_json(state.studies[i]) for i in found[start : start + size]]
        with state.lock:
            for nct, body in zip(found[start : start + size], studies, strict=True):
                state.remember(nct, body)
        with state.lock:
            state.studies_sent += len(studies)
        # Joined as bytes: a benchmark's page of 1,000 studies is never parsed here.
        body = b'{"studies":[' + b",".join(studies) + b"]"
        if start + size < len(found):
            body += b',"nextPageToken":"' + str(start + size).encode() + b'"'
        self._send(200, body + b"}")

    def _search(self, state: RegistryState, query: dict[str, str]) -> None:
        """A /studies search, IDs only, a page of at most 1,000, ``totalCount`` when asked."""
        found = sorted(n for n, s in state.studies.items() if searching.ctgov_matches(s, query))
        self._id_page(found, query)

    def _id_page(self, found: list[str], query: Mapping[str, str | list[str]]) -> None:
        def one(key: str, default: str) -> str:
            value = query.get(key) or default
            return value[0] if isinstance(value, list) else value

        size = min(int(one("pageSize", "10")), 1000)
        start = int(one("pageToken", "0"))
        page: dict[str, Any] = {
            "studies": [
                {"protocolSection": {"identificationModule": {"nctId": nct}}}
                for nct in found[start : start + size]
            ]
        }
        if start == 0 and one("countTotal", "") == "true":
            page["totalCount"] = len(found)
        if start + size < len(found):
            page["nextPageToken"] = str(start + size)
        self._send(200, orjson.dumps(page))

    def _updated(self, state: RegistryState, query: dict[str, list[str]], since: str) -> None:
        """The studies CT.gov lists as updated on or after ``since``, IDs only
        (``fields=NCTId``), a page of at most 1,000, with ``totalCount`` when asked."""
        updated = state.last_update or (lambda nct: _last_update(state.studies[nct]))
        # What a test does to a study is news the register posts: a change, a fault it
        # plays, the study taken away (unless the test has it forget to date the change).
        news = {
            nct
            for nct in state.studies
            if updated(nct) >= since
            or state.changed_since_served(nct)
            or state.posted.get(nct, "") >= since
            or nct in state.faults
        }
        news |= {nct for nct in state.served if nct not in state.studies} | set(state.aliases)
        self._id_page(sorted(news - state.forgotten), query)


_UPDATED = re.compile(r"AREA\[LastUpdatePostDate\]RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]")


def _updated_since(query: dict[str, list[str]]) -> str | None:
    """The day of ``filter.advanced=AREA[LastUpdatePostDate]RANGE[day,MAX]``, if asked."""
    found = _UPDATED.fullmatch((query.get("filter.advanced") or [""])[0])
    return found.group(1) if found else None


def _last_update(study: dict[str, Any] | bytes) -> str:
    if isinstance(study, bytes):
        study = orjson.loads(study)
    assert isinstance(study, dict)
    status = study.get("protocolSection", {}).get("statusModule", {})
    return str((status.get("lastUpdatePostDateStruct") or {}).get("date") or "")


def isrctn_trials(answer: bytes) -> dict[str, bytes]:
    """The ``<trial>`` elements of a real WHO-format answer, byte for byte, by trial ID."""
    import re

    return {
        m.group(2).decode(): m.group(0)
        for m in re.finditer(
            rb"<trial>.*?<trial_id>(\s*)(ISRCTN\d{8})\s*</trial_id>.*?</trial>", answer, re.S
        )
    }


@functools.lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes gzipped: 1 GB is a 1 MB answer."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.compress(bytes(size % len(block))))
    return b"".join(parts) + packer.flush()


def _as_json(study: Any) -> bytes:
    return study if isinstance(study, bytes) else orjson.dumps(study)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: RegistryState, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state
        self.user_agents: list[str] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A watcher stopped mid-answer (the benchmarks end it with SIGTERM) is no error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RegistryServer:
    """Start with ``with RegistryServer() as server:``; ``server.url`` is the base URL."""

    def __init__(self, state: RegistryState | None = None, port: int = 0) -> None:
        self.state = state or RegistryState()
        self._server = _Server(self.state, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def user_agents(self) -> list[str]:
        return self._server.user_agents

    def __enter__(self) -> RegistryServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
