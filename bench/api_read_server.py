"""The server process of the api_read benchmark: exactly what `entryphone serve` runs (uvicorn, one
worker, `create_app(Settings())` from the ENTRYPHONE_* environment), with two opt-in probes for a
profiling run that are never on while figures are measured:

- `--count-queries`: every SQL statement is counted (an SQLAlchemy `before_cursor_execute` listener
  on all engines) and `GET /__bench/queries` answers the count and the statements since the last
  `POST /__bench/queries` (send requests one at a time to attribute them);
- `--profile FILE`: the event loop's thread runs under cProfile, and so does every aiosqlite worker
  thread (SQLite statements run there, invisible to a profiler of the main thread only); all are
  merged into FILE at shutdown (SIGINT).

Run: python bench/api_read_server.py --port 8000 [--count-queries] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
from typing import Any

import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Engine

from entryphone.app import create_app
from entryphone.config import Settings

Scope = dict[str, Any]


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []
        event.listen(Engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        if len(self.statements) < 200:
            self.statements.append(" ".join(statement.split()))

    def wrap(self, app: Any) -> Any:
        async def asgi(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"] == "/__bench/queries":
                if scope["method"] == "POST":
                    self.count, self.statements = 0, []
                body = json.dumps({"count": self.count, "statements": self.statements}).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await app(scope, receive, send)

        return asgi


class ThreadProfiles:
    """One cProfile per aiosqlite connection thread, merged at the end."""

    def __init__(self) -> None:
        import aiosqlite.core

        self.profiles: list[cProfile.Profile] = []
        original = aiosqlite.core._connection_worker_thread

        def profiled(*args: Any) -> None:
            profile = cProfile.Profile()
            self.profiles.append(profile)
            profile.runcall(original, *args)

        aiosqlite.core._connection_worker_thread = profiled

    def dump_with(self, main: cProfile.Profile, path: str) -> None:
        stats = pstats.Stats(main)
        for profile in self.profiles:
            profile.create_stats()  # threads still alive at exit: take what they have
            stats.add(profile)
        stats.dump_stats(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count-queries", action="store_true")
    parser.add_argument("--profile", default=None, help="write cProfile stats here at shutdown")
    args = parser.parse_args()

    settings = Settings()
    app: Any = create_app(settings)
    if args.count_queries:
        app = QueryCounter().wrap(app)
    profiler = cProfile.Profile() if args.profile else None
    threads = ThreadProfiles() if args.profile else None
    if profiler is not None:
        profiler.enable()
    try:
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level=settings.log_level, lifespan="on")
    finally:
        if profiler is not None:
            profiler.disable()
            assert threads is not None
            threads.dump_with(profiler, args.profile)


if __name__ == "__main__":
    main()
