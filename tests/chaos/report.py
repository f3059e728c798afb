"""The campaign's figures: which room each browser kill hit and how long that room took to be live again, the
manager restart, the vendor faults that fired, and the leak and row checks; printed as a small table and
written as JSON."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.chaos.ledger import BotRow, Ledger

# A killed browser's bot attempt is closed as soon as the farm sees the browser disconnect.
ATTRIBUTION_WINDOW_SECONDS = 15.0
# Where a recovery's time goes: from the kill to the attempt's end (the farm noticed), then the room's statuses
# of the next attempt, each after the previous.
RECOVERY_STEPS = ("noticed", "starting", "joining", "in_main_session", "in_room", "live")


@dataclass(frozen=True)
class Kill:
    at: float  # wall clock, as the manager's rows are
    pid: int


@dataclass(frozen=True)
class KillOutcome:
    at: float
    pid: int
    room: str | None  # None: no bot attempt ended after this kill (the farm never noticed it)
    attempt: int | None
    end_reason: str | None
    recovery_seconds: float | None  # None: the room never became live again
    # Seconds of each RECOVERY_STEPS step, from the end of the one before (the first from the kill); a step the
    # room skipped or never reached is missing.
    steps: dict[str, float] = field(default_factory=dict)


def attribute(kills: list[Kill], ledger: Ledger) -> list[KillOutcome]:
    """Each kill is matched with the first bot attempt that was running at the kill and ended after it (the farm
    sees a dead browser within about a second; a browser killed while its page loads ends as launch_failed), and
    timed from the kill until that room's next attempt is `live`."""
    ended = sorted((b for b in ledger.bots if b.ended_at is not None), key=lambda b: b.ended_at or 0.0)
    taken: set[str] = set()
    outcomes = []
    for kill in sorted(kills, key=lambda k: k.at):
        bot: BotRow | None = next(
            (
                b
                for b in ended
                if b.id not in taken
                and b.started_at <= kill.at <= (b.ended_at or 0.0) <= kill.at + ATTRIBUTION_WINDOW_SECONDS
            ),
            None,
        )
        if bot is None:
            outcomes.append(KillOutcome(kill.at, kill.pid, None, None, None, None))
            continue
        taken.add(bot.id)
        # The next attempt's `live`: the killed page may still have reported `live` before the farm saw it die.
        live = ledger.first_live_after(bot.room, bot.ended_at or kill.at)
        outcomes.append(
            KillOutcome(
                kill.at,
                kill.pid,
                bot.room,
                bot.attempt,
                bot.end_reason,
                None if live is None else live - kill.at,
                _steps(ledger, bot, kill.at, live),
            )
        )
    return outcomes


def _steps(ledger: Ledger, bot: BotRow, killed: float, live: float | None) -> dict[str, float]:
    if live is None or bot.ended_at is None:
        return {}
    steps = {"noticed": bot.ended_at - killed}
    since = bot.ended_at
    for status in RECOVERY_STEPS[1:]:
        at = live if status == "live" else ledger.first_status_after(bot.room, status, since)
        if at is None or at > live:
            continue
        steps[status] = at - since
        since = at
    return steps


