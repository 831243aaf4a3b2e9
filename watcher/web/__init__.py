"""`watcher serve`: the office's web view over the same database as the daemon.

- ``app``: the Starlette application (routes, templates) over the service;
- ``guard``: what keeps it safe: HTTP Basic credentials, security headers, anti-forgery tokens;
- ``server``: when it may listen where, and uvicorn running it until SIGTERM.
"""
