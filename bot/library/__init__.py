"""Curated content: search, the Library, content screens, the timeline picture, deep links."""
