"""Alerts, digests and reports: ``context`` builds what they say (pure), ``render`` how they
look (Jinja2, Atom), ``compose`` the messages that carry them."""
