"""The web view's pages, over the service: the watched trials, a trial, a diff of two versions,
the feed, the review form's post, and ``/healthz``. No page changes anything on GET."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from watcher import __version__
from watcher.core.ids import parse_trial_id
from watcher.core.searches import search_events
from watcher.errors import InputError, InvalidTrialId, UnknownSearch, UnknownTrial
from watcher.pages import PAGES, page_path
from watcher.registers import SOURCES
from watcher.report.changes import change_views
from watcher.report.render import environment, render_atom
from watcher.service import Service
from watcher.triage import SHOWS

PAGE_SIZE = 100


def make_app(service: Service) -> Starlette:
    """The pages of one service (one database)."""
    env = environment(service.settings)
    env.globals["page"] = page_path

    def page(template: str, request: Request, status: int = 200, **values: Any) -> HTMLResponse:
        csrftoken = request.scope.get("csrftoken")
        html = env.get_template(f"web/{template}").render(
            version=__version__,
            user=request.state.user,
            csrftoken=csrftoken() if csrftoken else "",
            **values,
        )
        return HTMLResponse(html, status_code=status)

    def trials(request: Request) -> Response:
        tag = request.query_params.get("tag") or None
        source = request.query_params.get("register") or None
        wanted = request.query_params.get("show") or None
        show = next((s for s in SHOWS if s == wanted), None)
        number = _page_number(request.query_params.get("page"))
        found = service.triage(tag, source)
        rows = [r for r in found.rows if show is None or r.shows(show)]
        total = len(rows)

        def link(**changed: Any) -> str:
            query = {"tag": tag, "register": source, "show": show, "page": None, **changed}
            return page_path("trials", query)

        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        return page(
            "list.html.j2",
            request,
            rows=rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
            total=total,
            watched=len(found.rows),
            counts=found.counts,
            needs_action=found.needs_action,
            show=show,
            shows={s: link(show=s) for s in SHOWS},
            everything=link(show=None),
            tag=tag,
            register=source,
            registers=sorted(SOURCES),
            previous=link(page=number - 1) if number > 1 else None,
            next=link(page=number + 1) if number < pages else None,
            number=number,
            pages=max(pages, 1),
        )

    def trial(request: Request) -> Response:
        trial_id = request.path_params["trial_id"]
        try:
            members = service.members(parse_trial_id(trial_id).value)
        except InvalidTrialId as e:
            return page("missing.html.j2", request, 404, message=str(e))
        if members:
            # A whole EUCTR trial: its member states, each with its own page.
            known = {w.trial_id: w for w in service.watches()}
            whole = known.get(parse_trial_id(trial_id).value)
            return page(
                "whole.html.j2",
                request,
                trial_id=parse_trial_id(trial_id).value,
                name=whole.title if whole and whole.title != whole.trial_id else None,
                members=[known[m] for m in members if m in known],
            )
        try:
            ctx = service.report(trial=trial_id)
            stored = service.watch(trial_id)
        except (UnknownTrial, InvalidTrialId) as e:
            return page("missing.html.j2", request, 404, message=str(e))
        return page(
            "trial.html.j2",
            request,
            ctx=ctx,
            t=ctx.trials[0],
            watch=stored,
            reviewed=request.query_params.get("reviewed") == "1",
            newer=request.query_params.get("newer"),
            note=(request.query_params.get("note") or "")[:500],
            timeline=Markup(ctx.timeline_svg),  # built with every value escaped
            linked=service.linked(stored.trial_id, stored.links or ()),
            unreviewed=[v.version for v in service.history(trial_id) if v.needs_review],
            seen=ctx.history[-1].version if ctx.history else 0,
        )

    def diff(request: Request) -> Response:
        trial_id = request.path_params["trial_id"]
        try:
            low = _version_number(request.query_params.get("from"))
            high = _version_number(request.query_params.get("to"))
        except ValueError as e:
            return page("missing.html.j2", request, 400, message=str(e))
        try:
            d = service.diff(trial_id, low, high)
        except (UnknownTrial, InvalidTrialId, ValueError) as e:
            return page("missing.html.j2", request, 404, message=str(e))
        return page(
            "diff.html.j2",
            request,
            d=d,
            # Major first, as in the e-mails and on the trial page.
            changes=change_views(d.changes),
            trial_id=d.new.trial_id,
            versions=service.history(trial_id),
        )

    async def review(request: Request) -> Response:
        form = await request.form()
        trial_id = str(form.get("trial_id") or "")
        note = str(form.get("note") or "").strip() or None
        try:
            trial_id = parse_trial_id(trial_id).value
            # The version the page showed: one stored since is not what was reviewed.
            shown = _version_number(str(form.get("seen") or "")) or 0
            seen = {trial_id: shown}
            await run_in_threadpool(
                lambda: service.review([trial_id], request.state.user, note, seen=seen)
            )
            latest = service.watch(trial_id).versions
        except (UnknownTrial, InvalidTrialId, InputError, ValueError) as e:
            return page("missing.html.j2", request, 404, message=str(e))
        after = {"reviewed": 1, "newer": latest if latest > shown else None}
        return RedirectResponse(page_path("trial", after, trial_id=trial_id), status_code=303)

    def export(request: Request) -> Response:
        trial_id = request.path_params["trial_id"]
        try:
            body = service.export([trial_id], "csv")
        except (UnknownTrial, InvalidTrialId) as e:
            return page("missing.html.j2", request, 404, message=str(e))
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{trial_id}-changes.csv"'},
        )

    def feed(_request: Request) -> Response:
        # With its charset: a browser that shows the feed reads its arrows and ellipses right.
        return Response(
            render_atom(service.report()), media_type="application/atom+xml; charset=utf-8"
        )

    def searches(request: Request) -> Response:
        return page("searches.html.j2", request, searches=service.searches())

    def search(request: Request) -> Response:
        try:
            found, memberships = service.search_history(request.path_params["search"])
        except UnknownSearch as e:
            return page("missing.html.j2", request, 404, message=str(e))
        watched = {w.trial_id for w in service.watches()}
        return page(
            "search.html.j2",
            request,
            search=found,
            events=list(reversed(search_events(found, memberships))),
            watched=watched,
        )

    def healthz(_request: Request) -> Response:
        status = service.status()
        return JSONResponse(status.to_json(), status_code=200 if status.healthy else 503)

    endpoints: dict[str, Any] = {
        "trials": trials,
        "diff": diff,
        "export": export,
        "trial": trial,
        "review": review,
        "feed": feed,
        "healthz": healthz,
        "searches": searches,
        "search": search,
    }
    return Starlette(
        routes=[
            Route(path, endpoints[name], name=name, methods=["POST"] if name == "review" else None)
            for name, path in PAGES.items()
        ]
    )


# No list has this many pages, no trial this many versions: a larger number is no request.
LARGEST = 10**9


def _page_number(text: str | None) -> int:
    """The page asked for; the first for anything that is not a page number, the last
    possible for one beyond it (the page then says there is nothing there)."""
    try:
        return min(max(1, int(text or 1)), LARGEST)
    except ValueError:
        return 1


def _version_number(text: str | None) -> int | None:
    """A version number from the address (``?from=3``); ``ValueError`` saying what is wrong."""
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= LARGEST:
        raise ValueError(f"{text[:40]!r} is not a version number")
    return int(text)
