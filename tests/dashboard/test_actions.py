"""What an instructor meets on the dashboard's pages and forms, over HTTP (the
real app through httpx's ASGI transport, the real core and database): each
action answers with the notice of what it really did; pages say what is so."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from bot.core.signin import SESSION_TTL

from .conftest import Browser

pytestmark = pytest.mark.asyncio(loop_scope="session")


def flash(page: str) -> str:
    found = re.search(r'class="flash[^"]*"[^>]*>(.*?)</', page, re.S)
    assert found, "no notice on the page"
    return html.unescape(found.group(1)).strip()


async def test_open_a_challenge_window_from_the_form(browser: Browser) -> None:
    seeded = browser.seeded
    cid = seeded.cohort_id
    assert (await browser.sign_in(await browser.link())).status_code == 303
    csrf = await browser.csrf(f"/c/{cid}/challenges")
    done = await browser.client.post(f"/c/{cid}/challenges/open", data={
        "csrf": csrf, "exercise": "1.4.1", "start": "", "minutes": "30"})
    assert done.status_code == 303
    page = (await browser.client.get(done.headers["location"])).text
    notice = flash(page)
    assert notice.startswith("1.4.1 Exercise 1.4.1: window from"), notice
    assert "not readable" not in notice
    (info,) = await seeded.world.dojo.challenge_status(seeded.coach, "1.4.1")
    (window,) = info.windows
    assert window.closes_at - window.opens_at == timedelta(minutes=30)
    # a window already over: refused in the form's terms, not the chat's (at=…)
    past = await browser.client.post(f"/c/{cid}/challenges/open", data={
        "csrf": csrf, "exercise": "1.4.1", "start": "2026-01-01T10:00", "minutes": "30"})
    notice = flash((await browser.client.get(past.headers["location"])).text)
    assert notice == "That window would already be over.", notice
    # the same window again: it overlaps
    again = await browser.client.post(f"/c/{cid}/challenges/open", data={
        "csrf": csrf, "exercise": "1.4.1", "start": "", "minutes": "30"})
    assert "already overlaps" in flash((await browser.client.get(again.headers["location"])).text)
    unreadable = await browser.client.post(f"/c/{cid}/challenges/open", data={
        "csrf": csrf, "exercise": "1.4.1", "start": "soon", "minutes": "30"})
    assert "not readable" in flash((await browser.client.get(unreadable.headers["location"])).text)
    (info,) = await seeded.world.dojo.challenge_status(seeded.coach, "1.4.1")
    assert len(info.windows) == 1
    # a window over several days shows the day it closes ("18:00 → 18:00" read as none)
    long = await browser.client.post(f"/c/{cid}/challenges/open", data={
        "csrf": csrf, "exercise": "1.4.1", "start": "2026-03-20T18:00", "minutes": "4320"})
    assert long.status_code == 303
    page = (await browser.client.get(f"/c/{cid}/challenges")).text
    assert "Fri 20 Mar 18:00 → Mon 23 Mar 18:00" in page, page
    assert re.search(r"\d\d:\d\d → \d\d:\d\d</li>", page)  # the same day: its time only


async def test_a_refusal_reads_as_a_sentence(browser: Browser) -> None:
    """Pausing twice said "the cohort is already paused" in the notice, lower case and no
    full stop: every refusal from the core is shown as a sentence."""
    cid = browser.seeded.cohort_id
    assert (await browser.sign_in(await browser.link())).status_code == 303
    csrf = await browser.csrf(f"/c/{cid}/schedule")
    for _ in range(2):
        done = await browser.client.post(f"/c/{cid}/schedule/pause", data={"csrf": csrf})
    notice = flash((await browser.client.get(done.headers["location"])).text)
    assert notice[:1].isupper() and notice.endswith("."), notice
    assert "already paused" in notice, notice


async def test_the_sign_in_page_says_how_long_the_link_works(browser: Browser) -> None:
    """It said "expires at 08:15 UTC": UTC is the server's zone, not the instructor's."""
    token = await browser.link()
    browser.clock.advance(timedelta(minutes=4))
    page = (await browser.client.get(f"/signin/{token}")).text
    left = re.search(r"The link works once,\s+for (\d+) more minutes\.", page)
    assert left and 10 <= int(left.group(1)) <= 12, page  # 15 minutes, 4 gone
    assert "UTC" not in page


async def test_a_cohort_not_started_yet_says_when_it_starts(browser: Browser) -> None:
    seeded = browser.seeded
    cid = seeded.cohort_id
    assert (await browser.sign_in(await browser.link())).status_code == 303
    assert "· started Mon 02 Mar 2026" in (await browser.client.get(f"/c/{cid}/schedule")).text
    seeded.world.clock.set(seeded.world.clock.now() - timedelta(days=7))  # before day 1
    assert "Starts Mon 02 Mar" in (await browser.client.get(f"/c/{cid}/")).text
    page = (await browser.client.get(f"/c/{cid}/schedule")).text
    assert "· starts Mon 02 Mar 2026" in page and "started" not in page


async def test_an_expired_session_says_so(browser: Browser) -> None:
    """Eight hours after signing in, the cohort's pages are refused with the
    reason (not "not signed in", which the instructor knows they did)."""
    seeded = browser.seeded
    cid = seeded.cohort_id
    assert (await browser.sign_in(await browser.link())).status_code == 303
    assert (await browser.client.get(f"/c/{cid}/")).status_code == 200
    browser.clock.advance(SESSION_TTL - timedelta(minutes=1))
    assert (await browser.client.get(f"/c/{cid}/")).status_code == 200
    browser.clock.advance(timedelta(minutes=2))
    page = await browser.client.get(f"/c/{cid}/")
    assert page.status_code == 403
    assert "sign-in has ended: a session lasts 8 hours" in html.unescape(page.text)
    assert "/dojo dashboard" in page.text
    # a browser that never signed in is told just that
    browser.client.cookies.clear()
    assert "This browser is not signed in." in (await browser.client.get(f"/c/{cid}/")).text
