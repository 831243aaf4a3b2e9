"""Who may use the web view: `serve.password_file`, one `user:password` a line, the password
as written or as a bcrypt hash (`htpasswd -B`, `python -m bcrypt`), so that a file that leaks
does not give the passwords away. Each review made in the browser names its signed-in user.
"""

from __future__ import annotations

import hashlib
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from watcher.errors import ConfigError

KEY = "serve.password_file"
# bcrypt's prefixes, as htpasswd and the bcrypt library write them.
_HASHED = ("$2a$", "$2b$", "$2y$")


@dataclass
class Users:
    """The people of a password file, and the sign-ins already checked (a bcrypt check takes
    a quarter of a second, and a browser sends its credentials with every request)."""

    passwords: dict[str, str]
    _checked: set[tuple[str, str]] = field(default_factory=set)

    def signed_in(self, user: str, password: str) -> bool:
        stored = self.passwords.get(user)
        if stored is None:
            secrets.compare_digest(password, password)  # the same work for an unknown user
            return False
        seen = (user, hashlib.sha256(password.encode()).hexdigest())
        if seen in self._checked:
            return True
        if stored.startswith(_HASHED):
            import bcrypt

            ok = bcrypt.checkpw(password.encode(), stored.encode())
        else:
            ok = secrets.compare_digest(password.encode(), stored.encode())
        if ok:
            self._checked.add(seen)
        return ok


def read_users(path: str, origin: str) -> Users:
    """The users of the password file, which only its owner (and group) may read; a line that
    is not `user:password` is refused, naming the file and the line. A file of one line
    without a colon is the password of user ``watcher``."""
    file = Path(path).expanduser()
    try:
        mode = file.stat().st_mode
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(origin, KEY, f"cannot read {path} ({e.strerror})") from None
    if mode & stat.S_IROTH:
        raise ConfigError(
            origin,
            KEY,
            f"{path} is readable by every user of this machine; make it yours alone "
            f"(chmod 600 {path})",
        )
    kept = [(n, line.strip()) for n, line in enumerate(lines, 1)]
    kept = [(n, line) for n, line in kept if line and not line.startswith("#")]
    if len(kept) == 1 and ":" not in kept[0][1]:
        return Users({"watcher": kept[0][1]})
    passwords: dict[str, str] = {}
    for n, line in kept:
        user, sep, password = line.partition(":")
        user = user.strip()
        if not sep or not user or not password:
            raise ConfigError(origin, KEY, f"{path} line {n}: expected user:password")
        if user in passwords:
            raise ConfigError(origin, KEY, f"{path} line {n}: {user!r} is there twice")
        if password.startswith("$2") and not password.startswith(_HASHED):
            raise ConfigError(origin, KEY, f"{path} line {n}: not a bcrypt hash watcher reads")
        passwords[user] = password
    if not passwords:
        raise ConfigError(origin, KEY, f"{path} holds no password")
    return Users(passwords)
