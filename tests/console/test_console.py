"""The operator's console in a real browser: sign-in, every page, forms that reach the admin API's
rules, the matrix grid, the door, live events and the refusals (wrong accounts, missing CSRF)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts.service import Principal
from entryphone.audit import service as audit
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import Role
from tests.console.conftest import screenshot, sign_in
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer
from tests.support.wait import until

ADMIN = "/api/admin/v1"
# docs/domain/matrix.md, example 1 (the admin docs' common-matrix example).
COMMON_MATRIX = [[20, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]]


def record_audit(
    settings: Settings, actor: seed.SeededAccount, intercom: int, action: str, changes: dict[str, Any]
) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        principal = Principal(account_id=actor.id, role=actor.role, token_id=0, login=actor.login)
        await audit.record(
            session,
            principal,
            action=action,
            subject_type="intercom",
            subject_id=intercom,
            intercom_id=intercom,
            changes=changes,
        )

    seed.in_session(settings, work)


@pytest.fixture
def signed_in(page: Any, console_server: RunningServer, operator: seed.SeededAccount) -> Any:
    sign_in(page, console_server, operator.login, operator.password)
    expect(page).to_have_url(re.compile(r"/console/fleet$"))
    return page


def test_sign_in_and_walk_every_page(
    signed_in: Any,
    console_server: RunningServer,
    settings: Settings,
    intercoms: list[int],
    admin_api: httpx.Client,
) -> None:
    page = signed_in
    url = console_server.url
    group = admin_api.post(f"{ADMIN}/intercoms/groups", json={"name": "Walk City"}).json()
    house = admin_api.post(
        f"{ADMIN}/intercoms/groups",
        json={"name": "7 Walk Street", "parent_id": group["id"], "is_house": True},
    ).json()
    assert (
        admin_api.patch(f"{ADMIN}/intercoms/{intercoms[0]}", json={"group_id": house["id"]}).status_code
        == 200
    )
    resident = seed.account(settings, Role.resident, name="Walking Resident")

    page.goto(f"{url}/console/fleet")
    expect(page.get_by_role("heading", name="Fleet")).to_be_visible()
    row = page.locator(f"tr[data-intercom='{intercoms[0]}']")
    expect(row).to_contain_text("Entrance 1")
    expect(row).to_contain_text("Walk City, 7 Walk Street")
    expect(row.locator("[data-state]")).to_have_text("Online")  # the supervisor reached the panel
    screenshot(page, "fleet")

    page.get_by_label("Group").select_option(str(house["id"]))
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-intercom]")).to_have_count(1)
    page.goto(f"{url}/console/fleet?alert=open")
    expect(page.locator("tr[data-intercom]")).to_have_count(0)
    page.goto(f"{url}/console/fleet?online=sideways")
    expect(page.locator("#err-online")).to_contain_text("invalid")

    page.goto(f"{url}/console/intercoms/{intercoms[0]}")
    expect(page.get_by_role("heading", name="Intercom Entrance 1")).to_be_visible()
    expect(page.locator("[data-camera]")).to_have_js_property("complete", True)
    assert page.locator("[data-camera]").evaluate("image => image.naturalWidth") > 0  # a real frame
    screenshot(page, "intercom")

    page.goto(f"{url}/console/groups")
    expect(page.locator(f"li[data-group='{group['id']}'] > details > summary strong")).to_have_text(
        "Walk City"
    )
    expect(page.locator(f"li[data-group='{house['id']}']")).to_contain_text("1 intercoms")
    page.get_by_label("Name").last.fill("Console Town")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("status")).to_have_text("Group created.")
    expect(page.locator("summary strong", has_text="Console Town")).to_be_visible()
    screenshot(page, "groups")

    page.goto(f"{url}/console/residents?q=walking")
    page.get_by_role("link", name=resident.login).click()
    expect(page.get_by_role("heading", name="Walking Resident")).to_be_visible()
    screenshot(page, "resident")
    page.goto(f"{url}/console/residents")
    screenshot(page, "residents")

    billing = seed.account(settings, Role.billing)
    record_audit(
        settings, billing, intercoms[0], "intercom.updated", {"title": {"before": "A", "after": "B"}}
    )
    record_audit(settings, billing, intercoms[1], "intercom.moved", {"group_id": {"before": 1, "after": 2}})
    page.goto(f"{url}/console/audit")
    expect(page.get_by_role("heading", name="Audit")).to_be_visible()
    # The walk's own admin changes are in the trail too; the billing system's two entries by login.
    page.get_by_label("Login").fill(billing.login)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.audit tbody tr")).to_have_count(2)
    page.get_by_label("Action").select_option("intercom.moved")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.audit tbody tr")).to_have_count(1)
    expect(page.locator("table.audit tbody")).to_contain_text(billing.login)
    page.goto(f"{url}/console/audit?intercom={intercoms[0]}&surface=billing")
    expect(page.locator("table.audit tbody tr")).to_have_count(1)
    expect(page.locator("table.audit tbody")).to_contain_text('"A" → "B"')
    page.goto(f"{url}/console/audit")
    screenshot(page, "audit")

    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, held upright
    page.goto(f"{url}/console/intercoms/{intercoms[0]}")
    expect(page.get_by_role("button", name="Open door")).to_be_in_viewport()
    screenshot(page, "intercom-tablet")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(f"{url}/console/fleet")
    expect(page).to_have_url(re.compile(r"/console/login"))
    screenshot(page, "login")


def test_group_rules_are_the_apis(
    signed_in: Any, console_server: RunningServer, admin_api: httpx.Client
) -> None:
    page = signed_in
    parent = admin_api.post(f"{ADMIN}/intercoms/groups", json={"name": "Rules Parent"}).json()
    child = admin_api.post(
        f"{ADMIN}/intercoms/groups", json={"name": "Rules Child", "parent_id": parent["id"]}
    )
    child_id = child.json()["id"]
    page.goto(f"{console_server.url}/console/groups")
    # A group cannot move under its own child: the service's error shows next to the parent field.
    item = page.locator(f"li[data-group='{parent['id']}']").first
    item.locator("summary").first.click()
    item.locator(f"#parent-{parent['id']}").select_option(str(child_id))
    item.get_by_role("button", name="Save").first.click()
    expected = admin_api.patch(f"{ADMIN}/intercoms/groups/{parent['id']}", json={"parent_id": child_id})
    assert expected.status_code == 422
    message = expected.json()["errors"]["parent_id"][0]
    expect(page.locator("#err-parent_id")).to_have_text(message)
    # Rename, then delete the child through the forms; the API sees both.
    page.goto(f"{console_server.url}/console/groups")
    item = page.locator(f"li[data-group='{child_id}']")
    item.locator("summary").click()
    item.locator(f"#name-{child_id}").fill("Rules Child Renamed")
    item.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Group saved.")
    assert admin_api.get(f"{ADMIN}/intercoms/groups/{child_id}").json()["name"] == "Rules Child Renamed"
    item = page.locator(f"li[data-group='{child_id}']")
    item.locator("summary").click()
    item.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Group deleted.")
    assert admin_api.get(f"{ADMIN}/intercoms/groups/{child_id}").status_code == 404


def test_a_bad_value_shows_the_apis_error_next_to_its_field(
    signed_in: Any, console_server: RunningServer, intercoms: list[int], admin_api: httpx.Client
) -> None:
    page = signed_in
    intercom = intercoms[1]
    page.goto(f"{console_server.url}/console/intercoms/{intercom}")
    page.get_by_label("Door open time (s)").fill("soon")
    page.get_by_label("Last flat").fill("5")
    page.get_by_label("First flat").fill("10")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("not saved")
    expected = admin_api.patch(
        f"{ADMIN}/intercoms/{intercom}",
        json={"door_open_time_general": "soon", "flat_from": 10, "flat_to": 5},
    )
    assert expected.status_code == 422
    errors = expected.json()["errors"]
    expect(page.locator("#err-door_open_time_general")).to_have_text(errors["door_open_time_general"][0])
    expect(page.get_by_label("Door open time (s)")).to_have_value("soon")  # what was typed stays
    expect(page.get_by_label("Door open time (s)")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "intercom-error")
    assert admin_api.get(f"{ADMIN}/intercoms/{intercom}").json()["flat_from"] is None  # nothing changed

    # A valid change, and the SIP password stays write-only.
    page.get_by_label("Door open time (s)").fill("7")
    page.get_by_label("First flat").fill("1")
    page.get_by_label("Last flat").fill("30")
    page.get_by_label("SIP server").fill("sip.example.net")
    page.get_by_label("SIP port").fill("5060")
    page.get_by_label("SIP login").fill("panel-2")
    page.get_by_label("SIP password").fill("sip-secret-77")
    page.get_by_label("Relay 1").fill("1#")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    stored = admin_api.get(f"{ADMIN}/intercoms/{intercom}").json()
    assert (stored["door_open_time_general"], stored["flat_from"], stored["flat_to"]) == (7, 1, 30)
    assert stored["sip_credentials"] == {
        "server": "sip.example.net",
        "port": 5060,
        "login": "panel-2",
        "is_sip_password_installed": True,
    }
    assert stored["sip_options"]["dtmf"] == [{"id": 1, "value": "1#"}]
    assert "sip-secret-77" not in page.content()
    # Changing the login alone needs the password again: the API's own words, on the password field.
    page.get_by_label("SIP login").fill("panel-2b")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#err-sip_credentials-password")).to_be_visible()


def test_the_matrix_grid_round_trips_through_the_api(
    signed_in: Any, console_server: RunningServer, intercoms: list[int], admin_api: httpx.Client
) -> None:
    page = signed_in
    intercom = intercoms[2]
    page.goto(f"{console_server.url}/console/intercoms/{intercom}")
    form = page.locator("form[data-matrix]")
    form.get_by_label("Switch", exact=True).select_option("metakom")
    form.get_by_role("button", name="Add a switch").click()
    element = form.locator("[data-element='0']")
    element.get_by_label("Capacity").fill("20")
    element.get_by_label("First flat", exact=True).fill("1")
    element.get_by_label("Last flat in the first cell").check()
    element.get_by_role("button", name="Fill the grid").click()
    expect(element.locator("[data-grid] tbody tr")).to_have_count(2)
    form.get_by_role("button", name="Save matrix").click()
    expect(page.get_by_role("status")).to_have_text("Matrix saved.")

    stored = admin_api.get(f"{ADMIN}/intercoms/{intercom}").json()
    assert stored["switch"] == "metakom" and stored["commutators_count"] == 1
    assert stored["matrix"] == [
        {
            "id": 1,
            "capacity": 20,
            "items": COMMON_MATRIX,
            "auto": False,
            "is_last_item_first": True,
            "flat_from": 1,
        }
    ]
    built = admin_api.post(
        f"{ADMIN}/intercoms/{intercom}/common-matrix",
        json={"switch": "metakom", "capacity": 20, "is_last_item_first": True, "flat_from": 1},
    ).json()
    assert built["items"] == COMMON_MATRIX
    # The page renders exactly what is stored, cell by cell.
    cells = page.locator("[data-element='0'] [data-grid] tbody tr")
    shown = [
        [int(value) for value in row.locator("input").evaluate_all("inputs => inputs.map(i => i.value)")]
        for row in cells.all()
    ]
    assert shown == COMMON_MATRIX
    page.locator("#h-matrix").scroll_into_view_if_needed()
    screenshot(page, "intercom-matrix")

    # Edit cells: unwire flat 20 (tens 0, units 0), wire flat 21 there instead.
    page.get_by_label("Switch 1, tens line 0, units line 0").fill("21")
    page.get_by_role("button", name="Save matrix").click()
    expect(page.get_by_role("status")).to_have_text("Matrix saved.")
    items = admin_api.get(f"{ADMIN}/intercoms/{intercom}").json()["matrix"][0]["items"]
    assert items == [[21, *COMMON_MATRIX[0][1:]], COMMON_MATRIX[1]]
    # A flat wired twice is the validator's error, on the second cell.
    page.get_by_label("Switch 1, tens line 1, units line 9").fill("1")
    page.get_by_role("button", name="Save matrix").click()
    expect(page.locator("#err-matrix-0-items-1-9")).to_be_visible()
    assert admin_api.get(f"{ADMIN}/intercoms/{intercom}").json()["matrix"][0]["items"][1][9] == 19


def test_open_door_turns_the_panels_switch_on(
    signed_in: Any,
    console_server: RunningServer,
    intercoms: list[int],
    emulators: BackgroundEmulators,
) -> None:
    page = signed_in
    device = emulators.devices[0]
    until(lambda: emulators.state(device)["switches"][0]["active"] is False, timeout=30)
    page.goto(f"{console_server.url}/console/intercoms/{intercoms[0]}")
    page.get_by_role("button", name="Open door").click()
    expect(page.get_by_role("status")).to_have_text("The door was opened.")
    assert emulators.state(device)["switches"][0]["active"] is True


def test_a_card_swipe_appears_live_in_the_journal(
    signed_in: Any, console_server: RunningServer, intercoms: list[int], emulators: BackgroundEmulators
) -> None:
    page = signed_in
    page.goto(f"{console_server.url}/console/intercoms/{intercoms[0]}")
    journal = page.locator("[data-journal]")
    expect(journal).not_to_contain_text("CardEntered")
    emulators.control(emulators.devices[0], "card", {"uid": "C0FFEE42"})
    expect(journal).to_contain_text("CardEntered", timeout=30_000)  # no reload: the page polls
    expect(journal).to_contain_text("C0FFEE42")
    screenshot(page, "intercom-journal")


def test_a_panel_going_offline_shows_on_the_fleet_page_without_reload(
    signed_in: Any, console_server: RunningServer, intercoms: list[int], emulators: BackgroundEmulators
) -> None:
    page = signed_in
    page.goto(f"{console_server.url}/console/fleet")
    badge = page.locator(f"tr[data-intercom='{intercoms[2]}'] [data-state]")
    expect(badge).to_have_text("Online")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    device = emulators.devices[2]
    emulators.run(device.stop)
    try:
        expect(badge).to_have_text("Offline", timeout=30_000)
    finally:
        emulators.run(device.start)
    expect(badge).to_have_text("Online", timeout=30_000)


@pytest.mark.parametrize("role", [Role.resident, Role.billing])
def test_resident_and_billing_accounts_cannot_sign_in(
    page: Any, console_server: RunningServer, settings: Settings, role: Role
) -> None:
    other = seed.account(settings, role, password="their-right-password")
    sign_in(page, console_server, other.login, other.password)
    expect(page.get_by_role("alert")).to_have_text("These credentials do not match our records.")
    expect(page).to_have_url(re.compile(r"/console/login"))
    assert not [cookie for cookie in page.context.cookies() if cookie["name"] == "ep_console"]


def test_the_session_cookie_is_guarded(signed_in: Any) -> None:
    cookie = next(cookie for cookie in signed_in.context.cookies() if cookie["name"] == "ep_console")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert signed_in.evaluate("document.cookie") == ""


def test_a_form_without_its_csrf_token_is_refused(
    signed_in: Any, console_server: RunningServer, intercoms: list[int], admin_api: httpx.Client
) -> None:
    page = signed_in
    before = admin_api.get(f"{ADMIN}/intercoms/{intercoms[1]}").json()["title"]
    page.goto(f"{console_server.url}/console/intercoms/{intercoms[1]}")
    page.get_by_label("Title", exact=True).fill("Forged title")
    page.locator("form[action$='/settings'] input[name=_csrf]").evaluate("input => input.remove()")
    with page.expect_response(lambda reply: reply.url.endswith("/settings")) as answer:
        page.get_by_role("button", name="Save settings").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("expired or was not sent from the console")
    assert admin_api.get(f"{ADMIN}/intercoms/{intercoms[1]}").json()["title"] == before
    # A wrong token is refused the same way, here for the door.
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    with httpx.Client(base_url=console_server.url, cookies=cookies) as client:
        reply = client.post(f"/console/intercoms/{intercoms[1]}/open-door", data={"_csrf": "0" * 64})
        assert reply.status_code == 403
        reply = client.post("/console/login", data={"login": "x", "password": "y"})
        assert reply.status_code == 403


def test_a_tamper_alert_shows_live_and_in_the_alert_filter(
    signed_in: Any, console_server: RunningServer, intercoms: list[int], emulators: BackgroundEmulators
) -> None:
    page = signed_in
    page.goto(f"{console_server.url}/console/fleet")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    alerts = page.locator(f"tr[data-intercom='{intercoms[1]}'] [data-alerts]")
    expect(alerts).to_have_text("0")
    emulators.control(emulators.devices[1], "tamper", {"state": "in"})
    expect(alerts).to_have_text("1", timeout=30_000)  # pushed, no reload
    page.goto(f"{console_server.url}/console/fleet?alert=open")
    expect(page.locator("tr[data-intercom]")).to_have_count(1)
    expect(page.locator(f"tr[data-intercom='{intercoms[1]}']")).to_be_visible()
    page.goto(f"{console_server.url}/console/intercoms/{intercoms[1]}")
    expect(page.locator("section[aria-labelledby='h-alerts']")).to_contain_text("tamper")
