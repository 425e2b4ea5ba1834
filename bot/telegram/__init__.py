"""The Telegram toolkit: middlewares, rate limiting, filters, callback data, i18n, UI blocks."""
