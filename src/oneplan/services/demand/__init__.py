"""The demand plan: forecast, lifecycle, events, overrides, the planning grid, accuracy."""
