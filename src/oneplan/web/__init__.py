"""The web application: NiceGUI pages on the API's own FastAPI app (docs/web.md).

Pages are a front end like the command line and the API: they read who is visiting from the
log-in session cookie the API sets, open one transaction per action, call the services and
show what comes back. No business rule lives in a page.
"""
