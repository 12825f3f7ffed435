"""The platform's SIP server: Kamailio's configuration rendered from the settings (render.py) and
Kamailio run in the foreground (runner.py). No SIP code of ours: Kamailio speaks SIP, the platform
answers it over /internal/sip (docs/calls.md)."""
