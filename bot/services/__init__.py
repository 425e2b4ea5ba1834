"""Services: the side-effecting shell around the pure cores (storage, clock, randomness)."""
