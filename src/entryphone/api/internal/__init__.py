"""The internal surface, /internal: what the platform's own components call (Kamailio asks whom to
ring and reports calls). Not one of the three public surfaces and not in /openapi.json; every call
presents the shared secret (Settings.resolved_sip_secret) as HTTP Basic credentials, which is what
Kamailio's http_client sends for a `http://user:secret@host` connection."""

from entryphone.api.internal import sip

PREFIX = "/internal"
ROUTERS = [sip.router]  # app.py adds PREFIX
