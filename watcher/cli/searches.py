"""Saved searches: `follow` (save one, list them, one's history) and `unfollow`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from watcher.cli.app import App, cli, echo_json, iso, json_option, pass_app
from watcher.core.display import when

if TYPE_CHECKING:
    from watcher.core.searches import SavedSearch, SearchNews


@cli.command()
@click.argument("name", required=False)
@click.option("--source", help="The register searched: ctgov, ctis, isrctn or euctr.")
@click.option(
    "--query",
    help="The register's own search: query.spons=Acme&filter.overallStatus=RECRUITING (ctgov), "
    "the searchCriteria JSON (ctis), q=… (isrctn), query=… (euctr).",
)
@click.option("--watch", is_flag=True, help="Watch every trial the search matches.")
@click.option("--tag", "tags", multiple=True, help="A tag for the trials it watches.")
@click.option("--every", help="Its own interval (24h, 7d); default: the check interval.")
@click.option("--list", "listing", is_flag=True, help="List the saved searches.")
@click.option("--history", is_flag=True, help="When each trial entered and left the search.")
@json_option
@pass_app
def follow(
    app: App,
    name: str | None,
    source: str | None,
    query: str | None,
    watch: bool,
    tags: tuple[str, ...],
    every: str | None,
    listing: bool,
    history: bool,
    as_json: bool,
) -> None:
    """Save a search of a register and run it once (its matches now are the baseline); each
    check reports the trials that newly match it and those that left it."""
    if listing:
        _list(app.service.searches(), as_json)
        return
    if name is None:
        raise click.UsageError("give a NAME (or --list)")
    if history:
        _history(app, name, as_json)
        return
    if source is None or query is None:
        raise click.UsageError("a new search needs --source and --query")
    news = app.service.follow(name, source, query, watch=watch, tags=tags, every=every)
    if as_json:
        echo_json(news_json(news))
        return
    click.echo(
        f'Following "{name}" ({source}): {news.matches} trial(s) match now (the baseline, '
        "not reported as new)" + (f"; {len(news.watched)} now watched" if watch else "")
    )
    if news.capped:
        click.echo(f"Capped: {news.why_capped}; narrow the search to see them all.")


def _list(searches: Sequence[SavedSearch], as_json: bool) -> None:
    if as_json:
        echo_json(
            [
                {
                    "name": s.name,
                    "source": s.source,
                    "query": s.query,
                    "matches": s.matches,
                    "total": s.total,
                    "last_run_at": iso(s.last_run_at),
                    "capped": s.capped,
                    "watch": s.watch,
                    "tags": list(s.tags),
                    "every": s.every,
                    "last_error": s.last_error,
                }
                for s in searches
            ]
        )
        return
    if not searches:
        click.echo("No saved searches (`watcher follow NAME --source … --query …` adds one).")
    for s in searches:
        extra = " CAPPED by the register;" if s.capped else ""
        failing = f" last run failed: {s.last_error};" if s.last_error else ""
        click.echo(
            f"{s.name} ({s.source}{', watched' if s.watch else ''}): {s.matches} match(es);"
            f"{extra}{failing} last run {when(s.last_run_at)}  {s.query}"
        )


def _history(app: App, name: str, as_json: bool) -> None:
    from watcher.core.searches import search_events

    search, memberships = app.service.search_history(name)
    events = search_events(search, memberships)
    if as_json:
        echo_json(
            [
                {
                    "at": iso(e.at),
                    "entered": [m.trial_id for m in e.entered],
                    "left": [g.match.trial_id for g in e.left],
                }
                for e in events
            ]
        )
        return
    status = f", unfollowed {when(search.unfollowed_at)}" if search.unfollowed_at else ""
    click.echo(f'Search "{name}" ({search.source}{status}): {search.query}')
    for e in events:
        click.echo(f"{when(e.at)}{' (baseline)' if e.baseline else ''}:")
        for m in e.entered:
            click.echo(f"  entered {m.trial_id}" + (f" {m.title}" if m.title else ""))
        for g in e.left:
            click.echo(f"  left {g.match.trial_id}" + (f": {g.why}" if g.why else ""))


@cli.command()
@click.argument("name")
@pass_app
def unfollow(app: App, name: str) -> None:
    """Stop following a saved search (its history is kept)."""
    app.service.unfollow(name)
    click.echo(f'No longer following "{name}" (its history is kept: follow {name} --history).')


def news_json(news: SearchNews) -> dict[str, object]:
    """A search's run as ``check --json`` gives it (contract §1)."""
    return {
        "name": news.name,
        "new": [m.trial_id for m in news.entered],
        "left": [left.match.trial_id for left in news.left],
        "capped": news.capped,
        "matches": news.matches,
        "total": news.total,
        "watched": list(news.watched),
        "error": news.error,
    }
