"""The composition root: configuration, the services container, the dispatcher, runners."""
