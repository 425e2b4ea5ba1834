"""Chats and users: languages, the profile middleware, the language screen."""
