"""The exceptions watcher raises on purpose.

Every error a user can cause or meet is a ``WatcherError``; the CLI turns it into
``Error: <what>: <why>`` and an exit code, anything else is a bug and keeps its traceback.

    WatcherError
    ├── ConfigError                  bad config file, key or value (names file and key)
    ├── UnknownSource (LookupError)  a register adapter that does not exist or cannot serve
    ├── InvalidTrialId (ValueError)  text that is no register's trial ID
    ├── InputError (ValueError)      a user's file that cannot be read as asked (names file, line)
    ├── UnknownTrial (LookupError)   a trial ID or version that is not in the database
    ├── RegistryError                anything about one register and one record
    │   ├── FetchError               the register could not be reached or answered an error
    │   │   ├── RecordNotFound (LookupError)   the register says it has no such record
    │   │   └── AnswerCutShort       a streamed answer stopped midway
    │   └── NormalizeError           the register answered, but not with a record we can read
    │       └── FormatChanged        the answer lost most of the record: the format changed?
    ├── StoreError                   the database refused or is not usable
    │   └── VersionConflict          another process stored a version of the trial meanwhile
    └── NotifyError                  a message could not be delivered (it stays queued)
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base of every error watcher raises on purpose."""


class ConfigError(WatcherError):
    def __init__(self, source: str, key: str | None, why: str) -> None:
        self.source = source
        self.key = key
        self.why = why
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {why}")


class InvalidTrialId(WatcherError, ValueError):
    def __init__(self, text: str, why: str) -> None:
        self.text = text
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"{shown!r}: {why}")


class InputError(WatcherError, ValueError):
    def __init__(self, source: str, why: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        where = f"{source} line {line}" if line is not None else source
        super().__init__(f"{where}: {why}")


class UnknownTrial(WatcherError, LookupError):
    def __init__(self, trial_id: str, why: str = "not watched") -> None:
        self.trial_id = trial_id
        super().__init__(f"{trial_id}: {why}")


class UnknownSearch(WatcherError, LookupError):
    def __init__(self, name: str, why: str = "no saved search of this name") -> None:
        self.name = name
        super().__init__(f"{name}: {why}")


class RegistryError(WatcherError):
    def __init__(self, source: str, trial_id: str | None, why: str) -> None:
        self.source = source
        self.trial_id = trial_id
        self.why = why
        who = f"{source} {trial_id!r}" if trial_id else source
        super().__init__(f"{who}: {why}")


class FetchError(RegistryError):
    """Transport failures and HTTP errors. ``retryable``: whether a later try may succeed;
    ``status``: the HTTP status, if the register answered; ``unreachable``: it did not (a
    refused connection, a timeout)."""

    def __init__(
        self,
        source: str,
        trial_id: str | None,
        why: str,
        *,
        retryable: bool = True,
        status: int | None = None,
        unreachable: bool = False,
    ) -> None:
        self.retryable = retryable
        self.status = status
        self.unreachable = unreachable
        super().__init__(source, trial_id, why)


class RecordNotFound(FetchError, LookupError):
    def __init__(self, source: str, trial_id: str, why: str = "the register has no such record"):
        super().__init__(source, trial_id, why, retryable=False)


class AnswerCutShort(FetchError):
    """The register stopped answering in the middle of a streamed answer: the records read
    before are whole, the others are still to fetch."""

    def __init__(self, source: str, why: str) -> None:
        super().__init__(source, None, why, unreachable=True)


class NormalizeError(RegistryError):
    pass


class FormatChanged(NormalizeError):
    """A fetched record lost most of what its last version had at once: the register has
    more likely changed its format than the trial its record. Nothing is stored."""

    def __init__(self, source: str, trial_id: str, lost: list[str], had: int) -> None:
        self.lost = lost
        super().__init__(
            source,
            trial_id,
            f"the register's format may have changed: the record lost {len(lost)} of its "
            f"{had} filled fields at once ({', '.join(lost)}); not stored, the last version "
            "stays the latest",
        )


class UnknownSource(WatcherError, LookupError):
    def __init__(self, name: str, why: str) -> None:
        self.name = name
        super().__init__(f"source {name!r}: {why}")


class StoreError(WatcherError):
    pass


class VersionConflict(StoreError):
    """Another process stored a version of the same trial in the meantime."""


class NotifyError(WatcherError):
    pass
