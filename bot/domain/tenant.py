"""The tenant: whose image work a row, a request or a job is. A workspace (Slack's team id) and
one of the Ecwid stores linked to it; one workspace may link several stores, and one store may
be linked from several workspaces, so neither alone says whose work it is."""

from __future__ import annotations

from dataclasses import dataclass

# Single-store mode's one workspace: its rows never held the workspace's id (they came before
# many-stores mode), and there is no other workspace to tell it from.
ONE_WORKSPACE = ""


@dataclass(frozen=True)
class Tenant:
    team_id: str  # the workspace; ONE_WORKSPACE in single-store mode
    store_id: int

    def __post_init__(self) -> None:
        if self.store_id <= 0:
            raise ValueError("an Ecwid store id is a positive whole number")

    def key(self, key: str) -> str:
        """A key made the tenant's (a drop's message, an event): Slack Connect shares a channel,
        and its messages' ids, between workspaces."""
        return key if self.team_id == ONE_WORKSPACE else f"{self.team_id}:{key}"
