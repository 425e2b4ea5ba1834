"""Routers, each built fresh by its module's ``setup()`` (a Router can be attached only once)."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    admin,
    content,
    errors,
    fallback,
    inline,
    language,
    membership,
    quiz,
    reminders,
    search,
    start,
)


def setup_routers() -> list[Router]:
    # Order matters: specific handlers first, the catch-all fallback last.
    return [
        errors.setup(),
        membership.setup(),
        admin.setup(),
        quiz.setup(),
        reminders.setup(),
        start.setup(),
        language.setup(),
        content.setup(),
        inline.setup(),
        search.setup(),
        fallback.setup(),
    ]
