"""One image for several variations of a product, in a job (#36): it is read and sent as bytes
once. The first variation's line uploads the bytes; Ecwid's link to them (read back) goes to the
others through the async variation upload, which takes a link and the alt text in one call.
When the product's last such line has run, one read of the product checks that each variation
shows a new image; where one does not, the bytes held are sent to it instead.

Each line's outcome is recorded as it ends, as any line's (its history entry and kept copy with
it: a crash loses none). The check can only correct: a line whose variation took neither the
link nor the bytes is recorded again, failed, with why (its entry kept, so that Undo can still
put it back). One product's lines run one after the other (bot.flows.bulk_run.LineQueue), so
the first line has ended before the next begins. Ecwid records an async link at once and
reports no later failure (ecwid-api.md): the check sees what Ecwid shows by then.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from bot.changes.runner import ChangeRunner
from bot.changes.slot_change import FromLink, FromSlackFile, SlotChange
from bot.domain import texts
from bot.domain.requests import check_size
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import ImageSlot
from bot.images.shared_files import FileImage
from bot.jobs.history import Change
from bot.jobs.store import LineState, Outcome

log = logging.getLogger(__name__)

# A product, and the image: a file's id, or a link that must be made ready before Ecwid has it.
RelayKey = tuple[int, str, str]


@dataclass(frozen=True)
class _Given:
    """A line sent the link: its number, its change as planned, its slot's image before, and
    its history entry (small: the line's kept copy went with its outcome)."""

    number: int
    change: SlotChange
    before_url: str | None
    entry: Change | None


@dataclass
class _Held:
    image: FileImage  # the bytes as made ready: read once, for the first line and any fallback
    link: str | None  # where Ecwid serves them, read back; None: each line sends the bytes
    given: list[_Given] = field(default_factory=list)


def relay_key(change: SlotChange) -> RelayKey | None:
    """A variation's image that the bot reads and sends as bytes; None for any other change."""
    slot = change.target.slot
    if slot.kind != "variation" or change.undoes is not None:
        return None
    source = change.source
    if isinstance(source, FromSlackFile):
        return (slot.product_id, "file", source.file.id)
    if isinstance(source, FromLink) and change.known.convert:
        return (slot.product_id, "link", source.url)
    return None


class Relay:
    """A job run's relayed images, from the changes it will apply (each once)."""

    def __init__(self, runner: ChangeRunner, changes: Iterable[SlotChange]) -> None:
        self._runner = runner
        counts = Counter(key for change in changes if (key := relay_key(change)) is not None)
        self._left = {key: count for key, count in counts.items() if count > 1}
        self._held: dict[RelayKey, _Held] = {}

    def route(self, change: SlotChange) -> tuple[SlotChange, FileImage | None]:
        """How the line goes: as planned; by the link of its image at Ecwid; or, when no link
        was read back, with the bytes held (so that they are not read again)."""
        key = relay_key(change)
        held = self._held.get(key) if key is not None else None
        if held is None:
            return change, None
        if held.link is None:
            return change, held.image
        info = held.image.info
        size = check_size(info.width or 0, info.height or 0)
        known = replace(change.known, size=size, convert=False)
        return replace(change, source=FromLink(held.link), known=known), None

    async def settle(
        self, planned: SlotChange, sent: SlotChange, outcome: Outcome, image: FileImage | None
    ) -> list[Outcome]:
        """After a line's end: corrections to earlier outcomes, once the product's last relayed
        line has run (the line's own outcome stands as it is). `image`: the bytes the line
        sent, if it sent bytes. Never raises."""
        key = relay_key(planned)
        if key is None or key not in self._left:
            return []
        self._left[key] -= 1
        held = self._held.get(key)
        if held is None:
            if image is not None and outcome.status == LineState.DONE:
                link = await self._link_of(planned.target.slot)
                self._held[key] = _Held(image, link)
        elif sent is not planned and outcome.status == LineState.DONE:
            before = outcome.change.before_url if outcome.change is not None else None
            held.given.append(_Given(outcome.number, planned, before, outcome.change))
        if self._left[key] == 0:
            del self._left[key]
            return await self._checked(key)
        return []

    async def finish(self, *, ours: bool) -> list[Outcome]:
        """The run ends before every relayed line ran (stopped, paused): the lines given a link
        so far, checked, while the job is still this process's (`ours`): another may be
        resuming them, and nothing may be sent twice."""
        keys = list(self._held)
        self._left.clear()
        if not ours:
            self._held.clear()
            return []
        out: list[Outcome] = []
        for key in keys:
            out += await self._checked(key)
        return out

    async def _checked(self, key: RelayKey) -> list[Outcome]:
        """One read of the product: a variation that shows its image from before (or none) did
        not take the link, and is sent the bytes held. The corrections: a line whose variation
        took neither, failed; one whose bytes went up but not its alt text, saying so. When the
        read fails, the lines stand as Ecwid answered them."""
        held = self._held.pop(key, None)
        if held is None or not held.given:
            return []
        try:
            state = (await self._runner.slot_states([key[0]])).get(key[0])
        except Exception as exc:
            log.warning("relayed images not checked: %s", type(exc).__name__)
            return []
        out = []
        for given in held.given:
            shown = state.current(given.change.target.slot) if state is not None else None
            if shown is not None and shown.url != given.before_url:
                continue
            log.info("a variation did not take its link: its bytes are sent")
            sent, error = await self._send_again(given.change, held.image)
            if error is None:
                continue
            if sent:  # the image went up; its alt text did not
                reason = texts.alt_not_set(error.message)
                status = LineState.DONE
            else:
                reason, status = texts.relayed_not_taken(error.message), LineState.FAILED
            out.append(
                Outcome(
                    given.number,
                    status,
                    reason=reason,
                    quoted=error.quoted,
                    change=given.entry,
                    corrects=True,
                )
            )
        return out

    async def _send_again(
        self, change: SlotChange, image: FileImage
    ) -> tuple[bool, EcwidError | None]:
        """Whether the bytes went up, and what went wrong (the alt text's error when they did)."""
        try:
            return await self._runner.send_again(change, image)
        except EcwidError as exc:
            return False, exc
        except Exception:
            log.exception("a relayed image could not be sent again")
            return False, EcwidError(texts.UNEXPECTED)

    async def _link_of(self, slot: ImageSlot) -> str | None:
        """Where Ecwid serves the variation's new image (`originalImageUrl`), read back once."""
        with contextlib.suppress(Exception):
            state = (await self._runner.slot_states([slot.product_id])).get(slot.product_id)
            shown = state.current(slot) if state is not None else None
            if shown is not None:
                return shown.url
        log.info("a relayed image's link was not read back: its bytes go to each variation")
        return None
