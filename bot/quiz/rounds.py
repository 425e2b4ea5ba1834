"""The question flow of a quiz round: ask, answer, time out, finish.

A round moves from one question to the next only through ``_claim_next`` (a compare-and-set
on the round's position), so a last answer and the timer racing each other cannot send a
question twice. ``QuizService`` (service.py) adds lobbies, private practice and stats.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import EphemeralMessageParameters, InlineKeyboardMarkup

from bot.clock import Clock
from bot.library.deeplinks import quiz_payload
from bot.quiz import views
from bot.quiz.engine import PollSpec, after_answer, answer_positions, is_right, shuffle_for_send
from bot.quiz.polls import QuizPolls
from bot.quiz.tallies import ALL_TIME, month_of, standings
from bot.quiz.types import (
    AnswerMode,
    Asked,
    Round,
    RoundChange,
    RoundKind,
    RoundStatus,
    button_poll_id,
)
from bot.telegram.compat import EphemeralUnsupported
from bot.telegram.errors import ButtonExpired, UserFacingError
from bot.telegram.i18n import Html, Translator, resolve_language
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.ui import Screen, shorten
from content.loader import Catalog
from content.models import Question
from storage.quiz import QuizRepository

log = logging.getLogger(__name__)

DEFAULT_OPEN_PERIOD = 20
# Answers can arrive a moment after the poll closes on Telegram's side; keep the question
# open this much longer before moving on.
GRACE = timedelta(seconds=2)
AUTO_START = timedelta(seconds=30)
SILENT_QUESTIONS_BEFORE_PAUSE = 2
LOBBY_TIMEOUT = timedelta(minutes=15)
PAUSE_TIMEOUT = timedelta(hours=2)
REVIEW_SIZE = 3
ALERT_MAX = 200
# Lobby edits are optional: keep this many messages of the group's minute for the game.
LOBBY_RESERVE = 6


class QuizError(UserFacingError):
    """A quiz action that cannot happen now."""


class QuizRounds:
    def __init__(
        self,
        repo: QuizRepository,
        catalog: Catalog,
        clock: Clock,
        limiter: RateLimiter,
        timezone: str,
        rng: random.Random | None = None,
    ) -> None:
        self.repo = repo
        self.catalog = catalog
        self.clock = clock
        self.limiter = limiter
        self.zone = ZoneInfo(timezone)
        self.rng = rng or random.Random()
        self.polls = QuizPolls(catalog)

    def _t(self, lang: str) -> Translator:
        return Translator(self.catalog.ui, resolve_language(lang, "ru"))

    async def _claim_next(self, round_: Round, expected: int) -> int | None:
        """Move the round from question ``expected`` to the next one; None if someone else did."""
        position = expected + 1
        deadline = None
        if round_.kind == RoundKind.GROUP:
            deadline = self.clock.now() + timedelta(seconds=round_.open_period) + GRACE
        change = RoundChange(
            current=position, deadline=deadline, clear_deadline=deadline is None,
            silent_streak=round_.silent_streak,
        )  # fmt: skip
        claimed = await self.repo.update_round(
            round_.id, change, expect_status=RoundStatus.RUNNING, expect_current=expected
        )
        return position if claimed else None

    async def _ask_next(self, bot: Bot, round_: Round, expected: int) -> None:
        if expected + 1 >= len(round_.question_ids):
            await self._finish(bot, round_)
            return
        position = await self._claim_next(round_, expected)
        if position is None:
            return
        await self._close_buttons(bot, round_, expected)
        await self._send_question(bot, round_, position)

    async def _close_buttons(self, bot: Bot, round_: Round, position: int) -> None:
        """In private answering mode, a finished question gets its count, and its buttons are
        disabled with the right answer marked (Bot API 10.3; an older server drops them)."""
        if round_.mode != AnswerMode.BUTTONS or position < 0:
            return
        asked = await self.repo.asked_at(round_.id, position)
        if asked is None or not self.limiter.has_room(round_.chat_id, keep=2):
            return  # the buttons stay; a late press is told the question is closed
        answered = await self.repo.answer_count(asked.poll_id)
        t = self._t(round_.lang)
        text, markup = t("quiz.time_up", count=answered), None
        question = self.catalog.questions.get(asked.question_id)
        if question is not None:  # not removed from the content since
            spec = self._spec(round_, position, question)
            text = Html(f"{self._button_question(t, round_, position, spec)}\n\n{text}")
            markup = views.answer_buttons(
                round_.id, position, spec.options, closed=True, correct=spec.correct
            )
        await self._edit(bot, round_.chat_id, asked.message_id, text, markup)

    def _spec(self, round_: Round, position: int, question: Question) -> PollSpec:
        """The question as sent: options shuffled, the right one at its balanced place.
        Buttons are drawn again when the question closes or is answered, so their order is
        seeded by the question's place in its round; a poll's order stays with Telegram."""
        lang = resolve_language(round_.lang, "ru")
        targets = answer_positions(
            len(round_.question_ids), len(question.options.ru), random.Random(round_.id)
        )
        rng = self.rng
        if round_.mode == AnswerMode.BUTTONS:
            rng = random.Random(f"{round_.id}:{position}")
        explanation = self.catalog.poll_explanation(question, lang)
        return shuffle_for_send(question, lang, explanation, rng, targets[position])

    def _button_question(
        self, t: Translator, round_: Round, position: int, spec: PollSpec
    ) -> Html:
        prefix = f"[{position + 1}/{len(round_.question_ids)}] "
        return t(
            "quiz.button_question", prefix=prefix, question=spec.question,
            seconds=round_.open_period,
        )  # fmt: skip

    async def _send_question(self, bot: Bot, round_: Round, position: int) -> None:
        question = self.catalog.questions.get(round_.question_ids[position])
        if question is None:  # removed from the content since the round began
            await self._ask_next(bot, await self._reload(round_), position)
            return
        spec = self._spec(round_, position, question)
        prefix = f"[{position + 1}/{len(round_.question_ids)}] "
        if round_.mode == AnswerMode.BUTTONS:
            message = await bot.send_message(
                round_.chat_id,
                self._button_question(self._t(round_.lang), round_, position, spec),
                reply_markup=views.answer_buttons(round_.id, position, spec.options),
            )
            poll_id = button_poll_id(round_.id, position)
        else:
            message = await self.polls.send(
                bot, round_.chat_id, question, spec, resolve_language(round_.lang, "ru"), prefix,
                round_.open_period if round_.kind == RoundKind.GROUP else None,
            )  # fmt: skip
            assert message.poll is not None
            poll_id = message.poll.id
        # The clock is read after sending: the rate limiter may have made the send wait, and
        # Telegram starts the poll's open period when the poll arrives.
        now = self.clock.now()
        closes_at = None
        if round_.kind == RoundKind.GROUP:
            closes_at = now + timedelta(seconds=round_.open_period)
            await self.repo.update_round(round_.id, RoundChange(deadline=closes_at + GRACE))
        await self.repo.record_asked(
            Asked(
                poll_id=poll_id, round_id=round_.id, chat_id=round_.chat_id,
                message_id=message.message_id, position=position,
                question_id=question.id, correct=list(spec.correct), sent_at=now,
                closes_at=closes_at,
            )
        )  # fmt: skip

    async def _reload(self, round_: Round) -> Round:
        found = await self.repo.get_round(round_.id)
        assert found is not None
        return found

    async def on_poll_answer(
        self, bot: Bot, poll_id: str, user_id: int, name: str, option_ids: list[int]
    ) -> None:
        """A vote in one of our quiz polls (unknown or finished polls are ignored)."""
        asked = await self.repo.asked(poll_id)
        if asked is None or not option_ids:
            return
        await self._answer(bot, asked, user_id, name, option_ids)

    async def on_button_answer(
        self, bot: Bot, round_id: int, position: int, option: int, user_id: int, name: str,
        query_id: str,
    ) -> str | None:  # fmt: skip
        """A press in private answering mode. The verdict goes to the player alone: as an
        ephemeral message, or else returned as the text of an alert."""
        asked = await self.repo.asked(button_poll_id(round_id, position))
        round_ = await self.repo.get_round(round_id)
        if asked is None or round_ is None:
            raise ButtonExpired
        t = self._t(round_.lang)
        if round_.status != RoundStatus.RUNNING or (
            asked.closes_at and self.clock.now() > asked.closes_at + GRACE
        ):
            raise QuizError("quiz.question_closed")
        counted = await self._answer(bot, asked, user_id, name, [option], round_)
        if counted is None:
            raise QuizError("quiz.already_answered")
        question = self.catalog.questions[asked.question_id]
        spec = self._spec(round_, position, question)
        screen = views.private_verdict(
            self.catalog, t, self._button_question(t, round_, position, spec), question,
            views.answer_buttons(
                round_id, position, spec.options, closed=True, correct=spec.correct,
                pressed=option,
            ),
            right=counted,
        )  # fmt: skip
        if await self._tell_privately(bot, round_, user_id, query_id, screen):
            return None
        verdict = t.plain("quiz.alert_right" if counted else "quiz.alert_wrong")
        return shorten(f"{verdict}\n{question.explanation.get(t.lang)}", ALERT_MAX)

    async def _tell_privately(
        self, bot: Bot, round_: Round, user_id: int, query_id: str, screen: Screen
    ) -> bool:
        """The verdict as an ephemeral message (Bot API 10.3) in place of the question, seen by
        the player alone: the explanation whole, its sources, and the buttons with their
        choice marked. False when the 200-character alert must do: the server lacks ephemeral
        messages, or the group's minute has no room to spare (a verdict must never hold back
        the game's next question)."""
        if not self.limiter.has_room(round_.chat_id, keep=LOBBY_RESERVE):
            return False
        only_them = EphemeralMessageParameters(
            receiver_user_id=user_id, callback_query_id=query_id,
            replace_callback_query_message=True,
        )  # fmt: skip
        try:
            await bot.send_message(
                round_.chat_id, screen.text, reply_markup=screen.markup,
                ephemeral_message_parameters=only_them,
            )  # fmt: skip
        except EphemeralUnsupported:
            return False
        return True

    async def _answer(
        self,
        bot: Bot,
        asked: Asked,
        user_id: int,
        name: str,
        option_ids: list[int],
        round_: Round | None = None,
    ) -> bool | None:
        """Record an answer once; returns whether it was right, or None if already counted."""
        round_ = round_ or await self.repo.get_round(asked.round_id)
        if round_ is None or round_.status not in {RoundStatus.RUNNING, RoundStatus.PAUSED}:
            return None
        now = self.clock.now()
        if asked.closes_at is not None and now > asked.closes_at + GRACE:
            return None
        right = is_right(option_ids, asked.correct)
        periods: tuple[str, ...] = ()
        if round_.kind == RoundKind.GROUP and round_.counts:
            periods = (ALL_TIME, month_of(now, self.zone))
        elapsed = max(0, int((now - asked.sent_at).total_seconds() * 1000))
        outcome = await self.repo.record_answer(
            asked, user_id=user_id, name=name, right=right, elapsed_ms=elapsed,
            leaderboard_periods=periods,
            progress=lambda previous: after_answer(previous, asked.question_id, right, now),
            add_player=round_.kind == RoundKind.GROUP,
        )  # fmt: skip
        if outcome is None:
            return None
        # In private practice the next question follows every answer; in a group, once
        # everyone in the game has answered (otherwise the timer moves on).
        current = asked.position == round_.current and round_.status == RoundStatus.RUNNING
        if current and (round_.kind == RoundKind.PRIVATE or outcome.answers >= outcome.players):
            await self._ask_next(bot, round_, asked.position)
        return right

    async def _edit(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int,
        text: Html,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        try:
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id,
                reply_markup=markup,
            )  # fmt: skip
        except TelegramBadRequest as error:
            if "not modified" not in error.message and "not found" not in error.message:
                raise

    async def _finish(self, bot: Bot, round_: Round) -> None:
        finished = RoundChange(status=RoundStatus.FINISHED, clear_deadline=True)
        if not await self.repo.update_round(round_.id, finished, expect_status=round_.status):
            return
        await self._close_buttons(bot, round_, round_.current)
        t = self._t(round_.lang)
        answers = await self.repo.round_answers(round_.id)
        asked = min(round_.current + 1, len(round_.question_ids))
        if round_.kind == RoundKind.PRIVATE:
            right = sum(answer.right for answer in answers)
            missed = [
                self._missed(answer.question_id, round_.lang)
                for answer in answers
                if not answer.right and answer.question_id in self.catalog.questions
            ]
            # What "play this in a group" and "challenge a friend" share: this quiz's settings.
            share = quiz_payload(round_.topic or None, round_.difficulty)
            screen = views.private_result(t, round_.id, right, len(answers), missed, share)
        else:
            ranked = standings(answers, await self.repo.players(round_.id))
            has_missed = any(not answer.right for answer in answers) and round_.counts
            screen = views.group_result(
                t, round_.id, ranked, round_.mode == AnswerMode.BUTTONS, has_missed, asked
            )
        await bot.send_message(round_.chat_id, screen.text, reply_markup=screen.markup)

    def _missed(self, question_id: str, lang: str) -> views.Missed:
        question = self.catalog.questions[question_id]
        code = resolve_language(lang, "ru")
        options = question.options.get(code)
        return views.Missed(
            question=question,
            right_answers="; ".join(options[index] for index in question.correct),
            explanation=question.explanation.get(code),
        )

    async def _on_timeout(self, bot: Bot, round_: Round) -> None:
        asked = await self.repo.asked_at(round_.id, round_.current)
        if asked is None:
            # The question was claimed but never sent (a crash in between): send it now.
            deadline = self.clock.now() + timedelta(seconds=round_.open_period) + GRACE
            await self.repo.update_round(round_.id, RoundChange(deadline=deadline))
            await self._send_question(bot, round_, round_.current)
            return
        answered = await self.repo.answer_count(asked.poll_id)
        silent = 0 if answered else round_.silent_streak + 1
        if silent >= SILENT_QUESTIONS_BEFORE_PAUSE and round_.current + 1 < len(
            round_.question_ids
        ):
            pause = RoundChange(
                status=RoundStatus.PAUSED, silent_streak=silent, clear_deadline=True
            )
            if await self.repo.update_round(
                round_.id, pause, expect_status=RoundStatus.RUNNING, expect_current=round_.current
            ):
                await self._close_buttons(bot, round_, round_.current)
                screen = views.paused(self._t(round_.lang), round_.id)
                await bot.send_message(round_.chat_id, screen.text, reply_markup=screen.markup)
            return
        await self.repo.update_round(round_.id, RoundChange(silent_streak=silent))
        await self._ask_next(bot, await self._reload(round_), round_.current)
