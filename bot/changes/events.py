"""Where "a change happened" goes: one small hub, passed to the flows that make changes at
construction, so that those flows need not know who listens (the history's view of a person's
changes, the App Home; the gallery card an undo came from)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.changes.context import StoreContext
from bot.changes.records import UndoPlace, UndoRecord

log = logging.getLogger(__name__)

PersonChanged = Callable[[str], None]
CardUndone = Callable[[StoreContext, UndoRecord, UndoPlace], Awaitable[None]]


class ChangeEvents:
    def __init__(self) -> None:
        self._person_changed: list[PersonChanged] = []
        self._card_undone: list[CardUndone] = []

    def on_person_changed(self, listener: PersonChanged) -> None:
        self._person_changed.append(listener)

    def on_card_undone(self, listener: CardUndone) -> None:
        self._card_undone.append(listener)

    def person_changed(self, user_id: str) -> None:
        """Someone's changes moved on (an upload, an undo): their views are drawn again."""
        for listener in self._person_changed:
            listener(user_id)

    async def card_undone(self, store: StoreContext, record: UndoRecord, place: UndoPlace) -> None:
        """A change made from a gallery card was undone: the card is drawn again."""
        for listener in self._card_undone:
            await listener(store, record, place)
