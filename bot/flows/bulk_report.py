"""How a bulk job is shown (`BulkReport`, implemented in Slack by bot.slack.notify), and the
progress figures it is shown with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.jobs.store import Counts, Job, Line


@dataclass(frozen=True)
class Progress:
    counts: Counts
    per_minute: float | None  # images a minute in this run, once it is known
    seconds_left: float | None
    paused: bool = False  # the bot is restarting; the job resumes by itself
    fault: bool = False  # paused: a part of the bot failed (logged); the job resumes by itself


@dataclass(frozen=True)
class CopyRoom:
    """The plan's estimate of a job's copies for Undo against HISTORY_MAX_MB."""

    images: int  # the lines that replace an image: a copy each
    room: int  # bytes left for them (every copy but a running job's may make way)
    needed: int  # about how many bytes they take
    measured: bool = True  # `needed` from the copies kept so far, not TYPICAL_COPY_BYTES

    @property
    def may_not_fit(self) -> bool:
        return self.needed > self.room


@dataclass(frozen=True)
class BeforeAfter:
    """One image by option value, shown in its report: one variation before and after, and
    the other variations it went to."""

    variation: str
    before_url: str | None  # None: the variation had no image of its own
    after_url: str | None
    others: tuple[str, ...]
    # A square fix's: the image before (its kept copy) and after (as Ecwid serves it), to show
    # in the report's thread; None when they could not be read (the links stay).
    before_image: bytes | None = field(default=None, repr=False)
    after_image: bytes | None = field(default=None, repr=False)


class BulkReport(Protocol):
    """How a job is shown. `checking` returns the job message's handle (its ts), or None when
    the channel cannot be posted in (the user was then told)."""

    async def checking(
        self,
        who: Requester,
        channel_id: str,
        lines: int | None,
        *,
        undoing: Job | None = None,
        thread_ts: str | None = None,
    ) -> str | None:
        """The job's message, posted (in the thread `thread_ts`, a drop's, when given);
        `undoing`: the job an undo job undoes."""
        ...

    async def still_checking(
        self, who: Requester, channel_id: str, handle: str, checked: int, lines: int
    ) -> None: ...

    async def not_planned(
        self, who: Requester, channel_id: str, handle: str | None, problem: UserFacingError
    ) -> None: ...

    async def planned(
        self,
        job: Job,
        lines: Sequence[Line],
        counts: Counts,
        converting: Mapping[str, int],
        *,
        copy_reads: int = 0,
        duplicates_skipped: int = 0,
        copies: CopyRoom | None = None,
        replacing: int = 0,
    ) -> None:
        """The plan, with Start; `converting`: how many images will be converted, by the
        format they come in (e.g. {"HEIC": 12}); `copy_reads`: about how many more Ecwid
        calls keeping the replaced images for Undo takes; `duplicates_skipped`: the limit past
        which the duplicate check was skipped; `copies`: the copies for Undo against
        HISTORY_MAX_MB, when they could be estimated; `replacing`: how many variations of an
        image by option value show an image of their own, which it replaces."""
        ...

    async def cancelled(self, job: Job) -> None: ...

    async def progress(self, job: Job, progress: Progress) -> None: ...

    async def finished(
        self,
        job: Job,
        lines: Sequence[Line],
        counts: Counts,
        *,
        example: BeforeAfter | None = None,
    ) -> None:
        """The job's outcome and its report; `example`: an image by option value's."""
        ...

    async def notice(self, who: Requester, notice: str, job: Job | None) -> None:
        """Why a press changed nothing: the job's state (`running`, `finished`, …),
        `not_found`, or `unavailable` (the database could not be reached); for Undo this job,
        `undo_` and the state of a job not finished yet, or `undo_exists` with the undo job
        that there already is."""
        ...
