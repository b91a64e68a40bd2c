"""Pure planning engines: frames in, frames out; no database, no web, no global state."""
