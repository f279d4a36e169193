"""Village connections: with Chromium emulating 400 kbit/s and 400 ms latency (DevTools protocol),
a cold-cache load of the desk home, the new-case form and the status page finishes in under 3 s
and transfers at most 150 KB (the status page at most 50 KB).

Bytes are what crossed the emulated wire (`encodedDataLength`: headers and bodies). The test
server does not compress; in production nginx gzips text, so real transfers are smaller still.
The 3 s is the issue's requirement under emulated network conditions, where the wire, not this
machine, sets the pace; the figures are also written to tests/artifacts/slow-network.json."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

SLOW = {
    "offline": False,
    "latency": 400,  # ms added to every request
    "downloadThroughput": 400 * 1000 / 8,  # bytes/s
    "uploadThroughput": 400 * 1000 / 8,
}
RESULTS: dict[str, dict] = {}


def load_on_a_slow_line(page, path: str) -> dict:
    """Empties the cache, throttles, loads `path`; returns seconds to the load event and bytes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.emulateNetworkConditions", SLOW)
    received: list[int] = []
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    # data: URLs (Chromium's own date-picker icon) never cross the wire.
    cdp.on(
        "Network.loadingFinished",
        lambda e: (
            received.append(int(e["encodedDataLength"]))
            if urls.get(e["requestId"], "").startswith("http")
            else None
        ),
    )
    page.goto(path, wait_until="load", timeout=30000)
    timing = page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {load: n.loadEventEnd - n.startTime, status: n.responseStatus}; })()"
    )
    page.wait_for_timeout(200)  # loadingFinished of the last file may arrive just after `load`
    cdp.send(
        "Network.emulateNetworkConditions",
        {**SLOW, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    cdp.detach()
    figures = {
        "seconds": round(timing["load"] / 1000, 2),
        "bytes": sum(received),
        "requests": len(received),
        "files": sorted(u for u in set(urls.values()) if u.startswith("http")),
    }
    RESULTS[path.split("?")[0]] = figures
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "slow-network.json").write_text(json.dumps(RESULTS, indent=2))
    return figures


def busy_day(world) -> None:
    """A full desk home: more visitors today than the list and a page of open cases hold."""
    from tests import factories

    for i in range(45):
        person = factories.make_person(name=f"Warga Nomor {i:02d} Binti Suparman", phone="0812 3456 7890")
        case = factories.make_case(factories.VILLAGE_A, world.office_a, reporter=person, urgent=i % 7 == 0)
        if i % 3 == 0:
            factories.make_referral(case, agency=world.agency)
    db.session.commit()


def test_desk_home_loads_in_3_seconds_and_150_kb_on_a_slow_line(page, world):
    busy_day(world)
    login(page, "desk.a", PASSWORD)
    figures = load_on_a_slow_line(page, "/")
    expect(page.get_by_text("Warga Nomor 44").first).to_be_visible()
    assert figures["bytes"] <= 150_000, figures
    assert figures["seconds"] < 3, figures


def test_new_case_form_loads_in_3_seconds_and_150_kb_on_a_slow_line(page, world):
    login(page, "desk.a", PASSWORD)
    figures = load_on_a_slow_line(page, "/cases/new?new=1")
    expect(page.locator("form.intake")).to_be_visible()
    assert figures["bytes"] <= 150_000, figures
    assert figures["seconds"] < 3, figures


def test_status_page_with_a_result_loads_in_3_seconds_and_50_kb_on_a_slow_line(page, world):
    from tests.public_factories import make_secret_case

    case = make_secret_case(world)
    figures = load_on_a_slow_line(page, f"/status?code={case.tracking_code}")
    expect(page.locator(".result")).to_be_visible()
    assert figures["bytes"] <= 50_000, figures
    assert figures["seconds"] < 3, figures
