"""The /admin report as the owners read it."""

from __future__ import annotations

from bot.admin.report import PaidReport, Report
from bot.reminders.types import DeliveryStatus
from bot.telegram.i18n import Html, Translator


def _by_language(counts: dict[str, int]) -> str:
    return ", ".join(f"{lang}: {count}" for lang, count in sorted(counts.items())) or "0"


def report_text(t: Translator, report: Report) -> Html:
    deliveries = report.deliveries
    # A delivery of unknown outcome most likely arrived, but nobody can say: it counts as failed.
    failed = deliveries.get(DeliveryStatus.FAILED, 0) + deliveries.get(DeliveryStatus.UNKNOWN, 0)
    text = t(
        "admin.report",
        chats=_by_language(report.chats),
        users=_by_language(report.users),
        subscriptions=report.subscriptions,
        sent=deliveries.get(DeliveryStatus.SENT, 0),
        missed=deliveries.get(DeliveryStatus.MISSED, 0),
        failed=failed,
        rounds=report.rounds,
    )
    paid = report.paid
    return Html("\n\n".join([text, paid_text(t, paid) if paid else t("admin.paid_off")]))


def paid_text(t: Translator, paid: PaidReport) -> Html:
    lines = [
        t("admin.paid_next", day=f"{paid.next_at:%d.%m.%Y %H:%M} UTC", count=paid.next_messages,
          stars=paid.next_cost)
        if paid.next_at
        else t("admin.paid_no_next")
    ]  # fmt: skip
    balance = paid.balance
    lines.append(t("admin.paid_balance", stars="?" if balance is None else balance))
    if balance is not None and paid.next_at and balance < paid.next_cost:
        lines.append(t("admin.paid_short", stars=paid.next_cost - balance))
    if paid.last is not None:
        spent = paid.last.stars
        lines.append(
            t("admin.paid_last", day=f"{paid.last.started:%d.%m.%Y %H:%M} UTC",
              count=paid.last.paid_messages, stars="?" if spent is None else spent)
        )  # fmt: skip
    if paid.stopped is not None:
        lines.append(
            t("admin.paid_stopped", day=f"{paid.stopped.at:%d.%m.%Y %H:%M} UTC",
              reason=paid.stopped.reason)
        )  # fmt: skip
    return Html("\n".join(lines))
