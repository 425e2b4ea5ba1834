"""Quiz rounds: private practice and group games, around the pure engine.

SQLite holds every round's state; ``tick()`` is called by the scheduler (every second in
production, by hand with a fake clock in tests) and moves on every round whose question
deadline has passed, so a restart resumes where the database says the game is. How a question
is asked, answered and closed is in ``rounds.py``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError

from bot.quiz import views
from bot.quiz.engine import matching, pick_questions
from bot.quiz.lobby import ROUND_SIZE, SIZES, lobby_change
from bot.quiz.rounds import (
    AUTO_START,
    DEFAULT_OPEN_PERIOD,
    LOBBY_RESERVE,
    LOBBY_TIMEOUT,
    PAUSE_TIMEOUT,
    REVIEW_SIZE,
    QuizError,
    QuizRounds,
)
from bot.quiz.tallies import (
    ALL_TIME,
    UserStats,
    month_of,
    most_missed,
    question_results,
    streak,
    user_stats,
)
from bot.quiz.types import (
    AnswerMode,
    LobbyOption,
    LobbyStep,
    Round,
    RoundChange,
    RoundKind,
    RoundStatus,
    Standing,
)
from bot.telegram.errors import ButtonExpired, NotAnAdmin, UserFacingError
from content.models import Lang

log = logging.getLogger(__name__)

CANCELLED = RoundChange(status=RoundStatus.CANCELLED, clear_deadline=True)

# Asks Telegram whether the user who pressed or wrote is a chat administrator; called only
# when the answer matters, since it costs a request.
AdminCheck = Callable[[], Awaitable[bool]]


class QuizService(QuizRounds):
    """Private practice, group lobbies and games, the timer and the statistics, on top of
    the question flow of ``QuizRounds``."""

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
        size: int = ROUND_SIZE,
        question_ids: list[str] | None = None,
    ) -> None:
        """A new practice round; an unfinished one in the same chat is simply replaced."""
        if topic and topic not in self.catalog.topics:
            raise QuizError("quiz.unknown_topic")
        previous = await self.repo.open_round(chat_id)
        if previous is not None:
            await self.repo.update_round(previous.id, RoundChange(status=RoundStatus.CANCELLED))
        if question_ids is None:
            progress = await self.repo.progress(user_id)
            candidates = matching(self.catalog.questions.values(), topic, difficulty)
            picked = pick_questions(candidates, size, progress, self.clock.now(), self.rng)
            question_ids = [question.id for question in picked]
        if not question_ids:
            raise QuizError("quiz.no_questions")
        round_ = await self.repo.create_round(
            chat_id=chat_id, kind=RoundKind.PRIVATE, status=RoundStatus.RUNNING,
            starter_id=user_id, lang=lang,
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
        if found is None or found.kind != RoundKind.PRIVATE or found.starter_id != user_id:
            raise ButtonExpired
        return found

    # ---- group games --------------------------------------------------------------------------

    async def open_lobby(
        self, bot: Bot, chat_id: int, starter_id: int | None, starter_name: str | None,
        lang: Lang, topic: str = "", difficulty: int = 0, size: int = ROUND_SIZE,
    ) -> None:  # fmt: skip
        """A game's lobby; a shared card's settings come preset (the starter may change them)."""
        if topic not in self.catalog.topics:
            topic = ""  # an old poster's topic: play all topics rather than fail
        round_ = await self.repo.create_round(
            chat_id=chat_id, kind=RoundKind.GROUP, status=RoundStatus.LOBBY,
            starter_id=starter_id, lang=lang, open_period=DEFAULT_OPEN_PERIOD, topic=topic,
            difficulty=difficulty, size=size if size in SIZES else ROUND_SIZE,
        )  # fmt: skip
        if round_ is None:
            raise QuizError("quiz.already_running")
        if starter_id is not None and starter_name is not None:
            await self.repo.add_player(round_.id, starter_id, starter_name)
        screen = views.lobby(self.catalog, self._t(lang), await self._lobby_state(round_))
        message = await bot.send_message(chat_id, screen.text, reply_markup=screen.markup)
        await self.repo.update_round(round_.id, RoundChange(lobby_message_id=message.message_id))

    async def _lobby_state(self, round_: Round) -> views.LobbyState:
        players = [name for _, name in await self.repo.players(round_.id)]
        countdown = None
        if round_.deadline is not None:
            # Rounded up, as a countdown reads: 29.96 s left is "30 s", 0.2 s left "1 s".
            left = (round_.deadline - self.clock.now()).total_seconds()
            seconds = max(0, math.ceil(left))
            countdown = views.Countdown(seconds, round_.deadline)
        return views.LobbyState(
            round_id=round_.id, topic=round_.topic, difficulty=round_.difficulty,
            size=round_.size, seconds=round_.open_period,
            private_answers=round_.mode == AnswerMode.BUTTONS, players=players,
            countdown=countdown,
        )  # fmt: skip

    async def _refresh_lobby(self, bot: Bot, round_: Round, *, essential: bool = False) -> None:
        if round_.lobby_message_id is None:
            return
        if not essential and not self.limiter.has_room(round_.chat_id, keep=LOBBY_RESERVE):
            return  # the player list catches up with the next edit
        screen = views.lobby(self.catalog, self._t(round_.lang), await self._lobby_state(round_))
        await self._edit(bot, round_.chat_id, round_.lobby_message_id, screen.text, screen.markup)

    async def _lobby_round(self, round_id: int) -> Round:
        round_ = await self.repo.get_round(round_id)
        if round_ is None or round_.status != RoundStatus.LOBBY:
            raise ButtonExpired
        return round_

    async def join(self, bot: Bot, round_id: int, user_id: int, name: str) -> str:
        round_ = await self._lobby_round(round_id)
        if not await self.repo.add_player(round_.id, user_id, name):
            return "quiz.already_in"
        players = await self.repo.players(round_.id)
        if len(players) >= 2 and round_.deadline is None:
            # Two players are ready: the game starts by itself after a countdown.
            countdown = RoundChange(deadline=self.clock.now() + AUTO_START)
            await self.repo.update_round(round_.id, countdown)
            round_ = await self._reload(round_)
        await self._refresh_lobby(bot, round_)
        return "quiz.joined"

    async def press_lobby(
        self, bot: Bot, round_id: int, press: LobbyOption | LobbyStep, user_id: int,
        is_admin: AdminCheck,
    ) -> None:  # fmt: skip
        """A lobby button: start, cancel or change an option. The game's starter or an
        administrator may; the answering mode, which every player lives with, is the
        administrators' alone."""
        round_ = await self._lobby_round(round_id)
        if press == LobbyOption.ANSWER_MODE:
            if not await is_admin():
                raise NotAnAdmin
        elif round_.starter_id != user_id and not await is_admin():
            raise QuizError("quiz.starter_only")
        if press == LobbyStep.START:
            await self.start_game(bot, round_.id)
        elif press == LobbyStep.CANCEL:
            await self.cancel_lobby(bot, round_.id)
        else:
            await self._change_option(bot, round_, press)

    async def _change_option(self, bot: Bot, round_: Round, option: LobbyOption) -> None:
        change = lobby_change(round_, option, list(self.catalog.topics))
        # Not after the game started (on another replica, maybe): a running game's mode or
        # time per question would change under its players, and its lobby message is no more.
        if await self.repo.update_round(round_.id, change, expect_status=RoundStatus.LOBBY):
            await self._refresh_lobby(bot, await self._reload(round_), essential=True)

    async def start_game(self, bot: Bot, round_id: int) -> None:
        round_ = await self._lobby_round(round_id)
        candidates = matching(self.catalog.questions.values(), round_.topic, round_.difficulty)
        if not candidates:
            raise QuizError("quiz.no_questions")
        picked = [
            q.id for q in pick_questions(candidates, round_.size, {}, self.clock.now(), self.rng)
        ]
        start = RoundChange(status=RoundStatus.RUNNING, question_ids=picked, clear_deadline=True)
        started = await self.repo.update_round(round_.id, start, expect_status=RoundStatus.LOBBY)
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
        round_ = await self._lobby_round(round_id)
        cancelled = await self.repo.update_round(
            round_.id, RoundChange(status=RoundStatus.CANCELLED), expect_status=RoundStatus.LOBBY
        )
        if cancelled and round_.lobby_message_id is not None:
            text = self._t(round_.lang)("quiz.cancelled")
            await self._edit(bot, round_.chat_id, round_.lobby_message_id, text)

    async def resume(self, bot: Bot, round_id: int) -> None:
        round_ = await self.repo.get_round(round_id)
        if round_ is None or round_.status != RoundStatus.PAUSED:
            raise ButtonExpired
        running = RoundChange(status=RoundStatus.RUNNING, silent_streak=0)
        if await self.repo.update_round(round_.id, running, expect_status=RoundStatus.PAUSED):
            await self._ask_next(bot, await self._reload(round_), round_.current)

    async def stop(
        self, bot: Bot, chat_id: int, user_id: int | None, is_admin: AdminCheck | None
    ) -> Round:
        """/stop: in a group (``is_admin`` given) only the game's starter or an administrator
        may; in a private chat, the user's own practice."""
        round_ = await self.repo.open_round(chat_id)
        if round_ is None:
            raise QuizError("quiz.nothing_to_stop")
        if is_admin is not None and round_.starter_id != user_id and not await is_admin():
            raise QuizError("quiz.starter_only")
        if round_.status == RoundStatus.LOBBY:
            await self.cancel_lobby(bot, round_.id)
        else:
            await self._finish(bot, round_)
        return round_

    async def review_missed(self, bot: Bot, round_id: int, starter_id: int | None) -> None:
        finished = await self.repo.get_round(round_id)
        if (
            finished is None
            or finished.kind != RoundKind.GROUP
            or finished.status != RoundStatus.FINISHED
        ):
            raise ButtonExpired
        missed = most_missed(
            question_results(await self.repo.round_answers(round_id)), REVIEW_SIZE
        )
        if not missed:
            raise QuizError("quiz.no_mistakes")
        review = await self.repo.create_round(
            chat_id=finished.chat_id, kind=RoundKind.GROUP, status=RoundStatus.RUNNING,
            starter_id=starter_id,
            lang=finished.lang, mode=finished.mode, size=len(missed),
            open_period=finished.open_period, question_ids=missed, counts=False,
        )  # fmt: skip
        if review is None:
            raise QuizError("quiz.already_running")
        for user_id, name in await self.repo.players(finished.id):
            await self.repo.add_player(review.id, user_id, name)
        await self._ask_next(bot, review, expected=-1)

    # ---- the clock ----------------------------------------------------------------------------

    async def tick(self, bot: Bot) -> None:
        """Move on every round whose timer has run out (called every second, by every
        replica: each round is claimed by one, see ``claim_due_rounds``)."""
        now = self.clock.now()
        for round_ in await self.repo.claim_due_rounds(RoundStatus.RUNNING, now):
            try:
                await self._on_timeout(bot, round_)
            except TelegramForbiddenError as error:
                # The bot was removed or blocked: nobody is left to play; retrying every tick
                # would only collect refusals.
                log.info("quiz round %s: chat %s refused (%s); cancelled",
                         round_.id, round_.chat_id, error.message)  # fmt: skip
                await self.repo.update_round(round_.id, CANCELLED)
            except Exception:  # one broken chat must not stop the other games
                log.exception("quiz round %s: timeout handling failed", round_.id)
        for round_ in await self.repo.claim_due_rounds(RoundStatus.LOBBY, now):
            try:
                await self.start_game(bot, round_.id)
            except (UserFacingError, TelegramForbiddenError) as error:
                log.info("lobby %s could not start: %s", round_.id, error)
                await self.repo.update_round(round_.id, CANCELLED)
        for round_ in await self.repo.stale_rounds(RoundStatus.LOBBY, now - LOBBY_TIMEOUT):
            # Nobody started it: free the chat for the next game.
            await self.repo.update_round(
                round_.id, RoundChange(status=RoundStatus.CANCELLED),
                expect_status=RoundStatus.LOBBY,
            )  # fmt: skip
        for round_ in await self.repo.stale_rounds(RoundStatus.PAUSED, now - PAUSE_TIMEOUT):
            await self._finish(bot, round_)

    # ---- leaderboards and stats ---------------------------------------------------------------

    async def leaderboard(self, chat_id: int) -> tuple[list[Standing], list[Standing]]:
        """This month's standings and all time's."""
        month = month_of(self.clock.now(), self.zone)
        return (
            await self.repo.leaderboard(chat_id, month),
            await self.repo.leaderboard(chat_id, ALL_TIME),
        )

    async def stats(self, user_id: int) -> UserStats:
        progress = await self.repo.progress(user_id)
        now = self.clock.now()
        topic_of = {question.id: question.topic for question in self.catalog.questions.values()}
        streak_days = streak(await self.repo.answer_days(user_id), now, self.zone)
        return user_stats(progress.values(), topic_of, now, streak_days)
