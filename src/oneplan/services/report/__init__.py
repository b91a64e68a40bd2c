"""The executive S&OP pack of the cycle's newest plans."""
