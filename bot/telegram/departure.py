"""The moment a message's request leaves, for a sender that must know whether it may have.

A reminder claimed but not yet sent can safely be sent again by another replica if its process
dies; one whose request may have reached Telegram cannot (``bot/reminders/delivery.py``). The
only moment that tells the two apart is when the rate limiter lets the request go, which may be
seconds after the send was called: the limiter keeps the hook the sending task set with
``on_departure`` with the queued request, and the queue's leader awaits it right before it
lets the request go (so the queue waits for the hook, and the request leaves at its turn). The
hooks of requests let go at one moment (a burst, or what fell due while the last hooks ran)
run together, so a sender writes them in one statement (``storage/group_commit.py``) and a
fan-out's pace is not one database round trip per message. The hook may raise to stop the
request (its claim was lost): its turn is given back and the error is raised in the sending
task. It runs again for each turn the request takes (a retry after a 429), so it must be
idempotent.

A 429 says the request was not carried out: the rate limiter awaits the sender's ``held_back``
hook before it waits ``retry_after``, so a process that dies during that wait (which may last
a minute) leaves the message as never sent, not as one that may have been.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

DepartureHook = Callable[[], Awaitable[None]]

_hook: ContextVar[DepartureHook | None] = ContextVar("departure_hook", default=None)
_held_back: ContextVar[DepartureHook | None] = ContextVar("held_back_hook", default=None)


@contextmanager
def on_departure(hook: DepartureHook, *, held_back: DepartureHook | None = None) -> Iterator[None]:
    """``hook`` is awaited right before each paced request made inside leaves (messages and
    edits; not the other calls made on the way, such as paid broadcast's balance check);
    ``held_back`` when Telegram answered one of them with a 429 (it did not leave after all)."""
    token, held_token = _hook.set(hook), _held_back.set(held_back)
    try:
        yield
    finally:
        _held_back.reset(held_token)
        _hook.reset(token)


def current_hook() -> DepartureHook | None:
    """The current task's hook: the rate limiter keeps it with the request it queues."""
    return _hook.get()


def current_held_back() -> DepartureHook | None:
    """The current task's hook for a request Telegram did not carry out (a 429)."""
    return _held_back.get()
