"""Language choice and chat membership handlers."""
