"""The audit trail: who did what to which thing, and when."""
