"""Which members of the data centre are alive, from this collector's own health checks.

Every ``interval`` each other member's ``/-/ready`` is asked, all at once, each within
``timeout``: a 200 is a success, anything else (another status, a refused connection, a
timeout) a failure. The first answer of a member decides its state; after that a member goes
down after ``fall`` consecutive failures and up after ``rise`` consecutive successes
(HAProxy's names and meaning), so one lost packet moves nothing. This collector counts itself
alive. :attr:`Membership.version` changes whenever the alive set (or :meth:`polling`) does;
the poller follows it.

A starting member polls nothing for :attr:`~.config.ShardingConfig.warm_up` seconds after its
first round of checks: long enough for the others to count it up and let its devices go (see
:mod:`collector.sharding.config`).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from collector.sharding import rendezvous
from collector.sharding.config import Member, ShardingConfig
from netmon.web.client import client_context

log = logging.getLogger(__name__)

__all__ = ["MemberState", "Membership"]


@dataclass(slots=True)
class MemberState:
    member: Member
    up: bool | None = None          # None: not checked yet
    streak: int = 0                 # consecutive results that disagree with ``up``
    checks: dict[str, int] = field(default_factory=lambda: {"success": 0, "failure": 0})
    last_error: str = ""


class Membership:
    def __init__(self, config: ShardingConfig) -> None:
        self.config = config
        self.me = config.self_name
        self.states = {m.name: MemberState(m) for m in config.others}
        self.version = 0
        self.changes = 0
        self._alive: tuple[str, ...] = (self.me,)
        self._polling = False
        #: None: aiohttp's default (https verified against the system's CAs)
        self._ssl: ssl.SSLContext | None = (client_context(config.tls)
                                            if config.tls is not None else None)

    # --- the view ----------------------------------------------------------------------------

    def alive(self) -> tuple[str, ...]:
        """The members counted alive, this one included, sorted."""
        return self._alive

    def polling(self) -> bool:
        """False during the warm-up: this member polls nothing yet."""
        return self._polling

    def owner(self, device: str) -> str:
        return rendezvous.owner(device, self._alive) or self.me

    def owns(self, device: str) -> bool:
        return self._polling and self.owner(device) == self.me

    # --- results -----------------------------------------------------------------------------

    def record(self, name: str, ok: bool, error: str = "") -> bool:
        """One check's result; True when it changed the member's state."""
        state = self.states[name]
        state.checks["success" if ok else "failure"] += 1
        if not ok:
            state.last_error = error
        if state.up is None or ok == state.up:
            state.streak = 0
            if state.up is not None:
                return False
            state.up = ok
            log.info("shard member %s member=%s url=%s%s", "up" if ok else "down at start",
                     name, state.member.url, "" if ok else f" error={error}")
        else:
            state.streak += 1
            if state.streak < (self.config.rise if ok else self.config.fall):
                return False
            state.up, state.streak = ok, 0
            if ok:
                log.info("shard member up again member=%s url=%s", name, state.member.url)
            else:
                log.warning("shard member down: %d checks failed member=%s url=%s error=%s",
                            self.config.fall, name, state.member.url, error)
        self._update()
        return True

    def start_polling(self) -> None:
        if not self._polling:
            self._polling = True
            self.version += 1
            log.info("sharding: polling this member's devices member=%s alive=%s", self.me,
                     ",".join(self._alive))

    def _update(self) -> None:
        alive = tuple(sorted({self.me, *(n for n, s in self.states.items() if s.up)}))
        if alive != self._alive:
            self._alive = alive
            self.version += 1
            self.changes += 1

    # --- checking ----------------------------------------------------------------------------

    async def check(self, session: aiohttp.ClientSession, member: Member) -> tuple[bool, str]:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        try:
            async with session.get(member.ready_url, timeout=timeout, allow_redirects=False,
                                   ssl=self._ssl if self._ssl is not None else True
                                   ) as response:
                if response.status == 200:
                    return True, ""
                return False, f"HTTP {response.status} from {member.ready_url}"
        except TimeoutError:
            return False, f"no answer within {self.config.timeout:g}s"
        except aiohttp.ClientError as exc:
            return False, f"{type(exc).__name__}: {exc}"

    async def check_all(self, session: aiohttp.ClientSession) -> None:
        members: Sequence[Member] = [s.member for s in self.states.values()]
        results = await asyncio.gather(*(self.check(session, m) for m in members))
        for member, (ok, error) in zip(members, results, strict=True):
            self.record(member.name, ok, error)

    async def run(self, session: aiohttp.ClientSession) -> None:
        """Check until cancelled; polling starts after the warm-up."""
        loop = asyncio.get_running_loop()
        polling_at = loop.time() + self.config.warm_up
        while True:
            began = loop.time()
            await self.check_all(session)
            if not self._polling and loop.time() >= polling_at:
                self.start_polling()
            await asyncio.sleep(max(0.0, self.config.interval - (loop.time() - began)))
