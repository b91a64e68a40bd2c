"""Security headers on every response, as a plain ASGI middleware (no body buffering).

The API answers JSON only: nothing may frame it, run script from it or sniff its types, and no
cache keeps what a logged-in person saw. The interactive docs (``/docs``, ``/redoc``) need their
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


class SecurityHeaders:
    """Adds the headers above; ``hsts`` adds Strict-Transport-Security (behind TLS only)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(DOCS_PATHS)
        policy = DOCS_POLICY if docs else API_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                added = [*COMMON, (b"content-security-policy", policy.encode())]
                if not docs:
                    added.append((b"cache-control", b"no-store"))
                if self.hsts:
                    added.append((b"strict-transport-security", b"max-age=31536000"))
                headers += [(name, value) for name, value in added if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
