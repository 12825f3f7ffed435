"""HTTP validators on the admin intercom object and list: an ETag derived from the reply, 304 when
the client holds the current one, a new tag as soon as anything the reply shows changes (on this
node or another)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.fleet import repository as fleet
from tests.api.admin.helpers import BASE, house, intercom
from tests.support import seed
from tests.support.server import RunningServer


def _tag(reply: httpx.Response) -> str:
    assert reply.status_code == 200, reply.text
    tag = reply.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2
    assert reply.headers["cache-control"] == "private, no-cache"
    return tag


def _revalidate(client: httpx.Client, path: str, tag: str, **params: object) -> httpx.Response:
    return client.get(path, params=params, headers={"If-None-Match": tag})


def test_the_object_answers_304_while_nothing_it_shows_changed(admin_client: httpx.Client) -> None:
    group = house(admin_client, "Tagged house")
    created = intercom(admin_client, title="Tagged", group_id=group["id"])
    path = f"{BASE}/intercoms/{created['id']}"
    tag = _tag(admin_client.get(path))
    assert _tag(admin_client.get(path)) == tag  # the same data, the same tag

    unchanged = _revalidate(admin_client, path, tag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == tag
    assert _revalidate(admin_client, path, f"W/{tag}").status_code == 304  # weak comparison
    assert _revalidate(admin_client, path, f'"other", {tag}').status_code == 304
    assert _revalidate(admin_client, path, "*").status_code == 304
    assert _revalidate(admin_client, path, '"other"').status_code == 200
    assert _revalidate(admin_client, path, "not a tag").status_code == 200

    # The intercom itself changes: a new tag, and the old one no longer validates.
    assert admin_client.patch(path, json={"title": "Tagged again"}).status_code == 200
    renamed = _revalidate(admin_client, path, tag)
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Tagged again"
    second = _tag(renamed)
    assert second != tag

    # Something the object shows but that is not the intercom row: its group's name.
    patched = admin_client.patch(f"{BASE}/intercoms/groups/{group['id']}", json={"name": "Renamed house"})
    assert patched.status_code == 200, patched.text
    regrouped = _revalidate(admin_client, path, second)
    assert regrouped.status_code == 200
    assert regrouped.json()["group"]["name"] == "Renamed house"


def test_the_object_tag_follows_the_online_state(admin_client: httpx.Client, settings: Settings) -> None:
    created = intercom(admin_client, title="Goes online")
    path = f"{BASE}/intercoms/{created['id']}"
    tag = _tag(admin_client.get(path))

    async def online(session: AsyncSession, _context: AppContext) -> None:
        assert await fleet.set_online(session, created["id"], True, utcnow())

    seed.in_session(settings, online)
    reply = _revalidate(admin_client, path, tag)
    assert reply.status_code == 200
    assert reply.json()["is_online"] is True


def test_the_list_answers_304_until_a_listed_intercom_changes(admin_client: httpx.Client) -> None:
    group = house(admin_client, "Listed house")
    first = intercom(admin_client, title="Listed one", group_id=group["id"])
    params = {"group_id": group["id"]}
    tag = _tag(admin_client.get(f"{BASE}/intercoms", params=params))
    assert _revalidate(admin_client, f"{BASE}/intercoms", tag, **params).status_code == 304
    # Another page of the same data is another representation.
    assert _revalidate(admin_client, f"{BASE}/intercoms", tag, per_page=5, **params).status_code == 200

    intercom(admin_client, title="Listed two", group_id=group["id"])
    grown = _revalidate(admin_client, f"{BASE}/intercoms", tag, **params)
    assert grown.status_code == 200
    assert grown.json()["meta"]["total"] == 2
    tag = _tag(grown)

    patched = admin_client.patch(f"{BASE}/intercoms/{first['id']}", json={"title": "Listed first"})
    assert patched.status_code == 200, patched.text
    assert _revalidate(admin_client, f"{BASE}/intercoms", tag, **params).status_code == 200


def test_a_tag_from_one_node_validates_on_another_until_either_writes(
    admin_client: httpx.Client, admin: seed.SeededAccount, second_node: RunningServer
) -> None:
    created = intercom(admin_client, title="Two nodes")
    path = f"{BASE}/intercoms/{created['id']}"
    tag = _tag(admin_client.get(path))
    headers = {"Authorization": f"Bearer {admin.token}"}
    with httpx.Client(base_url=second_node.url, headers=headers) as other:
        assert _revalidate(other, path, tag).status_code == 304
        assert other.patch(path, json={"title": "Changed on node two"}).status_code == 200
    assert _revalidate(admin_client, path, tag).status_code == 200
