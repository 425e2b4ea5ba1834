"""/quiz, /stop, /top, /stats, the quiz buttons and poll answers."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, PollAnswer

from bot.quiz import views
from bot.quiz.entry import is_group, open_quiz
from bot.quiz.service import QuizService
from bot.quiz.types import LobbyOption, LobbyStep
from bot.telegram import commands
from bot.telegram.callbacks import QuizAction, QuizAnswerCb, QuizCb, QuizMenuCb
from bot.telegram.errors import ButtonExpired
from bot.telegram.i18n import Translator
from bot.telegram.permissions import is_chat_admin
from bot.telegram.replies import send, show
from content.loader import Catalog

# The lobby's buttons, as the quiz names what they do.
LOBBY_PRESS_OF: dict[QuizAction, LobbyOption | LobbyStep] = {
    QuizAction.START: LobbyStep.START, QuizAction.CANCEL: LobbyStep.CANCEL,
    QuizAction.TOPIC: LobbyOption.TOPIC, QuizAction.LEVEL: LobbyOption.LEVEL,
    QuizAction.SIZE: LobbyOption.SIZE, QuizAction.SECONDS: LobbyOption.SECONDS,
    QuizAction.PRIVATE: LobbyOption.ANSWER_MODE,
}  # fmt: skip


async def cmd_quiz(
    message: Message, bot: Bot, command: CommandObject, t: Translator, quiz: QuizService,
    catalog: Catalog,
) -> None:  # fmt: skip
    topic = (command.args or "").strip().lower()
    if is_group(message) and topic:
        topic = ""  # a group picks the topic in the lobby
    await open_quiz(message, bot, topic, t, quiz, catalog)


async def on_quiz_menu(
    query: CallbackQuery, callback_data: QuizMenuCb, t: Translator, quiz: QuizService,
    catalog: Catalog, bot: Bot,
) -> None:  # fmt: skip
    if callback_data.topic and callback_data.topic not in catalog.topics:
        raise ButtonExpired
    if callback_data.difficulty < 0:
        await show(query, views.level_menu(catalog, t, callback_data.topic))
        return
    if not isinstance(query.message, Message) or not 0 <= callback_data.difficulty <= 3:
        raise ButtonExpired
    await quiz.start_private(
        bot, query.message.chat.id, query.from_user.id, t.lang,
        topic=callback_data.topic, difficulty=callback_data.difficulty,
    )  # fmt: skip
    await query.answer()


async def on_private_again(
    query: CallbackQuery, callback_data: QuizCb, t: Translator, quiz: QuizService, bot: Bot
) -> None:
    if callback_data.action == QuizAction.AGAIN:
        await quiz.again(bot, callback_data.round, query.from_user.id, t.lang)
    else:
        await quiz.review_mistakes(bot, callback_data.round, query.from_user.id, t.lang)
    await query.answer()


async def on_join(
    query: CallbackQuery, callback_data: QuizCb, t: Translator, quiz: QuizService, bot: Bot
) -> None:
    key = await quiz.join(bot, callback_data.round, query.from_user.id, query.from_user.full_name)
    await query.answer(t.plain(key))


async def on_game_button(
    query: CallbackQuery, callback_data: QuizCb, quiz: QuizService, bot: Bot
) -> None:
    action = callback_data.action
    if action in LOBBY_PRESS_OF:
        await quiz.press_lobby(
            bot, callback_data.round, LOBBY_PRESS_OF[action], query.from_user.id,
            is_admin=lambda: is_chat_admin(bot, query),
        )  # fmt: skip
    elif action == QuizAction.RESUME:
        await quiz.resume(bot, callback_data.round)
    elif action == QuizAction.MISSED:
        await quiz.review_missed(bot, callback_data.round, query.from_user.id)
    await query.answer()


async def on_answer_button(
    query: CallbackQuery, callback_data: QuizAnswerCb, quiz: QuizService, bot: Bot
) -> None:
    alert = await quiz.on_button_answer(
        bot, callback_data.round, callback_data.pos, callback_data.option,
        query.from_user.id, query.from_user.full_name, query.id,
    )  # fmt: skip
    # No alert: the verdict went to the player alone as an ephemeral message.
    await query.answer(alert, show_alert=alert is not None)


async def on_poll_answer(answer: PollAnswer, quiz: QuizService, bot: Bot) -> None:
    if answer.user is None:  # a vote on behalf of a channel: not a player
        return
    await quiz.on_poll_answer(
        bot, answer.poll_id, answer.user.id, answer.user.full_name, answer.option_ids
    )


async def cmd_stop(message: Message, bot: Bot, quiz: QuizService) -> None:
    user_id = message.from_user.id if message.from_user and not message.sender_chat else None
    # In a group the game is the starter's or the administrators' to stop.
    await quiz.stop(
        bot, message.chat.id, user_id,
        (lambda: is_chat_admin(bot, message)) if is_group(message) else None,
    )  # fmt: skip


async def cmd_top(message: Message, t: Translator, quiz: QuizService) -> None:
    if not is_group(message):
        await message.answer(t("quiz.top_in_groups"))
        return
    month, all_time = await quiz.leaderboard(message.chat.id)
    await send(message, views.leaderboard(t, month, all_time))


async def cmd_stats(message: Message, t: Translator, quiz: QuizService, catalog: Catalog) -> None:
    if message.from_user is None or message.sender_chat is not None:
        await message.answer(t("quiz.stats_personal"))
        return
    stats = await quiz.stats(message.from_user.id)
    await send(message, views.stats(catalog, t, stats))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_quiz, Command(commands.QUIZ.name))
    router.callback_query.register(on_quiz_menu, QuizMenuCb.filter())
    router.callback_query.register(
        on_private_again, QuizCb.filter(F.action.in_({QuizAction.AGAIN, QuizAction.REVIEW}))
    )
    router.callback_query.register(on_join, QuizCb.filter(F.action == QuizAction.JOIN))
    router.callback_query.register(on_game_button, QuizCb.filter())
    router.callback_query.register(on_answer_button, QuizAnswerCb.filter())
    router.poll_answer.register(on_poll_answer)
    router.message.register(cmd_stop, Command(commands.STOP.name))
    router.message.register(cmd_top, Command(commands.TOP.name))
    router.message.register(cmd_stats, Command(commands.STATS.name))
    return router
