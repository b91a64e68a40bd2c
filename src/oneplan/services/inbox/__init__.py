"""Each person's inbox of notifications, and the e-mail that tells them (docs/cycle.md)."""
