"""Sign-in to the instructor dashboard from chat: one-time links, then sessions.

Why no passwords: the chat platform already knows who is an instructor of a
channel (Discord roles, Slack admins and groups — mapped to ``Role`` by each
adapter). ``/dojo dashboard`` turns that knowledge into a short-lived link
bound to that instructor and that cohort; the dashboard turns the link into a
session. Nobody keeps a second password.

Two layers, each doing what it is good at:

* the token in the link is signed (``itsdangerous``, its own salt) so a forged
  or edited token is refused before the database is asked, and carries its
  issue time (refused after ``LINK_TTL`` even if the row were kept);
* the ``dashboard_signins`` row makes the link *one-time* (a conditional
  UPDATE sets ``used_at``; of two clicks exactly one wins) and holds the
  session the browser gets, which every request checks (``grants``), so
  signing out or expiry is enforced by the server, not the cookie.

Times here come from a real clock, never the console's simulated one: moving
the demo's calendar forward must not expire (or revive) a sign-in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import and_, delete, or_, select, update

from bot.core.clock import Clock, SystemClock
from bot.core.errors import DojoError
from bot.core.types import Actor, Role
from bot.db import Cohort, DashboardSignIn, Database

LINK_TTL = timedelta(minutes=15)
#: How far ahead of the dashboard's clock the bot's may be when it signs a link.
CLOCK_SKEW = timedelta(minutes=2)
SESSION_TTL = timedelta(hours=8)
MAX_SESSIONS_PER_BROWSER = 8
_SALT = "torchdojo.dashboard.signin"


class SignInRefused(DojoError):
    """A sign-in link that cannot be used; the message says why, for the page."""


@dataclass(frozen=True)
class DashboardSite:
    """Where the dashboard lives and the key that signs its links and sessions."""

    base_url: str
    secret: str

    @property
    def secure(self) -> bool:
        """Cookies get ``Secure`` when the public address is HTTPS."""
        return self.base_url.startswith("https://")

    @classmethod
    def from_settings(cls, settings: Any) -> DashboardSite | None:
        url, secret = settings.dashboard_url, settings.dashboard_secret
        return cls(url.rstrip("/"), secret) if url and secret else None


@dataclass(frozen=True)
class SignInLink:
    url: str
    cohort_name: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkPreview:
    """What a sign-in page shows before the link is used."""

    cohort_name: str
    name: str
    expires_at: datetime


@dataclass(frozen=True)
class Grant:
    """One live dashboard session: this instructor may see this cohort."""

    session_id: str
    cohort_id: int
    cohort_name: str
    platform: str
    channel_id: str
    user_id: str
    name: str
    expires_at: datetime

    @property
    def actor(self) -> Actor:
        """The instructor as the core's operations expect them (their channel)."""
        return Actor(self.platform, self.channel_id, self.user_id, self.name, Role.instructor)


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer reading the same clock as the rows, so a
    link's signed age and its row's expiry never disagree (and tests can age
    a link without sleeping)."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock.now().timestamp())


