"""A register's list of updates, asked once a run (watcher/updates.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from watcher.errors import FetchError
from watcher.sources.http import Fetcher
from watcher.updates import UpdateLists

DAY = date(2026, 12, 1)


class Register:
    """Answers the list of updates, counting the times it is asked."""

    def __init__(self, *answers: set[str] | Exception | None) -> None:
        self.answers = list(answers)
        self.asked: list[date] = []

    def updated_since(self, fetcher: Any, since: date, most: int) -> set[str] | None:
        self.asked.append(since)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def ask(lists: UpdateLists, register: Register, since: date, most: int = 5) -> set[str] | None:
    return lists.updated("ctgov", register, cast(Fetcher, None), since, most)


def test_one_list_serves_a_run_and_is_asked_again_from_an_older_day() -> None:
    register, lists = Register({"NCT1"}, {"NCT2"}, {"NCT3"}), UpdateLists()
    assert ask(lists, register, DAY) == {"NCT1"}
    # A later page whose trials were fetched after the list's day: the same list.
    later = DAY + timedelta(days=2)
    assert ask(lists, register, later) == {"NCT1"}
    # One fetched before it: the list from its own day.
    earlier = DAY - timedelta(days=1)
    assert ask(lists, register, earlier) == {"NCT2"}
    assert ask(lists, register, DAY) == {"NCT2"}
    # The next run asks again.
    lists.new_run()
    assert ask(lists, register, DAY) == {"NCT3"}
    assert register.asked == [DAY, earlier, DAY]


def test_a_list_that_cannot_be_read_is_not_asked_for_again_in_the_run() -> None:
    register, lists = Register(FetchError("ctgov", None, "HTTP 503"), {"NCT1"}), UpdateLists()
    assert ask(lists, register, DAY) is None
    # Every trial of the run is fetched, without a failing request for each page.
    assert ask(lists, register, DAY) is None
    assert len(register.asked) == 1