@dataclass
class CampaignReport:
    chaos_seconds: float
    rooms: int
    kill_interval_seconds: float
    seed: int
    manager_kill_room_statuses: list[str] = field(default_factory=list)
    manager_restart_ready_seconds: float | None = None
    orphans_at_manager_kill: int = 0
    orphans_still_billing: list[str] = field(default_factory=list)
    load_average: list[float] = field(default_factory=list)
    kills: list[KillOutcome] = field(default_factory=list)
    vendor_faults: list[dict[str, Any]] = field(default_factory=list)
    all_live_after_chaos_seconds: float | None = None
    bot_attempts: int = 0
    bots_lost_to_manager_kill: int = 0
    avatar_rows: int = 0
    vendor_sessions_created: int = 0
    vendor_sessions_without_row: list[dict[str, Any]] = field(default_factory=list)
    rows_without_vendor_id: list[dict[str, Any]] = field(default_factory=list)
    open_bots_while_live: dict[str, int] = field(default_factory=dict)
    leaked_while_live: list[str] = field(default_factory=list)
    unbilled_rows_while_live: list[str] = field(default_factory=list)
    duplicate_vendor_ids: list[str] = field(default_factory=list)
    active_at_vendor_after_end: list[str] = field(default_factory=list)
    open_rows_after_end: list[str] = field(default_factory=list)
    wall_seconds: float | None = None

    @property
    def recoveries(self) -> list[float]:
        return [k.recovery_seconds for k in self.kills if k.recovery_seconds is not None]

    def step_medians(self) -> dict[str, float | None]:
        """Per recovery step, the median over the kills that passed through it."""
        medians: dict[str, float | None] = {}
        for step in RECOVERY_STEPS:
            values = [k.steps[step] for k in self.kills if step in k.steps]
            medians[step] = round(statistics.median(values), 2) if values else None
        return medians

    def figures(self) -> dict[str, Any]:
        recoveries = self.recoveries
        return {
            "browser kills": len(self.kills),
            "kills matched to a room": sum(k.room is not None for k in self.kills),
            "recovery median (s)": round(statistics.median(recoveries), 1) if recoveries else None,
            "recovery max (s)": round(max(recoveries), 1) if recoveries else None,
            "rooms never back after a kill": sum(k.room is not None and k.recovery_seconds is None for k in self.kills),
            "recovery steps, median (s)": ", ".join(
                f"{step} {'-' if value is None else value}" for step, value in self.step_medians().items()
            ),
            "manager SIGKILL at room statuses": ", ".join(self.manager_kill_room_statuses),
            "manager restart to /readyz (s)": _round(self.manager_restart_ready_seconds),
            "bot rows closed as lost at the restart": self.bots_lost_to_manager_kill,
            "avatars billing at the manager kill": self.orphans_at_manager_kill,
            "of those, still billing 10 s after restart": len(self.orphans_still_billing),
            "vendor faults fired": sum(int(f.get("hits", 0)) for f in self.vendor_faults),
            "all rooms live after the chaos (s)": _round(self.all_live_after_chaos_seconds),
            "bot attempts (rows)": self.bot_attempts,
            "avatar sessions (rows)": self.avatar_rows,
            "vendor sessions created": self.vendor_sessions_created,
            "vendor sessions with no row": len(self.vendor_sessions_without_row),
            "avatar rows with no vendor session": len(self.rows_without_vendor_id),
            "leaked avatar sessions while live": len(self.leaked_while_live),
            "rooms without exactly one open bot row": sum(n != 1 for n in self.open_bots_while_live.values()),
            "duplicate vendor session ids": len(self.duplicate_vendor_ids),
            "active at the vendor after the end": len(self.active_at_vendor_after_end),
            "rows still open after the end": len(self.open_rows_after_end),
            "campaign wall time (s)": _round(self.wall_seconds),
            "load average (1 min) before, after": ", ".join(f"{v:.1f}" for v in self.load_average),
        }

    def table(self) -> str:
        figures = self.figures()
        width = max(len(name) for name in figures)
        lines = [f"failure campaign: {self.rooms} rooms, {self.chaos_seconds:.0f} s of chaos, seed {self.seed}"]
        lines += [f"  {name:<{width}}  {'-' if value is None else value}" for name, value in figures.items()]
        lines.append("  kills (room, attempt, end reason, recovery s):")
        for kill in self.kills:
            recovery = "never" if kill.recovery_seconds is None else f"{kill.recovery_seconds:.1f}"
            lines.append(
                f"    pid {kill.pid:<8} {kill.room or '?':<8} #{kill.attempt or '?':<3} {kill.end_reason}  {recovery}"
            )
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        body = {"figures": self.figures(), **asdict(self)}
        path.write_text(json.dumps(body, indent=2, default=str) + "\n")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
