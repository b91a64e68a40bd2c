"""The API's routes, one module per domain: parse, call the service, return its schema."""
