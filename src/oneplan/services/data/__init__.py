"""The data package: validate it, import it, export what the database holds."""
