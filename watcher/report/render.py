"""How a ``ReportContext`` looks: Jinja2 templates (``templates/``, overridable with
``report.templates_dir``) for text and HTML, and Atom for feed readers. Register values reach
HTML only through Jinja's autoescape."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from xml.etree import ElementTree

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from watcher.config import Settings
from watcher.core.display import when
from watcher.report.context import ReportContext
from watcher.resources import data_dir


def environment(settings: Settings) -> Environment:
    loaders = [FileSystemLoader(str(data_dir("templates")))]
    if settings.templates_dir:
        loaders.insert(0, FileSystemLoader(str(Path(settings.templates_dir).expanduser())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Times as the office reads them: in its time zone (display.timezone).
    env.filters["when"] = partial(when, zone=settings.zone)
    return env


def render(ctx: ReportContext, template: str, settings: Settings) -> str:
    values = {f: getattr(ctx, f) for f in ctx.__dataclass_fields__}
    values["timeline_svg"] = Markup(ctx.timeline_svg)  # built with every value escaped
    return environment(settings).get_template(template).render(**values)


def render_atom(ctx: ReportContext, feed_id: str = "urn:watcher:changes") -> str:
    """An Atom feed: one entry per trial with changes."""
    ns = "http://www.w3.org/2005/Atom"
    ElementTree.register_namespace("", ns)
    feed = ElementTree.Element(f"{{{ns}}}feed")

    def sub(
        parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str
    ) -> ElementTree.Element:
        el = ElementTree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "title", ctx.title)
    sub(feed, "id", feed_id)
    # When the changes were found, never when the feed was drawn: a feed reader shows an
    # entry as new only when it is.
    found = [t.found_at for t in ctx.trials if t.found_at is not None]
    sub(feed, "updated", (max(found) if found else ctx.period_end).isoformat())
    author = sub(feed, "author")
    sub(author, "name", "watcher")
    for trial in ctx.trials:
        entry = sub(feed, "entry")
        label = f" ({trial.label})" if trial.label else ""
        sub(
            entry,
            "title",
            f"{trial.trial_id}{label}: {trial.counts['major']} major, "
            f"{trial.counts['minor']} minor changes",
        )
        sub(entry, "id", f"urn:watcher:{trial.trial_id}:v{trial.version_to}")
        sub(entry, "updated", (trial.found_at or ctx.period_end).isoformat())
        if trial.url:
            sub(entry, "link", href=trial.url)
        sub(
            entry,
            "content",
            "\n".join(f"[{c.significance}] {c.summary}" for c in trial.changes),
            type="text",
        )
    return ElementTree.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"
