"""Security headers on every response, as a plain ASGI middleware (no body buffering).

The API answers JSON only: nothing may frame it, run script from it or sniff its types, and no
cache keeps what a logged-in person saw. The web pages under ``/app`` run the server's own
script and nothing from elsewhere. The interactive docs (``/docs``, ``/redoc``) need their
own script and styles, served by the server itself, so they get a policy that allows exactly
that and nothing from elsewhere.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
DOCS_PATHS = ("/docs", "/redoc", "/docs-assets/")
#: The web pages (Vue and Quasar, served by the server itself) compile their templates in the
#: browser and talk back over a WebSocket of the same origin: nothing from elsewhere.
WEB_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
WEB_PATHS = ("/app/", "/app")


class SecurityHeaders:
    """Adds the headers above; ``hsts`` adds Strict-Transport-Security (behind TLS only)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        docs = path.startswith(DOCS_PATHS)
        policy = DOCS_POLICY if docs else WEB_POLICY if path.startswith(WEB_PATHS) else API_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                added = dict(COMMON)
                added[b"content-security-policy"] = policy.encode()
                if policy is WEB_POLICY:  # forms post with their Origin, which the server checks
                    added[b"referrer-policy"] = b"same-origin"
                if not docs:
                    added[b"cache-control"] = b"no-store"
                if self.hsts:
                    added[b"strict-transport-security"] = b"max-age=31536000"
                headers += [(name, value) for name, value in added.items() if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
