"""Comments on the things of the S&OP month, with replies and @mentions (docs/cycle.md)."""
