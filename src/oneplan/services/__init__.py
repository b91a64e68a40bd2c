"""Services own the database transaction and turn rows into frames and back."""
