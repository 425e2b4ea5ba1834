"""Content, search and inline-mode handlers."""
