"""The REST API: a FastAPI app over the same services the command line calls (docs/api.md)."""
