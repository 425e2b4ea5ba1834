"""Quiz screens: set-up menus, the lobby, results, leaderboards and personal stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiogram.types import (
    DisabledButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    SwitchInlineQueryChosenChat,
)

from bot.library.deeplinks import Payload, deep_link
from bot.library.views import sources_line
from bot.quiz.lobby import ROUND_SIZE
from bot.quiz.tallies import UserStats
from bot.quiz.types import Standing
from bot.telegram.callbacks import QuizAction, QuizAnswerCb, QuizCb, QuizMenuCb
from bot.telegram.i18n import Html, Translator, quote
from bot.telegram.ui import Screen, button, columns, fit, keyboard, moment
from content.loader import Catalog
from content.models import Question

MEDALS = ("🥇", "🥈", "🥉")


def level_name(t: Translator, difficulty: int) -> str:
    return t.plain(f"quiz.level.{difficulty}")


def topic_name(catalog: Catalog, t: Translator, topic: str) -> str:
    found = catalog.topics.get(topic)
    return f"{found.emoji} {found.title.get(t.lang)}" if found else t.plain("quiz.all_topics")


def topic_menu(catalog: Catalog, t: Translator) -> Screen:
    buttons = [button(t.plain("quiz.all_topics"), QuizMenuCb(topic=""))]
    buttons += [
        button(f"{topic.emoji} {topic.title.get(t.lang)}", QuizMenuCb(topic=topic.id))
        for topic in catalog.topics.values()
    ]
    return Screen(t("quiz.choose_topic"), columns(buttons))


def level_menu(catalog: Catalog, t: Translator, topic: str) -> Screen:
    buttons = [
        button(level_name(t, difficulty), QuizMenuCb(topic=topic, difficulty=difficulty))
        for difficulty in range(4)
    ]
    return Screen(t("quiz.choose_level", topic=topic_name(catalog, t, topic)), columns(buttons, 2))


@dataclass(frozen=True, slots=True)
class Missed:
    question: Question
    right_answers: str
    explanation: str


def share_buttons(t: Translator, query: str) -> list[InlineKeyboardButton]:
    """ "Play this in a group" and "challenge a friend": Telegram lets the user pick a group, or
    a person, and puts ``@bot <query>`` in its input field, which offers ``quiz_card``."""
    return [
        InlineKeyboardButton(
            text=t.plain("quiz.share_group"),
            switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat(
                query=query, allow_group_chats=True
            ),
        ),
        InlineKeyboardButton(
            text=t.plain("quiz.challenge"),
            switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat(
                query=query, allow_user_chats=True
            ),
        ),
    ]


def quiz_card(
    catalog: Catalog, t: Translator, bot_username: str, quiz: Payload, chat_type: str | None
) -> InlineQueryResultArticle:
    """The shared quiz as a message: what it is, and deep links that start the same quiz. A
    button pressed under a message sent through inline mode tells the bot no chat, so the
    links do it: ``?startgroup=`` (in a group: the same game there, or in another) and
    ``?start=`` (alone); the recipient's own app language applies, so they carry none."""
    level, size = level_name(t, quiz.difficulty), quiz.size or ROUND_SIZE
    topic = topic_name(catalog, t, quiz.topic or "")
    payload = quiz.encode()
    alone = InlineKeyboardButton(
        text=t.plain("quiz.card_alone"), url=deep_link(bot_username, payload)
    )
    rows = [[alone]]
    if chat_type in {"group", "supergroup"}:
        in_group = deep_link(bot_username, payload, group=True)
        rows.insert(0, [InlineKeyboardButton(text=t.plain("quiz.card_group"), url=in_group)])
    else:
        rows = [[alone.model_copy(update={"text": t.plain("quiz.card_accept")})]]
    return InlineQueryResultArticle(
        id="quiz-card",
        title=t.plain("quiz.card", topic=topic, level=level, size=size).split("\n")[0],
        description=t.plain("quiz.card_description", level=level, size=size),
        input_message_content=InputTextMessageContent(
            message_text=t("quiz.card", topic=topic, level=level, size=size)
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


def private_result(
    t: Translator, round_id: int, right: int, total: int, missed: list[Missed], share: str
) -> Screen:
    lines: list[str] = [t("quiz.result", right=right, count=total)]
    if not missed and total:
        lines.append(t("quiz.perfect"))
    lines += [
        f"❌ {quote(item.question.text.get(t.lang))}\n"
        f"✅ <b>{quote(item.right_answers)}</b>\n<i>{quote(item.explanation)}</i>"
        for item in missed
    ]
    buttons = [button(t.plain("quiz.again"), QuizCb(action=QuizAction.AGAIN, round=round_id))]
    if missed:
        buttons.append(
            button(
                t.plain("quiz.review_mistakes"), QuizCb(action=QuizAction.REVIEW, round=round_id)
            )
        )
    return Screen(fit(Html("\n\n".join(lines))), columns([*buttons, *share_buttons(t, share)]))


@dataclass(frozen=True, slots=True)
class Countdown:
    seconds: int  # left, as the lobby is drawn
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class LobbyState:
    round_id: int
    topic: str
    difficulty: int
    size: int
    seconds: int
    private_answers: bool
    players: list[str]
    countdown: Countdown | None  # before the automatic start


def lobby(catalog: Catalog, t: Translator, state: LobbyState) -> Screen:
    answers = t.plain("quiz.answers_private" if state.private_answers else "quiz.answers_public")
    names = ", ".join(quote(name) for name in state.players) or "—"
    text = t(
        "quiz.lobby",
        topic=topic_name(catalog, t, state.topic),
        level=level_name(t, state.difficulty),
        size=state.size,
        seconds=state.seconds,
        answers=answers,
        count=len(state.players),
        players=Html(names),
    )
    if state.countdown is not None:
        # Relative, so each reader's app counts down on its own between the lobby's edits.
        left = t.plain("quiz.in_seconds", seconds=state.countdown.seconds)
        when = moment(state.countdown.starts_at, left, "r")
        text = Html(f"{text}\n{t('quiz.countdown', when=when)}")

    def act(label: str, action: QuizAction) -> InlineKeyboardButton:
        return button(label, QuizCb(action=action, round=state.round_id))

    rows = [
        [
            act(t.plain("quiz.join"), QuizAction.JOIN),
            act(t.plain("quiz.start"), QuizAction.START),
        ],
        [
            act(f"📚 {topic_name(catalog, t, state.topic)}"[:40], QuizAction.TOPIC),
            act(f"🎚 {level_name(t, state.difficulty)}", QuizAction.LEVEL),
        ],
        [
            act(t.plain("quiz.size_button", size=state.size), QuizAction.SIZE),
            act(t.plain("quiz.seconds_button", seconds=state.seconds), QuizAction.SECONDS),
        ],
        [
            act(f"{'🔒' if state.private_answers else '👁'} {answers}", QuizAction.PRIVATE),
            act(t.plain("quiz.cancel"), QuizAction.CANCEL),
        ],
    ]
    return Screen(text, keyboard(*rows))


def answer_buttons(
    round_id: int, position: int, options: tuple[str, ...], *, closed: bool = False,
    correct: tuple[int, ...] = (), pressed: int | None = None,
) -> InlineKeyboardMarkup:  # fmt: skip
    """The options of a question asked with buttons. ``closed`` (time is up, or what the player
    who answered sees): disabled, the right answers green and a wrong ``pressed`` one red."""

    def option_button(index: int, option: str) -> InlineKeyboardButton:
        label = f"{chr(ord('A') + index)}. {option}"
        if not closed:
            return button(label, QuizAnswerCb(round=round_id, pos=position, option=index))
        style = "success" if index in correct else "danger" if index == pressed else None
        return InlineKeyboardButton(text=label, style=style, disabled=DisabledButton())

    return columns([option_button(index, option) for index, option in enumerate(options)])


def private_verdict(
    catalog: Catalog, t: Translator, asked: Html, question: Question,
    answered: InlineKeyboardMarkup, *, right: bool,
) -> Screen:  # fmt: skip
    """What the player who pressed sees in place of the question: the verdict, the whole
    explanation and its sources, and the buttons with their choice marked."""
    verdict = t("quiz.alert_right" if right else "quiz.alert_wrong")
    text = (
        f"{asked}\n\n<b>{verdict}</b>\n{quote(question.explanation.get(t.lang))}\n\n"
        f"{sources_line(catalog, question.cite, t)}\n{t('quiz.only_you')}"
    )
    return Screen(fit(Html(text)), answered)


def standings_lines(t: Translator, standings: list[Standing]) -> list[str]:
    lines: list[str] = []
    for place, standing in enumerate(standings):
        medal = MEDALS[place] if place < len(MEDALS) and standing.points else f"{place + 1}."
        lines.append(
            t(
                "quiz.standing",
                medal=medal,
                name=standing.name,
                points=standing.points,
                seconds=round(standing.time_ms / 1000, 1),
            )
        )
    return lines


def group_result(
    t: Translator, round_id: int, standings: list[Standing], private: bool, missed: bool,
    asked: int,
) -> Screen:  # fmt: skip
    if private:
        right = sum(s.points for s in standings)
        answered = sum(s.answered for s in standings)
        text = t(
            "quiz.private_totals",
            players=len(standings),
            right=right,
            answered=answered,
            asked=asked,
        )
    else:
        lines: list[str] = [t("quiz.group_result", asked=asked)]
        lines += standings_lines(t, standings) or [t("quiz.nobody_played")]
        text = Html("\n".join(lines))
    markup = None
    if missed:
        markup = keyboard(
            [
                button(
                    t.plain("quiz.group_missed"), QuizCb(action=QuizAction.MISSED, round=round_id)
                )
            ]
        )
    return Screen(fit(text), markup)


def paused(t: Translator, round_id: int) -> Screen:
    return Screen(
        t("quiz.paused"),
        keyboard(
            [button(t.plain("quiz.resume"), QuizCb(action=QuizAction.RESUME, round=round_id))]
        ),
    )


def leaderboard(t: Translator, month: list[Standing], all_time: list[Standing]) -> Screen:
    lines: list[str] = [t("quiz.top_month")]
    lines += standings_lines(t, month) or [t("quiz.top_empty")]
    lines += ["", t("quiz.top_all")]
    lines += standings_lines(t, all_time) or [t("quiz.top_empty")]
    return Screen(Html("\n".join(lines)))


def stats(catalog: Catalog, t: Translator, numbers: UserStats) -> Screen:
    if not numbers.answered:
        return Screen(t("quiz.stats_empty"))
    accuracy = round(100 * numbers.right / numbers.answered)
    lines: list[str] = [
        t("quiz.stats_header", answered=numbers.answered, right=numbers.right, accuracy=accuracy),
        t("quiz.stats_streak", count=numbers.streak_days),
        "",
        t("quiz.stats_by_topic"),
    ]
    for topic_id, (right, answered) in sorted(
        numbers.by_topic.items(), key=lambda item: item[1][0] / item[1][1]
    ):
        lines.append(
            f"{quote(topic_name(catalog, t, topic_id))}: {right}/{answered}"
            f" ({round(100 * right / answered)}%)"
        )
    lines.append("")
    if numbers.due and numbers.review_topic:
        lines.append(
            t(
                "quiz.stats_review",
                count=numbers.due,
                topic=topic_name(catalog, t, numbers.review_topic),
            )
        )
    else:
        lines.append(t("quiz.stats_nothing_due"))
    practice = button(t.plain("quiz.practice"), QuizMenuCb(topic=numbers.review_topic or ""))
    return Screen(fit(Html("\n".join(lines))), keyboard([practice]))
