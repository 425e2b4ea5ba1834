from bot.offline.world import World


async def test_start_private_ru(world: World) -> None:
    alice = world.user("Alice", "ru")
    await alice.send("/start")
    message = world.last(alice.private)
    assert "Здравствуйте, Alice" in (message.text or "")
