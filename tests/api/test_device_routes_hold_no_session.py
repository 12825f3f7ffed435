"""Routes that call a device hold no database connection while the device keeps them waiting: their
auth resolves in its own short transaction and the command (fleet/commands.py) owns the others.

The panel here is a real TCP listener that accepts and never answers (a hung panel); once it has
the route's connection, the app's pool is counted and another write must go through, then the
panel drops the connection and the route answers its device error."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.models import Role
from tests.api.client import helpers
from tests.conftest import Api
from tests.support import seed
from tests.support.server import RunningServer


class HungPanel:
    """Accepts connections and answers nothing: the caller waits until `release`, after which every
    connection (a retry included) is dropped at once, until the next `hold`."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.holding = True
        self._accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed by stop()
                return
            if not self.holding:
                connection.close()
                continue
            self._accepted.append(connection)
            self.connected.set()

    def hold(self) -> None:
        self.holding = True

    def release(self) -> None:
        """Drop every held connection: the waiting device call fails at once."""
        self.holding = False
        for connection in self._accepted:
            connection.close()
        self._accepted.clear()
        self.connected.clear()

    def stop(self) -> None:
        self.listener.close()
        self.release()


@pytest.fixture(scope="module")
def panel() -> Iterator[HungPanel]:
    hung = HungPanel()
    try:
        yield hung
    finally:
        hung.stop()


@pytest.fixture(scope="module")
def resident(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.resident)


@pytest.fixture(scope="module")
def door(settings: Settings, panel: HungPanel, resident: seed.SeededAccount) -> int:
    intercom_id = helpers.intercom(settings, title="Hung panel")

    async def connect(session: AsyncSession, context: AppContext) -> None:
        record = await intercoms.get_live(session, intercom_id, for_update=True)
        changes = IntercomChanges(
            schema="http", ip="127.0.0.1", port=panel.port, login="admin", password="pw"
        )
        await intercoms.update(session, context.secrets, record, changes)

    seed.in_session(settings, connect)
    helpers.attach(settings, intercom_id, 3, resident.id)
    return intercom_id


def _checked_out(server: RunningServer) -> int:
    app: Any = server.server.config.app
    count: int = app.state.context.engine.pool.checkedout()
    return count


ROUTES = [
    ("admin", "POST", "/api/admin/v1/intercoms/{id}/open-door"),
    ("admin", "GET", "/api/admin/v1/intercoms/{id}/snapshot"),
    ("admin", "POST", "/api/admin/v1/intercoms/{id}/restart"),
    ("admin", "GET", "/api/admin/v1/intercoms/{id}/config-backup"),
    ("admin", "POST", "/api/admin/v1/intercoms/{id}/sync-keys"),
    ("resident", "POST", "/api/v1/intercom/{id}/open-door"),
    ("resident", "GET", "/api/v1/intercom/{id}/snapshot"),
]


@pytest.mark.parametrize(("who", "method", "path"), ROUTES)
def test_no_connection_is_held_while_the_panel_hangs(
    api: Api,
    server: RunningServer,
    admin: seed.SeededAccount,
    resident: seed.SeededAccount,
    panel: HungPanel,
    door: int,
    who: str,
    method: str,
    path: str,
) -> None:
    idle = _checked_out(server)
    panel.hold()
    token = admin.token if who == "admin" else resident.token
    with (
        api.client(token) as caller,
        api.client(admin.token) as other,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        waiting = pool.submit(caller.request, method, path.format(id=door))
        try:
            assert panel.connected.wait(30), "the route never reached the panel"
            # The route is inside its device call now.
            assert _checked_out(server) == idle
            # A write by someone else is not blocked by anything the waiting route holds.
            renamed = other.patch(f"/api/admin/v1/intercoms/{door}", json={"title": f"Hung panel {who}"})
            assert renamed.status_code == 200, renamed.text
        finally:
            panel.release()
        reply = waiting.result(timeout=60)
    assert reply.status_code == 504, reply.text  # the panel dropped the connection: unreachable
    assert _checked_out(server) == idle