class SignIns:
    """Issues, redeems and checks dashboard sign-ins for one database."""

    def __init__(self, db: Database, secret: str, clock: Clock | None = None) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self._tokens = URLSafeTimedSerializer(
            secret, salt=_SALT, signer=_ClockSigner, signer_kwargs={"clock": self.clock}
        )

    async def issue(self, actor: Actor) -> tuple[str, str, datetime]:
        """A new one-time token for ``actor`` in the cohort of their channel.

        Returns (token, cohort name, expiry). Only instructors get one."""
        if not actor.role.can_instruct:
            raise SignInRefused(
                "only instructors can open the dashboard",
                "ask an instructor of this channel for what you need",
            )
        now = self.clock.now()
        token_id = secrets.token_urlsafe(24)
        async with self.db.session() as s:
            cohort = await s.scalar(
                select(Cohort).where(
                    Cohort.platform == actor.platform, Cohort.channel_id == actor.channel_id
                )
            )
            if cohort is None:
                raise SignInRefused(
                    "this channel has no cohort yet",
                    "create one with /dojo cohort create NAME, then ask again",
                )
            stale = now - timedelta(days=1)
            await s.execute(
                delete(DashboardSignIn).where(
                    DashboardSignIn.cohort_id == cohort.id,
                    or_(
                        and_(DashboardSignIn.used_at.is_(None),
                             DashboardSignIn.link_expires_at < stale),
                        DashboardSignIn.session_expires_at < stale,
                    ),
                )
            )
            expires = now + LINK_TTL
            s.add(
                DashboardSignIn(
                    token_id=token_id,
                    cohort_id=cohort.id,
                    user_id=actor.user_id,
                    display_name=(actor.name or actor.user_id)[:200],
                    created_at=now,
                    link_expires_at=expires,
                )
            )
            payload = {"t": token_id, "c": cohort.id, "u": actor.user_id}
            return self._tokens.dumps(payload), cohort.name, expires

    def _payload(self, token: str) -> dict[str, Any]:
        try:
            data = self._tokens.loads(token, max_age=int(LINK_TTL.total_seconds()))
        except SignatureExpired as exc:
            # itsdangerous also calls a link signed "in the future" expired: the
            # bot that signed it reads a clock a little ahead of the dashboard's
            # (or, on one machine, signed it in the next second).
            signed = exc.date_signed
            now = self.clock.now()
            if exc.payload is None or signed is None or not now < signed <= now + CLOCK_SKEW:
                raise SignInRefused(
                    "this sign-in link has expired", "ask for a new one with /dojo dashboard"
                ) from None
            data = self._tokens.load_payload(exc.payload)
        except BadSignature:
            raise SignInRefused(
                "this sign-in link is not valid", "ask for a new one with /dojo dashboard"
            ) from None
        if not isinstance(data, dict) or not all(k in data for k in ("t", "c", "u")):
            raise SignInRefused("this sign-in link is not valid")
        return data

    def _row_matches(self, data: dict[str, Any]) -> Any:
        return and_(
            DashboardSignIn.token_id == str(data["t"]),
            DashboardSignIn.cohort_id == data["c"],
            DashboardSignIn.user_id == str(data["u"]),
        )

    async def preview(self, token: str) -> LinkPreview:
        """What the link would sign in to, without using it (link scanners and
        chat previews fetch links; only the page's button signs in)."""
        data = self._payload(token)
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(DashboardSignIn, Cohort.name)
                    .join(Cohort, Cohort.id == DashboardSignIn.cohort_id)
                    .where(self._row_matches(data))
                )
            ).first()
        if row is None:
            raise SignInRefused("this sign-in link is not valid",
                                "ask for a new one with /dojo dashboard")
        signin, cohort_name = row
        self._usable(signin)
        return LinkPreview(cohort_name, signin.display_name, signin.link_expires_at)

    def _usable(self, signin: DashboardSignIn) -> None:
        if signin.used_at is not None:
            raise SignInRefused("this sign-in link was already used",
                                "each link works once; ask for a new one with /dojo dashboard")
        if signin.link_expires_at <= self.clock.now():
            raise SignInRefused("this sign-in link has expired",
                                "ask for a new one with /dojo dashboard")

    async def redeem(self, token: str) -> Grant:
        """Use the link once: a session for its instructor and cohort."""
        data = self._payload(token)
        now = self.clock.now()
        session_id = secrets.token_urlsafe(24)
        async with self.db.session() as s:
            res = await s.execute(
                update(DashboardSignIn)
                .where(
                    self._row_matches(data),
                    DashboardSignIn.used_at.is_(None),
                    DashboardSignIn.link_expires_at > now,
                )
                .values(used_at=now, session_id=session_id,
                        session_expires_at=now + SESSION_TTL)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1:
                signin = await s.get(DashboardSignIn, str(data["t"]))
                if signin is not None:
                    self._usable(signin)  # says "used" or "expired"
                raise SignInRefused("this sign-in link is not valid",
                                    "ask for a new one with /dojo dashboard")
        grants = await self.grants([session_id])
        if not grants:  # the cohort was deleted in between
            raise SignInRefused("this cohort no longer exists")
        return grants[0]

    async def grants(self, session_ids: list[str]) -> list[Grant]:
        """The live sessions among ``session_ids`` (unknown, expired or signed-out
        ones are simply absent)."""
        ids = [i for i in session_ids if isinstance(i, str)][:MAX_SESSIONS_PER_BROWSER]
        if not ids:
            return []
        now = self.clock.now()
        async with self.db.session() as s:
            rows = (
                await s.execute(
                    select(DashboardSignIn, Cohort)
                    .join(Cohort, Cohort.id == DashboardSignIn.cohort_id)
                    .where(
                        DashboardSignIn.session_id.in_(ids),
                        DashboardSignIn.revoked_at.is_(None),
                        DashboardSignIn.session_expires_at > now,
                    )
                    .order_by(Cohort.name, Cohort.id)
                )
            ).all()
        return [
            Grant(
                session_id=str(signin.session_id),
                cohort_id=cohort.id,
                cohort_name=cohort.name,
                platform=cohort.platform,
                channel_id=cohort.channel_id,
                user_id=signin.user_id,
                name=signin.display_name,
                expires_at=signin.session_expires_at or now,
            )
            for signin, cohort in rows
        ]

    async def sign_out(self, session_ids: list[str]) -> None:
        ids = [i for i in session_ids if isinstance(i, str)][:MAX_SESSIONS_PER_BROWSER]
        if not ids:
            return
        async with self.db.session() as s:
            await s.execute(
                update(DashboardSignIn)
                .where(DashboardSignIn.session_id.in_(ids))
                .values(revoked_at=self.clock.now())
                .execution_options(synchronize_session=False)
            )


def site_from_environment() -> DashboardSite | None:
    """``DASHBOARD_URL`` and ``DASHBOARD_SECRET`` as configured for this process."""
    from bot.config import load_settings

    return DashboardSite.from_settings(load_settings())


async def dashboard_link(dojo: Any, actor: Actor) -> SignInLink:
    """``/dojo dashboard``: a one-time sign-in link for this instructor and cohort.

    The bot and the dashboard share ``DASHBOARD_URL``/``DASHBOARD_SECRET``; a bot
    without them says so instead of handing out a link that cannot work."""
    if not actor.role.can_instruct:
        raise SignInRefused("only instructors can open the dashboard",
                            "ask an instructor of this channel for what you need")
    site = site_from_environment()
    if site is None:
        raise DojoError(
            "the instructor dashboard is not set up for this bot",
            "an operator sets DASHBOARD_URL and DASHBOARD_SECRET (README: Instructor dashboard)",
        )
    token, cohort_name, expires = await SignIns(dojo.db, site.secret).issue(actor)
    return SignInLink(f"{site.base_url}/signin/{token}", cohort_name, expires)
