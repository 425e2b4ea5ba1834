"""/subscribe, /unsubscribe, /reminders, /dates, /calendar, the settings and the dates buttons."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.profiles.types import Chat
from bot.reminders import views
from bot.reminders.service import ReminderService
from bot.telegram import commands
from bot.telegram.callbacks import DatesCb, ReminderCb
from bot.telegram.filters import AdminsOnly
from bot.telegram.i18n import Translator
from bot.telegram.parsing import parse_number
from bot.telegram.permissions import require_chat_admin
from bot.telegram.replies import send, show
from content.loader import Catalog

DATES_DEFAULT = 5
DATES_MAX = 20


async def settings_screen(
    reminders: ReminderService, catalog: Catalog, t: Translator, chat: Chat | None, chat_id: int
) -> views.Screen:
    row = await reminders.settings(chat_id)
    zone = reminders.timezone_of(None, chat.timezone if chat else None)
    return views.settings(catalog, t, row, zone)


async def subscribe_chat(
    message: Message, bot: Bot, t: Translator, reminders: ReminderService, catalog: Catalog,
    chat_record: Chat | None,
) -> None:  # fmt: skip
    """/subscribe, and the "subscribe" deep link: admins only in groups."""
    await require_chat_admin(bot, message)
    await reminders.subscribe(message.chat.id)
    await message.answer(t("reminders.subscribed"))
    await send(message, await settings_screen(reminders, catalog, t, chat_record, message.chat.id))


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command(commands.SUBSCRIBE.name))
    async def cmd_subscribe(
        message: Message, bot: Bot, t: Translator, reminders: ReminderService, catalog: Catalog,
        chat_record: Chat | None,
    ) -> None:  # fmt: skip
        await subscribe_chat(message, bot, t, reminders, catalog, chat_record)

    @router.message(Command(commands.UNSUBSCRIBE.name), AdminsOnly())
    async def cmd_unsubscribe(message: Message, t: Translator, reminders: ReminderService) -> None:
        removed = await reminders.unsubscribe(message.chat.id)
        await message.answer(
            t("reminders.unsubscribed" if removed else "reminders.not_subscribed")
        )

    @router.message(Command(commands.REMINDERS.name))
    async def cmd_reminders(
        message: Message, command: CommandObject, bot: Bot, t: Translator,
        reminders: ReminderService, catalog: Catalog, chat_record: Chat | None,
    ) -> None:  # fmt: skip
        zone = (command.args or "").strip()
        if zone:
            # "/reminders Europe/Berlin": any IANA time zone name, typed as text.
            await require_chat_admin(bot, message)
            await reminders.settings(message.chat.id)
            await reminders.change(message.chat.id, "tz", zone)
            chat_record = await reminders.profiles.chats.get(message.chat.id)
        await send(
            message, await settings_screen(reminders, catalog, t, chat_record, message.chat.id)
        )

    @router.callback_query(ReminderCb.filter(), AdminsOnly())
    async def on_setting(
        query: CallbackQuery, callback_data: ReminderCb, t: Translator,
        reminders: ReminderService, catalog: Catalog,
    ) -> None:  # fmt: skip
        assert isinstance(query.message, Message)  # AdminsOnly answered any other
        chat_id = query.message.chat.id
        setting = callback_data.setting
        if setting == "off":
            await reminders.unsubscribe(chat_id)
            await show(query, views.Screen(t("reminders.unsubscribed")))
            return
        if setting == "topics":
            await show(query, views.topic_picker(catalog, t, await reminders.settings(chat_id)))
            return
        if setting != "back":
            await reminders.change(chat_id, setting, callback_data.value)
        chat = await reminders.profiles.chats.get(chat_id)
        await show(query, await settings_screen(reminders, catalog, t, chat, chat_id))

    @router.message(Command(commands.DATES.name))
    async def cmd_dates(
        message: Message, command: CommandObject, t: Translator, reminders: ReminderService,
        catalog: Catalog, chat_record: Chat | None,
    ) -> None:  # fmt: skip
        argument = (command.args or "").strip()
        count = parse_number(argument, 1, DATES_MAX) if argument else DATES_DEFAULT
        if count is None:
            await message.answer(t("reminders.dates_usage", limit=DATES_MAX))
            return
        zone = reminders.timezone_of(None, chat_record.timezone if chat_record else None)
        upcoming = reminders.upcoming(zone, count)
        await send(message, views.dates(catalog, t, upcoming, reminders.today(zone), zone))

    @router.callback_query(DatesCb.filter())
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

    @router.message(Command(commands.CALENDAR.name))
    async def cmd_calendar(message: Message, t: Translator, reminders: ReminderService) -> None:
        document = BufferedInputFile(
            reminders.ics(t.lang), filename=f"nwfz-anniversaries-{t.lang}.ics"
        )
        await message.answer_document(document, caption=t("reminders.calendar_caption"))

    return router
