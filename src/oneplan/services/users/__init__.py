"""The people who use oneplan: users, their passwords, grants and API tokens."""
