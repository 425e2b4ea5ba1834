"""/subscribe, /unsubscribe, /reminders, /dates, /calendar, the subscription and dates buttons."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.profiles.types import Chat
from bot.reminders import views
from bot.reminders.service import ReminderService
from bot.telegram import commands
from bot.telegram.callbacks import DatesCb, ReminderCb, ReminderSetting
from bot.telegram.filters import AdminsOnly
from bot.telegram.i18n import Translator
from bot.telegram.parsing import parse_number
from bot.telegram.permissions import require_chat_admin
from bot.telegram.replies import send, show
from content.loader import Catalog

DATES_DEFAULT = 5
DATES_MAX = 20


async def cmd_subscribe(
    message: Message, t: Translator, reminders: ReminderService, catalog: Catalog
) -> None:
    status = await reminders.subscribe(message.chat.id)
    for screen in views.subscribed(catalog, t, status):
        await send(message, screen)


async def cmd_unsubscribe(message: Message, t: Translator, reminders: ReminderService) -> None:
    removed = await reminders.unsubscribe(message.chat.id)
    await message.answer(t("reminders.unsubscribed" if removed else "reminders.not_subscribed"))


async def cmd_reminders(
    message: Message, command: CommandObject, bot: Bot, t: Translator,
    reminders: ReminderService, catalog: Catalog,
) -> None:  # fmt: skip
    zone = (command.args or "").strip()
    if zone:
        # "/reminders Europe/Berlin": any IANA time zone name, typed as text.
        await require_chat_admin(bot, message)
        status = await reminders.change(message.chat.id, ReminderSetting.TIMEZONE, zone)
    else:
        status = await reminders.subscription(message.chat.id)
    await send(message, views.subscription_screen(catalog, t, status))


async def on_setting(
    query: CallbackQuery, callback_data: ReminderCb, t: Translator,
    reminders: ReminderService, catalog: Catalog,
) -> None:  # fmt: skip
    assert isinstance(query.message, Message)  # AdminsOnly answered any other
    chat_id = query.message.chat.id
    setting = callback_data.setting
    if setting == ReminderSetting.OFF:
        await reminders.unsubscribe(chat_id)
        await show(query, views.Screen(t("reminders.unsubscribed")))
        return
    if setting == ReminderSetting.TOPICS:
        status = await reminders.subscription(chat_id)
        await show(query, views.topic_picker(catalog, t, status.row))
        return
    if setting == ReminderSetting.BACK:
        status = await reminders.subscription(chat_id)
    else:
        status = await reminders.change(chat_id, setting, callback_data.value)
    await show(query, views.subscription_screen(catalog, t, status))


async def cmd_dates(
    message: Message, command: CommandObject, t: Translator, reminders: ReminderService,
    catalog: Catalog, chat_record: Chat | None,
) -> None:  # fmt: skip
    argument = (command.args or "").strip()
    count = parse_number(argument, 1, DATES_MAX) if argument else DATES_DEFAULT
    if count is None:
        await message.answer(t("reminders.dates_usage", limit=DATES_MAX))
        return
    upcoming = reminders.upcoming(chat_record.timezone if chat_record else None, count)
    await send(message, views.dates(catalog, t, upcoming))


async def on_dates_page(
    query: CallbackQuery, callback_data: DatesCb, t: Translator, reminders: ReminderService,
    catalog: Catalog,
) -> None:  # fmt: skip
    """A calendar page from the /dates buttons: anyone may turn them, in groups too."""
    year, month = callback_data.year, callback_data.month
    if month:
        found = reminders.anniversaries(year, month)
        await show(query, views.month_dates(catalog, t, year, month, found))
    else:
        await show(query, views.key_dates(catalog, t, year, reminders.anniversaries(year)))


async def cmd_calendar(message: Message, t: Translator, reminders: ReminderService) -> None:
    document = BufferedInputFile(
        reminders.ics(t.lang), filename=f"nwfz-anniversaries-{t.lang}.ics"
    )
    await message.answer_document(document, caption=t("reminders.calendar_caption"))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_subscribe, Command(commands.SUBSCRIBE.name), AdminsOnly())
    router.message.register(cmd_unsubscribe, Command(commands.UNSUBSCRIBE.name), AdminsOnly())
    router.message.register(cmd_reminders, Command(commands.REMINDERS.name))
    router.callback_query.register(on_setting, ReminderCb.filter(), AdminsOnly())
    router.message.register(cmd_dates, Command(commands.DATES.name))
    router.callback_query.register(on_dates_page, DatesCb.filter())
    router.message.register(cmd_calendar, Command(commands.CALENDAR.name))
    return router
