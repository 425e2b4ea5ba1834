"""Quiz rounds: private practice and group games, around the pure engine.

SQLite holds every round's state; ``tick()`` is called by the scheduler (every second in
production, by hand with a fake clock in tests) and moves on every round whose question
deadline has passed, so a restart resumes where the database says the game is. A round moves
from one question to the next only through ``_claim_next`` (a compare-and-set on the round's
position), so a last answer and the timer racing each other cannot send a question twice.
"""

from __future__ import annotations

import itertools
import logging
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, InputPollOption

from bot.clock import Clock
from bot.quiz import views
from bot.quiz.engine import (
    Standing,
    UserStats,
    after_answer,
    answer_positions,
    is_right,
    matching,
    most_missed,
    pick_questions,
    rank,
    shuffle_for_send,
)
from bot.telegram.errors import UserFacingError
from bot.telegram.i18n import Html, Translator, quote
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.ui import shorten
from content.loader import Catalog
from content.models import Lang, Question, as_lang
from storage.quiz import Asked, QuizRepository, Round

log = logging.getLogger(__name__)

ROUND_SIZE = 10
SIZES = (5, 10, 15, 20)
OPEN_PERIODS = (10, 20, 30, 45, 60)
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


class QuizService:
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

    def _t(self, lang: str) -> Translator:
        return Translator(self.catalog.ui, as_lang(lang))

    # ---- private practice ---------------------------------------------------------------------

    async def start_private(
        self,
        bot: Bot,
        chat_id: int,
        user_id: int,
        lang: Lang,
        *,
        topic: str = "",
        difficulty: int = 0,
        question_ids: list[str] | None = None,
    ) -> None:
        """A new practice round; an unfinished one in the same chat is simply replaced."""
        if topic and topic not in self.catalog.topics:
            raise QuizError("quiz.unknown_topic")
        previous = await self.repo.open_round(chat_id)
        if previous is not None:
            await self.repo.update_round(previous.id, status="cancelled")
        if question_ids is None:
            progress = await self.repo.progress(user_id)
            candidates = matching(self.catalog.questions.values(), topic, difficulty)
            picked = pick_questions(candidates, ROUND_SIZE, progress, self.clock.now(), self.rng)
            question_ids = [question.id for question in picked]
        if not question_ids:
            raise QuizError("quiz.no_questions")
        round_ = await self.repo.create_round(
            chat_id=chat_id, kind="private", status="running", starter_id=user_id, lang=lang,
            topic=topic, difficulty=difficulty, size=len(question_ids),
            question_ids=question_ids, counts=False,
        )  # fmt: skip
        assert round_ is not None  # the previous open round was just cancelled
        await self._ask_next(bot, round_, expected=-1)

    async def again(self, bot: Bot, round_id: int, user_id: int, lang: Lang) -> None:
        finished = await self._own_private_round(round_id, user_id)
        await self.start_private(
            bot, finished.chat_id, user_id, lang, topic=finished.topic,
            difficulty=finished.difficulty,
        )  # fmt: skip

    async def review_mistakes(self, bot: Bot, round_id: int, user_id: int, lang: Lang) -> None:
        finished = await self._own_private_round(round_id, user_id)
        wrong = [a.question_id for a in await self.repo.round_answers(round_id) if not a.right]
        if not wrong:
            raise QuizError("quiz.no_mistakes")
        await self.start_private(bot, finished.chat_id, user_id, lang, question_ids=wrong)

    async def _own_private_round(self, round_id: int, user_id: int) -> Round:
        found = await self.repo.get_round(round_id)
        if found is None or found.kind != "private" or found.starter_id != user_id:
            raise QuizError("errors.button_expired")
        return found

    # ---- asking -------------------------------------------------------------------------------

    async def _claim_next(self, round_: Round, expected: int) -> int | None:
        """Move the round from question ``expected`` to the next one; None if someone else did."""
        position = expected + 1
        deadline = None
        if round_.kind == "group":
            deadline = self.clock.now() + timedelta(seconds=round_.open_period) + GRACE
        claimed = await self.repo.update_round(
            round_.id, expect_status="running", expect_current=expected, current=position,
            deadline=deadline, silent_streak=round_.silent_streak,
        )  # fmt: skip
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
        """In private answering mode, replace a finished question's buttons with its count."""
        if round_.mode != "buttons" or position < 0:
            return
        asked = await self.repo.asked_at(round_.id, position)
        if asked is None or not self.limiter.has_room(round_.chat_id, keep=2):
            return  # the buttons stay; a late press is told the question is closed
        answered = await self.repo.answer_count(asked.poll_id)
        text = self._t(round_.lang)("quiz.time_up", count=answered)
        await self._edit(bot, round_.chat_id, asked.message_id, text)

    async def _send_question(self, bot: Bot, round_: Round, position: int) -> None:
        question = self.catalog.questions.get(round_.question_ids[position])
        if question is None:  # removed from the content since the round began
            await self._ask_next(bot, await self._reload(round_), position)
            return
        lang = as_lang(round_.lang)
        targets = answer_positions(
            len(round_.question_ids), len(question.options.ru), random.Random(round_.id)
        )
        spec = shuffle_for_send(
            question,
            lang,
            self.catalog.poll_explanation(question, lang),
            self.rng,
            targets[position],
        )
        prefix = f"[{position + 1}/{len(round_.question_ids)}] "
        if round_.mode == "buttons":
            t = self._t(lang)
            message = await bot.send_message(
                round_.chat_id,
                t(
                    "quiz.button_question",
                    prefix=prefix,
                    question=spec.question,
                    seconds=round_.open_period,
                ),
                reply_markup=views.answer_buttons(round_.id, position, spec.options),
            )
            poll_id = f"b{round_.id}:{position}"
        else:
            message = await bot.send_poll(
                round_.chat_id,
                question=quote(prefix + spec.question),
                options=[InputPollOption(text=quote(option)) for option in spec.options],
                type="quiz",
                is_anonymous=False,
                correct_option_ids=list(spec.correct),
                explanation=quote(spec.explanation),
                open_period=round_.open_period if round_.kind == "group" else None,
            )
            assert message.poll is not None
            poll_id = message.poll.id
        # The clock is read after sending: the rate limiter may have made the send wait, and
        # Telegram starts the poll's open period when the poll arrives.
        now = self.clock.now()
        closes_at = None
        if round_.kind == "group":
            closes_at = now + timedelta(seconds=round_.open_period)
            await self.repo.update_round(round_.id, deadline=closes_at + GRACE)
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

    # ---- answers ------------------------------------------------------------------------------

    async def on_poll_answer(
        self, bot: Bot, poll_id: str, user_id: int, name: str, option_ids: list[int]
    ) -> None:
        """A vote in one of our quiz polls (unknown or finished polls are ignored)."""
        asked = await self.repo.asked(poll_id)
        if asked is None or not option_ids:
            return
        await self._answer(bot, asked, user_id, name, option_ids)

    async def on_button_answer(
        self, bot: Bot, round_id: int, position: int, option: int, user_id: int, name: str
    ) -> str:
        """A press in private answering mode: the private alert text to show the user."""
        asked = await self.repo.asked(f"b{round_id}:{position}")
        round_ = await self.repo.get_round(round_id)
        if asked is None or round_ is None:
            raise QuizError("errors.button_expired")
        t = self._t(round_.lang)
        if round_.status != "running" or (
            asked.closes_at and self.clock.now() > asked.closes_at + GRACE
        ):
            raise QuizError("quiz.question_closed")
        counted = await self._answer(bot, asked, user_id, name, [option], round_)
        if counted is None:
            raise QuizError("quiz.already_answered")
        question = self.catalog.questions[asked.question_id]
        lang = as_lang(round_.lang)
        verdict = t.plain("quiz.alert_right" if counted else "quiz.alert_wrong")
        alert = f"{verdict}\n{question.explanation.get(lang)}"
        return shorten(alert, ALERT_MAX)

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
        if round_ is None or round_.status not in {"running", "paused"}:
            return None
        now = self.clock.now()
        if asked.closes_at is not None and now > asked.closes_at + GRACE:
            return None
        right = is_right(option_ids, asked.correct)
        periods: tuple[str, ...] = ()
        if round_.kind == "group" and round_.counts:
            periods = ("all", now.astimezone(self.zone).strftime("%Y-%m"))
        elapsed = max(0, int((now - asked.sent_at).total_seconds() * 1000))
        outcome = await self.repo.record_answer(
            asked, user_id=user_id, name=name, right=right, elapsed_ms=elapsed,
            leaderboard_periods=periods,
            progress=lambda previous: after_answer(previous, asked.question_id, right, now),
            add_player=round_.kind == "group",
        )  # fmt: skip
        if outcome is None:
            return None
        # In private practice the next question follows every answer; in a group, once
        # everyone in the game has answered (otherwise the timer moves on).
        current = asked.position == round_.current and round_.status == "running"
        if current and (round_.kind == "private" or outcome.answers >= outcome.players):
            await self._ask_next(bot, round_, asked.position)
        return right

    # ---- group games --------------------------------------------------------------------------

    async def open_lobby(
        self, bot: Bot, chat_id: int, starter_id: int | None, starter_name: str | None,
        lang: Lang, private_answers: bool, topic: str = "",
    ) -> None:  # fmt: skip
        if topic not in self.catalog.topics:
            topic = ""  # an old poster's topic: play all topics rather than fail
        round_ = await self.repo.create_round(
            chat_id=chat_id, kind="group", status="lobby", starter_id=starter_id, lang=lang,
            mode="buttons" if private_answers else "poll", open_period=DEFAULT_OPEN_PERIOD,
            topic=topic,
        )  # fmt: skip
        if round_ is None:
            raise QuizError("quiz.already_running")
        if starter_id is not None and starter_name is not None:
            await self.repo.add_player(round_.id, starter_id, starter_name)
        screen = views.lobby(self.catalog, self._t(lang), await self._lobby_state(round_))
        message = await bot.send_message(chat_id, screen.text, reply_markup=screen.markup)
        await self.repo.update_round(round_.id, lobby_message_id=message.message_id)

    async def _lobby_state(self, round_: Round) -> views.LobbyState:
        players = [name for _, name in await self.repo.players(round_.id)]
        countdown = None
        if round_.deadline is not None:
            countdown = max(0, int((round_.deadline - self.clock.now()).total_seconds()))
        return views.LobbyState(
            round_id=round_.id, topic=round_.topic, difficulty=round_.difficulty,
            size=round_.size, seconds=round_.open_period,
            private_answers=round_.mode == "buttons", players=players, countdown=countdown,
        )  # fmt: skip

    async def _refresh_lobby(self, bot: Bot, round_: Round, *, essential: bool = False) -> None:
        if round_.lobby_message_id is None:
            return
        if not essential and not self.limiter.has_room(round_.chat_id, keep=LOBBY_RESERVE):
            return  # the player list catches up with the next edit
        screen = views.lobby(self.catalog, self._t(round_.lang), await self._lobby_state(round_))
        await self._edit(bot, round_.chat_id, round_.lobby_message_id, screen.text, screen.markup)

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

    async def lobby_round(self, round_id: int) -> Round:
        round_ = await self.repo.get_round(round_id)
        if round_ is None or round_.status != "lobby":
            raise QuizError("errors.button_expired")
        return round_

    async def join(self, bot: Bot, round_id: int, user_id: int, name: str) -> str:
        round_ = await self.lobby_round(round_id)
        if not await self.repo.add_player(round_.id, user_id, name):
            return "quiz.already_in"
        players = await self.repo.players(round_.id)
        if len(players) >= 2 and round_.deadline is None:
            # Two players are ready: the game starts by itself after a countdown.
            await self.repo.update_round(round_.id, deadline=self.clock.now() + AUTO_START)
            round_ = await self._reload(round_)
        await self._refresh_lobby(bot, round_)
        return "quiz.joined"

    async def change_setting(self, bot: Bot, round_id: int, setting: str) -> None:
        round_ = await self.lobby_round(round_id)
        topics = ["", *self.catalog.topics]
        changes: dict[str, Any] = {}
        if setting == "topic":
            changes["topic"] = (
                topics[(topics.index(round_.topic) + 1) % len(topics)]
                if round_.topic in topics
                else ""
            )
        elif setting == "level":
            changes["difficulty"] = (round_.difficulty + 1) % 4
        elif setting == "size":
            changes["size"] = _next_of(SIZES, round_.size)
        elif setting == "secs":
            changes["open_period"] = _next_of(OPEN_PERIODS, round_.open_period)
        elif setting == "priv":
            changes["mode"] = "poll" if round_.mode == "buttons" else "buttons"
        await self.repo.update_round(round_.id, **changes)
        await self._refresh_lobby(bot, await self._reload(round_), essential=True)

    async def start_game(self, bot: Bot, round_id: int) -> None:
        round_ = await self.lobby_round(round_id)
        candidates = matching(self.catalog.questions.values(), round_.topic, round_.difficulty)
        if not candidates:
            raise QuizError("quiz.no_questions")
        picked = [
            q.id for q in pick_questions(candidates, round_.size, {}, self.clock.now(), self.rng)
        ]
        started = await self.repo.update_round(
            round_.id, expect_status="lobby", status="running", question_ids=picked, deadline=None
        )
        if not started:
            return
        round_ = await self._reload(round_)
        t = self._t(round_.lang)
        if round_.lobby_message_id is not None:
            state = await self._lobby_state(round_)
            text = t(
                "quiz.started", count=len(picked), seconds=round_.open_period,
                players=", ".join(state.players) or "—",
            )  # fmt: skip
            await self._edit(bot, round_.chat_id, round_.lobby_message_id, text)
        await self._ask_next(bot, round_, expected=-1)

    async def cancel_lobby(self, bot: Bot, round_id: int) -> None:
        round_ = await self.lobby_round(round_id)
        cancelled = await self.repo.update_round(
            round_.id, expect_status="lobby", status="cancelled"
        )
        if cancelled and round_.lobby_message_id is not None:
            text = self._t(round_.lang)("quiz.cancelled")
            await self._edit(bot, round_.chat_id, round_.lobby_message_id, text)

    async def resume(self, bot: Bot, round_id: int) -> None:
        round_ = await self.repo.get_round(round_id)
        if round_ is None or round_.status != "paused":
            raise QuizError("errors.button_expired")
        if await self.repo.update_round(
            round_.id, expect_status="paused", status="running", silent_streak=0
        ):
            await self._ask_next(bot, await self._reload(round_), round_.current)

    async def stop(self, bot: Bot, chat_id: int) -> Round:
        round_ = await self.repo.open_round(chat_id)
        if round_ is None:
            raise QuizError("quiz.nothing_to_stop")
        if round_.status == "lobby":
            await self.cancel_lobby(bot, round_.id)
        else:
            await self._finish(bot, round_)
        return round_

    async def review_missed(self, bot: Bot, round_id: int, starter_id: int | None) -> None:
        finished = await self.repo.get_round(round_id)
        if finished is None or finished.kind != "group" or finished.status != "finished":
            raise QuizError("errors.button_expired")
        results: dict[str, tuple[int, int]] = {}
        for answer in await self.repo.round_answers(round_id):
            right, answered = results.get(answer.question_id, (0, 0))
            results[answer.question_id] = (right + int(answer.right), answered + 1)
        missed = most_missed(results, REVIEW_SIZE)
        if not missed:
            raise QuizError("quiz.no_mistakes")
        review = await self.repo.create_round(
            chat_id=finished.chat_id, kind="group", status="running", starter_id=starter_id,
            lang=finished.lang, mode=finished.mode, size=len(missed),
            open_period=finished.open_period, question_ids=missed, counts=False,
        )  # fmt: skip
        if review is None:
            raise QuizError("quiz.already_running")
        for user_id, name in await self.repo.players(finished.id):
            await self.repo.add_player(review.id, user_id, name)
        await self._ask_next(bot, review, expected=-1)

    async def _finish(self, bot: Bot, round_: Round) -> None:
        if not await self.repo.update_round(
            round_.id, status="finished", deadline=None, expect_status=round_.status
        ):
            return
        await self._close_buttons(bot, round_, round_.current)
        t = self._t(round_.lang)
        answers = await self.repo.round_answers(round_.id)
        asked = min(round_.current + 1, len(round_.question_ids))
        if round_.kind == "private":
            right = sum(answer.right for answer in answers)
            missed = [
                self._missed(answer.question_id, round_.lang)
                for answer in answers
                if not answer.right and answer.question_id in self.catalog.questions
            ]
            screen = views.private_result(t, round_.id, right, len(answers), missed)
        else:
            totals: dict[int, tuple[int, int, int]] = {}
            for answer in answers:
                points, time_ms, count = totals.get(answer.user_id, (0, 0, 0))
                totals[answer.user_id] = (
                    points + answer.right,
                    time_ms + answer.elapsed_ms,
                    count + 1,
                )
            standings = rank(
                Standing(user_id, name, *totals.get(user_id, (0, 0, 0)))
                for user_id, name in await self.repo.players(round_.id)
            )
            has_missed = any(not answer.right for answer in answers) and round_.counts
            screen = views.group_result(
                t, round_.id, standings, round_.mode == "buttons", has_missed, asked
            )
        await bot.send_message(round_.chat_id, screen.text, reply_markup=screen.markup)

    def _missed(self, question_id: str, lang: str) -> views.Missed:
        question = self.catalog.questions[question_id]
        code = as_lang(lang)
        options = question.options.get(code)
        return views.Missed(
            question=question,
            right_answers="; ".join(options[index] for index in question.correct),
            explanation=question.explanation.get(code),
        )

    # ---- the clock ----------------------------------------------------------------------------

    async def tick(self, bot: Bot) -> None:
        """Move on every round whose timer has run out (called every second)."""
        now = self.clock.now()
        for round_ in await self.repo.due_rounds(now):
            try:
                await self._on_timeout(bot, round_)
            except TelegramForbiddenError as error:
                # The bot was removed or blocked: nobody is left to play; retrying every tick
                # would only collect refusals.
                log.info("quiz round %s: chat %s refused (%s); cancelled",
                         round_.id, round_.chat_id, error.message)  # fmt: skip
                await self.repo.update_round(round_.id, status="cancelled", deadline=None)
            except Exception:  # one broken chat must not stop the other games
                log.exception("quiz round %s: timeout handling failed", round_.id)
        for round_ in await self.repo.due_lobbies(now):
            try:
                await self.start_game(bot, round_.id)
            except (QuizError, TelegramForbiddenError) as error:
                log.info("lobby %s could not start: %s", round_.id, error)
                await self.repo.update_round(round_.id, status="cancelled", deadline=None)
        for round_ in await self.repo.stale_rounds("lobby", now - LOBBY_TIMEOUT):
            # Nobody started it: free the chat for the next game.
            await self.repo.update_round(round_.id, expect_status="lobby", status="cancelled")
        for round_ in await self.repo.stale_rounds("paused", now - PAUSE_TIMEOUT):
            await self._finish(bot, round_)

    async def _on_timeout(self, bot: Bot, round_: Round) -> None:
        asked = await self.repo.asked_at(round_.id, round_.current)
        if asked is None:
            # The question was claimed but never sent (a crash in between): send it now.
            await self.repo.update_round(
                round_.id,
                deadline=self.clock.now() + timedelta(seconds=round_.open_period) + GRACE,
            )
            await self._send_question(bot, round_, round_.current)
            return
        answered = await self.repo.answer_count(asked.poll_id)
        silent = 0 if answered else round_.silent_streak + 1
        if silent >= SILENT_QUESTIONS_BEFORE_PAUSE and round_.current + 1 < len(
            round_.question_ids
        ):
            if await self.repo.update_round(
                round_.id, expect_status="running", expect_current=round_.current,
                status="paused", silent_streak=silent, deadline=None,
            ):  # fmt: skip
                await self._close_buttons(bot, round_, round_.current)
                screen = views.paused(self._t(round_.lang), round_.id)
                await bot.send_message(round_.chat_id, screen.text, reply_markup=screen.markup)
            return
        await self.repo.update_round(round_.id, silent_streak=silent)
        await self._ask_next(bot, await self._reload(round_), round_.current)

    # ---- leaderboards and stats ---------------------------------------------------------------

    async def leaderboard(self, chat_id: int) -> tuple[list[Standing], list[Standing]]:
        month = self.clock.now().astimezone(self.zone).strftime("%Y-%m")
        return await self.repo.leaderboard(chat_id, month), await self.repo.leaderboard(
            chat_id, "all"
        )

    async def stats(self, user_id: int) -> UserStats:
        progress = await self.repo.progress(user_id)
        by_topic: dict[str, tuple[int, int]] = {}
        due_by_topic: dict[str, int] = {}
        now = self.clock.now()
        for item in progress.values():
            question: Question | None = self.catalog.questions.get(item.question_id)
            if question is None:
                continue
            right, answered = by_topic.get(question.topic, (0, 0))
            by_topic[question.topic] = (right + item.correct, answered + item.seen)
            if item.due_at <= now:
                due_by_topic[question.topic] = due_by_topic.get(question.topic, 0) + 1
        review_topic = (
            max(due_by_topic, key=lambda topic: due_by_topic[topic]) if due_by_topic else None
        )
        return UserStats(
            answered=sum(item.seen for item in progress.values()),
            right=sum(item.correct for item in progress.values()),
            by_topic=by_topic,
            streak_days=self._streak(await self.repo.answer_days(user_id)),
            due=sum(due_by_topic.values()),
            review_topic=review_topic,
        )

    def _streak(self, stamps: list[str]) -> int:
        """Days in a row with at least one answer, ending today or yesterday (bot's time zone)."""
        days = sorted(
            {datetime.fromisoformat(stamp).astimezone(self.zone).date() for stamp in stamps},
            reverse=True,
        )
        today = self.clock.now().astimezone(self.zone).date()
        if not days or (today - days[0]).days > 1:
            return 0
        streak = 1
        for newer, older in itertools.pairwise(days):
            if (newer - older).days != 1:
                break
            streak += 1
        return streak


def _next_of(values: tuple[int, ...], current: int) -> int:
    later = [value for value in values if value > current]
    return later[0] if later else values[0]
