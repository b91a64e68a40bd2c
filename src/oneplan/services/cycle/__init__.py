"""The S&OP cycle: its steps in order, each runnable alone."""
