"""Saved searches (`watcher follow`): a baseline never reported, new matches reported and
watched, leavers told once with why, every page read and counted, a register's cap said,
on the local stand-in serving real records of each register."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from tests.conftest import settings_for, watcher_cli, write_config
from tests.registry_server import (
    DATA,
    RegistryServer,
    RegistryState,
    isrctn_trials,
    load_study,
    study_as,
)
from watcher.core.searches import (
    Left,
    Match,
    Membership,
    SavedSearch,
    compare,
    news_of,
    search_events,
)
from watcher.core.searches import why_left as why
from watcher.service import Service

SMALL = DATA / "ctgov" / "biomcp_get_nct02576665_20260811.json"
CTIS = DATA / "ctis" / "ctis_retrieve_2022-501417-31-00.json"
EUCTR = DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
ISRCTN = DATA / "isrctn" / "isrctn_api_who_format_3trials.xml"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _study(nct: str, sponsor: str, registered: str = "2026-11-02") -> dict[str, Any]:
    """A real study under another ID, its lead sponsor and first-posted date set."""
    study = study_as(load_study(SMALL), nct)
    protocol = study["protocolSection"]
    protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = sponsor
    protocol["statusModule"]["studyFirstSubmitDate"] = registered
    protocol["statusModule"]["studyFirstPostDateStruct"] = {"date": registered, "type": "ACTUAL"}
    return study


# -- the pure part ----------------------------------------------------------------------------


def test_what_entered_and_left_and_why() -> None:
    assert compare({"A", "B"}, ["C", "B"]) == (["C"], ["A"])
    then = Match("NCT1", "T", "RECRUITING", None, "Acme")
    assert why(then, None) == "no longer in the register"
    assert why(then, Match("NCT1", "T", "COMPLETED", None, "Acme")) == (
        "status RECRUITING → COMPLETED"
    )
    assert why(then, Match("NCT1", "T", "RECRUITING", None, "Beta")) == "sponsor Acme → Beta"
    assert why(then, then) is None  # the search's own terms changed: nothing the record says
    assert why(None, then) is None

    t0, t1, t2 = NOW, NOW + timedelta(days=1), NOW + timedelta(days=2)
    rows = [
        Membership(Match("A"), t0, t2, "status X → Y"),
        Membership(Match("B"), t0),
        Membership(Match("C"), t1),
    ]
    search = SavedSearch("s", "ctgov", "q", created_at=t0, matches=2)
    events = search_events(search, rows)
    assert [(e.at, e.baseline) for e in events] == [(t0, True), (t1, False), (t2, False)]
    assert [m.trial_id for m in events[0].entered] == ["A", "B"]
    assert events[2].left == (Left(Match("A"), "status X → Y"),)
    news = news_of(search, rows, t0 - timedelta(hours=1), t2)
    # The baseline is not news: only C entered in the period; A left.
    assert [m.trial_id for m in news.entered] == ["C"]
    assert news.left == (Left(Match("A"), "status X → Y"),)


@pytest.mark.parametrize(
    ("source", "query", "said"),
    [
        ("ctgov", "fields=NCTId", "fields: not a search parameter of the CT.gov API"),
        ("ctgov", "query.spons=", "query.spons is empty"),
        ("ctis", "[1, 2]", "not a CTIS searchCriteria JSON object"),
        ("isrctn", "term=colchicine", "term: not a search parameter of the ISRCTN API"),
        ("euctr", "querry=masitinib", "querry: not a search parameter of EUCTR"),
        ("ictrp", "q=x", "cannot run a search"),
    ],
)
def test_a_query_the_register_would_not_take_is_refused(
    tmp_path: Path, source: str, query: str, said: str
) -> None:
    config = write_config(tmp_path / "w.toml", "http://127.0.0.1:9", f"sqlite:///{tmp_path}/w.db")
    out = watcher_cli(config, "follow", "s", "--source", source, "--query", query, expect=2)
    assert said in out.output
    assert json.loads(watcher_cli(config, "follow", "--list", "--json").output) == []


# -- CT.gov, end to end -------------------------------------------------------------------------


def test_a_sponsor_search_takes_its_baseline_then_reports_and_watches_a_new_study(
    tmp_path: Path,
) -> None:
    state = RegistryState(
        studies={
            "NCT09000001": _study("NCT09000001", "Acme Oncology"),
            "NCT09000002": _study("NCT09000002", "Other University"),
            "NCT09000003": _study("NCT09000003", "Acme Oncology GmbH"),
        }
    )
    with RegistryServer(state) as server:
        config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path}/w.db")
        out = watcher_cli(
            config,
            "follow",
            "acme",
            "--source",
            "ctgov",
            "--query",
            "query.spons=Acme",
            "--watch",
            "--tag",
            "pipeline",
        )
        assert "2 trial(s) match now (the baseline" in out.output
        listed = json.loads(watcher_cli(config, "follow", "--list", "--json").output)
        assert listed[0] | {"last_run_at": None} == listed[0] | {
            "name": "acme",
            "source": "ctgov",
            "query": "query.spons=Acme",
            "matches": 2,
            "last_run_at": None,
            "capped": False,
            "watch": True,
        }
        # The baseline is watched (--watch), and never reported as new.
        first = json.loads(watcher_cli(config, "check", "--json").output)
        assert first["searches"] == [
            {
                "name": "acme",
                "new": [],
                "left": [],
                "capped": False,
                "matches": 2,
                "total": 2,
                "watched": [],
                "error": None,
            }
        ]
        assert sorted(first["new"]) == ["NCT09000001", "NCT09000003"]

        # The sponsor registers a study: it is new in the next check, and watched at once.
        state.studies["NCT09000004"] = _study("NCT09000004", "ACME oncology", "2026-12-01")
        state.log.clear()
        second = json.loads(watcher_cli(config, "check", "--json").output)
        assert second["searches"][0]["new"] == ["NCT09000004"]
        assert second["searches"][0]["watched"] == ["NCT09000004"]
        assert "NCT09000004" in second["new"]  # its first version, in the same run
        searched = [parse_qs(urlsplit(p).query) for p in state.log if "query.spons" in p]
        assert searched and all(q["fields"] == ["NCTId"] for q in searched)
        watched = {
            w["trial_id"]: w for w in json.loads(watcher_cli(config, "list", "--json").output)
        }
        assert watched["NCT09000004"]["tags"] == ["pipeline"]

        text = watcher_cli(config, "digest").output
        assert 'Search "acme" (ctgov): 1 new, 0 left' in text
        assert "NEW NCT09000004" in text and "registered 2026-12-01" in text

        # It changes sponsor: it leaves the search, once, saying why.
        sponsor = state.studies["NCT09000004"]["protocolSection"]["sponsorCollaboratorsModule"]
        sponsor["leadSponsor"]["name"] = "Beta Therapeutics"
        # A baseline study too: CT.gov answered its ID only, so why is read from its stored
        # version (watched with --watch).
        baseline = state.studies["NCT09000003"]["protocolSection"]["sponsorCollaboratorsModule"]
        baseline["leadSponsor"]["name"] = "Gamma Bio"
        third = json.loads(watcher_cli(config, "check", "--json").output)
        assert third["searches"][0]["left"] == ["NCT09000003", "NCT09000004"]
        again = json.loads(watcher_cli(config, "check", "--json").output)
        assert again["searches"][0]["left"] == [] and again["searches"][0]["new"] == []

        events = json.loads(watcher_cli(config, "follow", "acme", "--history", "--json").output)
        assert [(e["entered"], e["left"]) for e in events] == [
            (["NCT09000001", "NCT09000003"], []),
            (["NCT09000004"], []),
            ([], ["NCT09000003", "NCT09000004"]),
        ]
        text = watcher_cli(config, "follow", "acme", "--history").output
        assert "left NCT09000004: sponsor ACME oncology → Beta Therapeutics" in text
        assert "left NCT09000003: sponsor Acme Oncology GmbH → Gamma Bio" in text

        watcher_cli(config, "unfollow", "acme")
        assert json.loads(watcher_cli(config, "follow", "--list", "--json").output) == []
        assert "searches" not in watcher_cli(config, "check", "--json").output.split('"new"')[0]
        kept = json.loads(watcher_cli(config, "follow", "acme", "--history", "--json").output)
        assert len(kept) == 3  # its history is kept
        out = watcher_cli(config, "follow", "nosuch", "--history", expect=2)
        assert "nosuch: no saved search of this name" in out.output


def test_a_search_of_2100_studies_reads_every_page_and_counts_them_all(tmp_path: Path) -> None:
    study = load_study(SMALL)
    ids = [f"NCT{20000000 + i:08d}" for i in range(2100)]
    state = RegistryState(studies={nct: study_as(study, nct) for nct in ids})
    with RegistryServer(state) as server:
        settings = settings_for(server.url, f"sqlite:///{tmp_path / 'w.db'}")
        with Service(settings, clock=lambda: NOW) as service:
            news = service.follow("all-terminated", "ctgov", "filter.overallStatus=TERMINATED")
            assert (news.matches, news.total, news.capped) == (2100, 2100, False)
            pages = [parse_qs(urlsplit(p).query) for p in state.log]
            assert len(pages) == 3
            assert [q.get("pageToken") for q in pages] == [None, ["1000"], ["2000"]]
            assert service.searches()[0].matches == 2100


def test_a_register_that_counts_more_than_it_answers_fails_the_run_not_the_matches(
    tmp_path: Path,
) -> None:
    state = RegistryState(studies={"NCT09000001": _study("NCT09000001", "Acme")})
    with RegistryServer(state) as server:
        settings = settings_for(server.url, f"sqlite:///{tmp_path / 'w.db'}")
        clock = [NOW]
        with Service(settings, clock=lambda: clock[0]) as service:
            service.follow("acme", "ctgov", "query.spons=Acme")
            # A page answered as a server error: the run fails, the matches stay.
            from tests.registry_server import Fault

            state.faults["batch"] = Fault(status=500, times=5)
            clock[0] = NOW + timedelta(days=2)
            result = service.check()
            assert result.searches[0].error and "HTTP 500" in result.searches[0].error
            assert service.searches()[0].matches == 1
            assert "HTTP 500" in (service.searches()[0].last_error or "")


# -- CTIS, ISRCTN, EUCTR ---------------------------------------------------------------------


def _ctis_records(n: int) -> dict[str, Any]:
    real = orjson.loads(CTIS.read_bytes())
    records = {}
    for i in range(n):
        number = f"2024-5{10000 + i:05d}-11-00"
        records[number] = {**real, "ctNumber": number}
    return records


def test_a_ctis_search_over_the_cap_says_it_was_capped(tmp_path: Path) -> None:
    state = RegistryState(ctis=_ctis_records(7), ctis_cap=5)
    with RegistryServer(state) as server:
        config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path}/w.db")
        out = watcher_cli(
            config,
            "follow",
            "melanoma",
            "--source",
            "ctis",
            "--query",
            '{"medicalCondition": "melanoma"}',
        )
        assert "Capped: the register answered 5 of the 7 it counts" in out.output
        listed = json.loads(watcher_cli(config, "follow", "--list", "--json").output)
        assert listed[0]["capped"] is True and listed[0]["matches"] == 5
        assert "capped" in watcher_cli(config, "status", expect=None).output.lower()
        text = watcher_cli(config, "digest").output
        assert "CAPPED" in text
        again = json.loads(watcher_cli(config, "check", "--json").output)["searches"][0]
        assert again["capped"] is True and again["new"] == []
        posted = [p for p in state.log if p.endswith("/search")]
        assert len(posted) == 2  # a page of a hundred a run


def test_isrctn_and_euctr_searches_read_the_registers_own_answers(tmp_path: Path) -> None:
    state = RegistryState(
        isrctn=isrctn_trials(ISRCTN.read_bytes()),
        euctr_download=EUCTR.read_text(encoding="utf-8"),
    )
    with RegistryServer(state) as server:
        settings = settings_for(server.url, f"sqlite:///{tmp_path / 'w.db'}")
        with Service(settings, clock=lambda: NOW) as service:
            news = service.follow("zanidatamab", "isrctn", "q=zanidatamab")
            assert (news.matches, news.total) == (1, 1)
            everything = service.follow("isrctn-all", "isrctn", "q=ISRCTN")
            assert everything.matches == 3
            found = service.follow("masitinib", "euctr", "query=masitinib", watch=True)
            # One trial, whichever of its member states match; watching it watches them all.
            assert found.matches == 1
            assert [w.trial_id for w in service.watches()] == ["EUCTR2021-002179-21"]
            memberships = service.search_history("masitinib")[1]
            assert memberships[0].match.title and "masitinib" in memberships[0].match.title.lower()


def test_a_daemon_cycle_runs_due_searches_and_alerts_new_matches(tmp_path: Path) -> None:
    state = RegistryState(studies={"NCT09000001": _study("NCT09000001", "Acme")})
    with RegistryServer(state) as server:
        settings = settings_for(server.url, f"sqlite:///{tmp_path / 'w.db'}")
        clock = [NOW]
        with Service(settings, clock=lambda: clock[0], sleep=lambda _s: None) as service:
            service.follow("acme", "ctgov", "query.spons=Acme", every="1h")
            state.studies["NCT09000002"] = _study("NCT09000002", "Acme", "2026-12-07")
            # Not due yet: the search waits for its interval.
            assert service.check_due().searches == ()
            clock[0] = NOW + timedelta(hours=1, minutes=1)
            cycle = service.check_due()
            assert [m.trial_id for m in cycle.searches[0].entered] == ["NCT09000002"]
            assert cycle.searches[0].entered[0].registered == date(2026, 12, 7)
            assert service.check_due().searches == ()  # claimed until its next run


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_each_search_has_a_web_page_of_what_entered_and_left(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from watcher.web.app import make_app
    from watcher.web.guard import protect

    state = RegistryState(studies={"NCT09000001": _study("NCT09000001", "Acme")})
    with RegistryServer(state) as server:
        settings = settings_for(server.url, f"sqlite:///{tmp_path / 'w.db'}")
        clock = [NOW]
        with Service(settings, clock=lambda: clock[0]) as service:
            service.follow("acme-pipeline", "ctgov", "query.spons=Acme", watch=True)
            state.studies["NCT09000002"] = _study("NCT09000002", "Acme", "2026-12-07")
            clock[0] = NOW + timedelta(days=1)
            service.check()
            with TestClient(protect(make_app(service), None, "office", "s")) as client:
                listing = client.get("/searches")
                page = client.get("/searches/acme-pipeline")
                missing = client.get("/searches/nosuch")
    assert listing.status_code == 200 and "acme-pipeline" in listing.text
    assert page.status_code == 200
    body = page.text
    # Newest first: the new study, linked to its page (watched), then the baseline.
    assert body.index("NCT09000002") < body.index("the baseline: 1 trial(s)")
    assert 'href="/trial/NCT09000002"' in body and "registered 2026-12-07" in body
    assert missing.status_code == 404 and "no saved search of this name" in missing.text


def test_daemons_sharing_a_database_never_run_one_search_twice(repo: Any) -> None:
    repo.add_search(SavedSearch("acme", "ctgov", "query.spons=Acme", created_at=NOW))
    lease = NOW + timedelta(minutes=30)
    assert [s.name for s in repo.claim_searches(NOW, lease)] == ["acme"]
    assert repo.claim_searches(NOW, lease) == []  # the other daemon: taken
    # A daemon that died with it leaves it due again after its lease.
    assert [s.name for s in repo.claim_searches(lease + timedelta(seconds=1), lease)] == ["acme"]


def test_the_alert_tells_what_the_searches_found(tmp_path: Path) -> None:
    from watcher.core.searches import SearchNews
    from watcher.report.compose import subject
    from watcher.report.context import alert_context
    from watcher.report.render import render

    settings = settings_for("http://127.0.0.1:9")
    found = Match("NCT09000002", "A new trial", "RECRUITING", date(2026, 12, 7), "Acme")
    news = SearchNews("acme", "ctgov", (found,), (), 3, 3, watched=("NCT09000002",))
    quiet = SearchNews("other", "ctgov", matches=4)
    ctx = alert_context([], {}, settings, NOW, lambda _w: None, searches=[news, quiet])
    assert ctx is not None and subject(ctx) == "[watcher] 1 new in saved searches"
    text = render(ctx, "alert.txt.j2", settings)
    assert "NEW NCT09000002 A new trial [RECRUITING], registered 2026-12-07 (now watched)" in text
    assert '"other"' not in text  # a search that found nothing is not news
    html = render(ctx, "alert.html.j2", settings)
    assert "NCT09000002" in html and "(now watched)" in html
    assert alert_context([], {}, settings, NOW, lambda _w: None, searches=[quiet]) is None
    # A search that fails, or is capped, is alerted when it starts, not at every run after.
    down = SearchNews("down", "ctgov", error="HTTP 503 from …", new_problem=True)
    still = SearchNews("down", "ctgov", error="HTTP 503 from …")
    assert alert_context([], {}, settings, NOW, lambda _w: None, searches=[still]) is None
    ctx = alert_context([], {}, settings, NOW, lambda _w: None, searches=[down])
    assert ctx is not None
    assert "Could not be run: HTTP 503" in render(ctx, "alert.txt.j2", settings)


def test_searches_and_checks_share_one_request_budget(tmp_path: Path) -> None:
    state = RegistryState(
        studies={f"NCT0900000{i}": _study(f"NCT0900000{i}", "Acme") for i in range(1, 4)}
    )
    with RegistryServer(state) as server:
        settings = settings_for(server.url, f"sqlite:///{tmp_path / 'w.db'}")
        ctgov = replace(settings.sources["ctgov"], requests_per_minute=60)
        settings = replace(settings, sources={**settings.sources, "ctgov": ctgov})
        waited: list[float] = []
        with Service(settings, clock=lambda: NOW, sleep=waited.append) as service:
            service.follow("acme", "ctgov", "query.spons=Acme", watch=True)
            state.studies["NCT09000004"] = _study("NCT09000004", "Acme")
            service.check()  # the search, then the trials: one budget of 60 a minute
    requests = len(state.log)
    assert requests >= 4
    # One limiter: nobody sleeps here, so each request waits its place behind every earlier
    # one, a search's or a check's; the last waited for all of them (two budgets: 1 s).
    assert max(waited) >= (requests - 1) * 1.0 - 0.5
