"""The owners' report (/admin): numbers read across the features."""
