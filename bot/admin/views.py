"""The /admin report as the owners read it."""

from __future__ import annotations

from bot.admin.report import Report
from bot.reminders.types import DeliveryStatus
from bot.telegram.i18n import Html, Translator


def _by_language(counts: dict[str, int]) -> str:
    return ", ".join(f"{lang}: {count}" for lang, count in sorted(counts.items())) or "0"


def report_text(t: Translator, report: Report) -> Html:
    deliveries = report.deliveries
    # A delivery of unknown outcome most likely arrived, but nobody can say: it counts as failed.
    failed = deliveries.get(DeliveryStatus.FAILED, 0) + deliveries.get(DeliveryStatus.UNKNOWN, 0)
    return t(
        "admin.report",
        chats=_by_language(report.chats),
        users=_by_language(report.users),
        subscriptions=report.subscriptions,
        sent=deliveries.get(DeliveryStatus.SENT, 0),
        missed=deliveries.get(DeliveryStatus.MISSED, 0),
        failed=failed,
        rounds=report.rounds,
    )
