"""An offline Telegram: a Bot API emulator that enforces Telegram's limits.

It powers the terminal demo (``python -m bot demo``: no token, no network), the end-to-end tests
and the benchmarks. It lives in the package, not under tests/, because the demo ships with it.
"""
