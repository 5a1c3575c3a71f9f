"""How the bot answers: privately to one user by the best way the request allows (`Notifier`),
and an upload's story in the channel (`SlackUploadReport`, the flows' reporter)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.changes.records import UndoPlace, UndoRecord
from bot.domain.bulk import PLAN_COLUMNS, report_csv
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.ecwid.models import ImageSlot, Product
from bot.flows.alt_fix import SOURCE as ALT_FIX
from bot.flows.bulk_report import BeforeAfter, CopyRoom, Progress
from bot.flows.drops import HOLD_SECONDS
from bot.flows.square_fix import SOURCE as SQUARE_FIX
from bot.flows.upload import Uploaded, UploadFailed
from bot.images.probe import ImageInfo
from bot.jobs.store import Counts, Job, Line
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, slack_error
from bot.slack.views.bulk_message import (
    MAX_SHOWN_PROBLEMS,
    finished_blocks,
    line_list,
    plan_blocks,
    plan_needs_csv,
    plan_rows,
    problems_of,
    progress_blocks,
    text_blocks,
)
from bot.slack.views.upload_result import result_blocks, undone_blocks

log = logging.getLogger(__name__)


def _extension(data: bytes) -> str:
    """An image's file extension by its first bytes (what Ecwid serves: JPG, PNG or GIF)."""
    if data.startswith(b"\x89PNG"):
        return "png"
    return "gif" if data.startswith(b"GIF8") else "jpg"


RESPONSE_URL_TIMEOUT_SECONDS = 5.0


class Notifier:
    def __init__(
        self, slack: AsyncWebClient, http: httpx.AsyncClient, *, blocks_by_api: bool = False
    ) -> None:
        """`blocks_by_api` (many-stores mode): a message with blocks (buttons, perhaps) is never
        sent through response_url, whose messages Slack gives no ts for: its store could not be
        kept with it (bot.jobs.surfaces)."""
        self._slack = slack
        self._http = http
        self._blocks_by_api = blocks_by_api

    async def tell(self, who: Requester, text: str, *, blocks: Sequence[Block] = ()) -> None:
        """The command's response_url, else an ephemeral message in the channel, else a DM.

        Each way that fails (an expired response_url, a channel the bot is not in) hands over to
        the next, so the answer still arrives.
        """
        if who.response_url and not (blocks and self._blocks_by_api):
            try:
                async with asyncio.timeout(RESPONSE_URL_TIMEOUT_SECONDS):
                    response = await self._http.post(
                        who.response_url,
                        json={
                            "response_type": "ephemeral",
                            "replace_original": False,
                            "text": text,
                            **({"blocks": [b.to_dict() for b in blocks]} if blocks else {}),
                        },
                    )
                response.raise_for_status()
                return
            except (httpx.HTTPError, TimeoutError) as exc:
                log.warning("response_url failed for %s: %s", who.user_id, type(exc).__name__)
        if who.channel_id:
            try:
                await self._slack.chat_postEphemeral(
                    channel=who.channel_id, user=who.user_id, text=text, blocks=blocks or None
                )
                return
            except SLACK_FAILURES as exc:
                log.warning("ephemeral failed in %s: %s", who.channel_id, slack_error(exc))
        try:
            await self._slack.chat_postMessage(
                channel=who.user_id, text=text, blocks=blocks or None
            )
        except SLACK_FAILURES as exc:
            log.error("could not answer user %s: %s", who.user_id, slack_error(exc))


class SlackUploadReport:
    KEEP_SECONDS = 30.0
    """Slash commands cannot run inside threads, so the result gets its thread this way: a
    parent message in the channel, the result as a reply in its thread, and the parent updated
    to match. Whatever of that fails, the result still reaches the user privately."""

    def __init__(self, slack: AsyncWebClient, notifier: Notifier) -> None:
        self._slack = slack
        self._notifier = notifier

    async def refused(self, who: Requester, problems: Sequence[UserFacingError]) -> None:
        await self._notifier.tell(who, texts.not_started(*problems))

    async def keep_previous(
        self, who: Requester, handle: object | None, product: Product, image: ImageInfo
    ) -> str | None:
        """The image about to be replaced, as a file in the thread: it shows the team the
        "before", and outlives both Ecwid's old link and the bot."""
        if not isinstance(handle, str) or who.channel_id is None:
            return None
        extension = {"JPEG": "jpg", "PNG": "png", "GIF": "gif"}.get(image.format, "img")
        try:
            async with asyncio.timeout(self.KEEP_SECONDS):
                response = await self._slack.files_upload_v2(
                    channel=who.channel_id,
                    thread_ts=handle,
                    content=image.data,
                    filename=f"before-{product.id}.{extension}",
                    title=f"Before: {product.name or product.id}",
                )
        except SLACK_FAILURES as exc:
            log.warning(
                "cannot keep the previous image in %s: %s", who.channel_id, slack_error(exc)
            )
            return None
        files = response.get("files") or [response.get("file") or {}]
        file_id = files[0].get("id") if files and isinstance(files[0], dict) else None
        return file_id if isinstance(file_id, str) else None

    async def _reply(
        self,
        channel: str,
        thread_ts: str,
        body: str,
        outcome: Uploaded | UploadFailed,
        product: Product,
    ) -> str | None:
        """The thread reply (with the new image); a link Slack cannot show as an image would
        refuse the whole message, so it is then sent without the image. Its ts."""
        if not isinstance(outcome, Uploaded):
            response = await self._slack.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=body
            )
        else:
            try:
                response = await self._slack.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    text=body,
                    blocks=result_blocks(outcome, product, body, images=True),
                )
            except SlackApiError as exc:
                log.info("reply with images refused (%s); sending it without", slack_error(exc))
                response = await self._slack.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    text=body,
                    blocks=result_blocks(outcome, product, body, images=False),
                )
        ts = response.get("ts")
        return ts if isinstance(ts, str) else None

    async def interrupted(self, who: Requester, slot_kind: str | None) -> None:
        await self._notifier.tell(who, texts.interrupted(slot_kind))

    async def failed_unexpectedly(self, who: Requester) -> None:
        await self._notifier.tell(who, texts.unexpected_failure())

    async def announce(self, who: Requester, product: Product, slot: ImageSlot) -> str | None:
        """The parent message's ts, or None when it could not be posted."""
        if who.channel_id is None:
            return None
        try:
            response = await self._slack.chat_postMessage(
                channel=who.channel_id, text=texts.parent_pending(who.user_id, product, slot)
            )
        except SLACK_FAILURES as exc:
            # e.g. not_in_channel, or no answer: the upload goes ahead and the result goes to
            # the user privately
            log.warning("cannot post in %s: %s", who.channel_id, slack_error(exc))
            return None
        ts = response.get("ts")
        return ts if isinstance(ts, str) else None

    async def finish(
        self,
        who: Requester,
        product: Product,
        handle: object | None,
        outcome: Uploaded | UploadFailed,
    ) -> str | None:
        """The thread reply's ts, when the result went to the thread."""
        if isinstance(outcome, Uploaded):
            body = texts.upload_succeeded(outcome)
        else:
            body = texts.upload_failed(outcome.error)
        channel = who.channel_id
        if not isinstance(handle, str) or channel is None:
            await self._notifier.tell(
                who, texts.result_for_user(product, outcome.slot, body, channel)
            )
            return None
        reply: str | None = None
        try:
            reply = await self._reply(channel, handle, body, outcome, product)
        except SLACK_FAILURES as exc:  # whatever went wrong, the result still reaches the user
            log.warning("cannot reply in %s: %s", channel, slack_error(exc))
            await self._notifier.tell(
                who, texts.result_for_user(product, outcome.slot, body, channel)
            )
        try:
            await self._slack.chat_update(
                channel=channel,
                ts=handle,
                text=texts.parent_finished(
                    who.user_id, product, outcome.slot, ok=isinstance(outcome, Uploaded)
                ),
            )
        except SLACK_FAILURES as exc:  # the answer is already given; only the parent is stale
            log.warning("cannot update parent in %s: %s", channel, slack_error(exc))
        return reply

    async def offer_undo(
        self, who: Requester, product: Product, reply: object | None, uploaded: Uploaded
    ) -> None:
        """The reply again, now with the previous image and the Undo button (or why not)."""
        if not isinstance(reply, str) or who.channel_id is None:
            return
        if uploaded.undo is None and not uploaded.undo_missing:
            return
        body = texts.upload_succeeded(uploaded)
        for images in (True, False):  # a link Slack cannot show as an image refuses it all
            try:
                await self._slack.chat_update(
                    channel=who.channel_id,
                    ts=reply,
                    text=body,
                    blocks=result_blocks(uploaded, product, body, images=images),
                )
                return
            except SlackApiError as exc:
                log.info("result update refused (%s)", slack_error(exc))
            except SLACK_FAILURES as exc:
                log.warning("cannot offer undo in %s: %s", who.channel_id, slack_error(exc))
                return


class SlackUndoReport:
    """Undo's answers: in the thread for the team, privately for refusals."""

    def __init__(self, slack: AsyncWebClient, notifier: Notifier) -> None:
        self._slack = slack
        self._notifier = notifier

    async def refused(self, who: Requester, place: UndoPlace, reason: str) -> None:
        await self._notifier.tell(who, texts.undo_refused(reason))

    async def already_undone(self, who: Requester, by_user: str) -> None:
        await self._notifier.tell(who, texts.already_undone(by_user))

    async def failed(self, who: Requester, error: UserFacingError) -> None:
        await self._notifier.tell(who, texts.undo_failed(error))

    async def undone(
        self, who: Requester, place: UndoPlace, record: UndoRecord, warning: str | None
    ) -> None:
        text = texts.undo_done(
            who.user_id,
            record.slot.kind,
            had_previous=record.had_previous,
            warning=warning,
            action=record.action,
        )
        thread = place.thread_ts or place.message_ts
        if not place.channel_id:  # where the change was reported is not known
            await self._notifier.tell(who, text)
            return
        try:
            await self._slack.chat_postMessage(
                channel=place.channel_id, thread_ts=thread, text=text
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot reply in %s: %s", place.channel_id, slack_error(exc))
            await self._notifier.tell(who, text)
        if place.message is None:  # pressed in the history or the App Home: the thread says it
            if who.channel_id:  # an ephemeral history: its reader sees it there too
                await self._notifier.tell(who, text)
            return
        message = place.message if isinstance(place.message, dict) else {}
        try:  # the buttons go: the message now says who undid it
            await self._slack.chat_update(
                channel=place.channel_id,
                ts=place.message_ts,
                text=str(message.get("text") or text),
                blocks=undone_blocks(message, who.user_id),
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot update the result in %s: %s", place.channel_id, slack_error(exc))
        if place.thread_ts and place.thread_ts != place.message_ts and not record.on_card:
            try:
                await self._slack.chat_update(
                    channel=place.channel_id,
                    ts=place.thread_ts,
                    text=texts.parent_undone(who.user_id),
                )
            except SLACK_FAILURES as exc:
                log.warning(
                    "cannot update the parent in %s: %s", place.channel_id, slack_error(exc)
                )


OUTCOMES = {
    "skipped": "skipped",
    "duplicate": "duplicate (left out)",
    "done": "uploaded",
    "failed": "failed",
    "invalid": "problem",
    "not_run": "not run",
    "pending": "not run",
}
MAX_REPORT_TEXT = 35_000  # of Slack's 40,000 characters for a message's text


class SlackBulkReport:
    """A bulk job in its channel: one message, edited from plan to progress to totals, and the
    report in its thread. Whatever cannot be posted goes to the job's owner privately."""

    def __init__(self, slack: AsyncWebClient, notifier: Notifier) -> None:
        self._slack = slack
        self._notifier = notifier

    async def checking(
        self,
        who: Requester,
        channel_id: str,
        lines: int | None,
        *,
        undoing: Job | None = None,
        thread_ts: str | None = None,
    ) -> str | None:
        if undoing is not None:
            text = texts.bulk_undo_checking(who.user_id, undoing.user_id, lines or 0)
        else:
            text = texts.bulk_checking(who.user_id, lines)
        try:
            response = await self._slack.chat_postMessage(
                channel=channel_id, text=text, thread_ts=thread_ts
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot post a bulk plan in %s: %s", channel_id, slack_error(exc))
            await self._notifier.tell(who, texts.bulk_notice("not_posted"))
            return None
        ts = response.get("ts")
        return ts if isinstance(ts, str) else None

    async def _show(self, job: Job, text: str, blocks: list[Block]) -> None:
        await self._edit(job.user_id, job.channel_id, job.message_ts, text, blocks)

    async def _edit(
        self, user_id: str, channel_id: str, ts: str | None, text: str, blocks: list[Block]
    ) -> None:
        """The job's message as it is now; its owner is told privately when there is none."""
        if ts is None:
            await self._notifier.tell(Requester(user_id=user_id, channel_id=channel_id), text)
            return
        try:
            await self._slack.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)
        except SLACK_FAILURES as exc:
            log.warning("cannot update the bulk message in %s: %s", channel_id, slack_error(exc))

    async def still_checking(
        self, who: Requester, channel_id: str, handle: str, checked: int, lines: int
    ) -> None:
        text = texts.bulk_still_checking(who.user_id, checked, lines)
        await self._edit(who.user_id, channel_id, handle, text, text_blocks(text))

    async def not_planned(
        self, who: Requester, channel_id: str, handle: str | None, problem: UserFacingError
    ) -> None:
        text = texts.bulk_not_planned(who.user_id, problem)
        await self._edit(who.user_id, channel_id, handle, text, text_blocks(text))

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
        text = texts.bulk_plan(job.user_id, counts.pending, counts.invalid, source=job.source)
        blocks = plan_blocks(
            job, lines, counts, converting, copy_reads, duplicates_skipped, copies, replacing
        )
        await self._show(job, text, blocks)
        if job.message_ts is None:
            return
        if plan_needs_csv(lines):  # the message names the first lines; the file has them all
            await self._plan_csv(job, lines)
        problems = problems_of(lines)
        if len(problems) <= MAX_SHOWN_PROBLEMS:
            return
        # The message shows the first few; the thread has them all, before anything runs.
        listed = [texts.bulk_plan_problems(len(problems))]
        listed += line_list(problems, len(problems), MAX_REPORT_TEXT, rest="in the CSV report")
        try:
            await self._slack.chat_postMessage(
                channel=job.channel_id,
                thread_ts=job.thread_ts or job.message_ts,
                text="\n".join(listed),
            )
        except SLACK_FAILURES as exc:
            log.warning(
                "cannot list the plan's problems in %s: %s", job.channel_id, slack_error(exc)
            )

    async def _plan_csv(self, job: Job, lines: Sequence[Line]) -> None:
        """Every line of the plan, with its target or its problem, as a CSV file in the job's
        thread."""
        thread = job.thread_ts or job.message_ts
        try:
            await self._slack.files_upload_v2(
                channel=job.channel_id,
                thread_ts=thread,
                content=report_csv(plan_rows(lines), PLAN_COLUMNS),
                filename=f"bulk-plan-{job.id[:8]}.csv",
                title=texts.PLAN_CSV_TITLE,
                initial_comment=texts.bulk_plan_csv(),
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot attach the plan's CSV in %s: %s", job.channel_id, slack_error(exc))
            with contextlib.suppress(*SLACK_FAILURES):
                await self._slack.chat_postMessage(
                    channel=job.channel_id, thread_ts=thread, text=texts.bulk_plan_csv_unattached()
                )

    async def cancelled(self, job: Job) -> None:
        text = texts.bulk_cancelled(job.user_id, job.stopped_by)
        await self._show(job, text, text_blocks(text))

    async def progress(self, job: Job, progress: Progress) -> None:
        counts = progress.counts
        headline, figures = texts.bulk_progress(
            job.started_by,
            title=texts.UNDO_TITLE if job.undo_of else "Bulk upload",
            done=counts.done,
            failed=counts.failed,
            skipped=counts.skipped,
            left=counts.pending,
            per_minute=progress.per_minute,
            seconds_left=progress.seconds_left,
            paused=progress.paused,
            stopping=job.state == "stopping",
            fault=progress.fault,
        )
        blocks = progress_blocks(headline, figures, job, stoppable=not progress.paused)
        await self._show(job, f"{headline}\n{figures}", blocks)

    async def _pictures(self, job: Job, example: BeforeAfter) -> None:
        """A square fix's example image, before and after, as files in the report's thread
        (the links say the same where they cannot be posted)."""
        shown = [
            (data, side)
            for data, side in ((example.before_image, "before"), (example.after_image, "after"))
            if data
        ]
        if not shown or job.message_ts is None:
            return
        uploads = [
            {
                "content": data,
                "filename": f"{side}.{_extension(data)}",
                "title": f"{side.capitalize()}: {example.variation}"[:250],
            }
            for data, side in shown
        ]
        try:
            await self._slack.files_upload_v2(
                channel=job.channel_id,
                thread_ts=job.thread_ts or job.message_ts,
                file_uploads=uploads,
                initial_comment=texts.BEFORE_AFTER_FILES,
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot show before and after in %s: %s", job.channel_id, slack_error(exc))

    async def finished(
        self,
        job: Job,
        lines: Sequence[Line],
        counts: Counts,
        *,
        example: BeforeAfter | None = None,
    ) -> None:
        if job.undo_of is not None:
            text = texts.bulk_undo_finished(
                job.user_id,
                done=counts.done,
                failed=counts.failed,
                skipped=counts.skipped,
                invalid=counts.invalid,
                not_run=counts.not_run,
            )
        else:
            text = texts.bulk_finished(
                job.user_id,
                done=counts.done,
                failed=counts.failed,
                not_run=counts.not_run,
                invalid=counts.invalid,
                stopped_by=job.stopped_by if counts.not_run else None,
                source=job.source,
            )
        await self._show(job, text, finished_blocks(text, job, counts.done))
        if job.message_ts is None:
            return
        if job.undo_of is not None:  # every line not put back, with its reason
            listed = [line for line in lines if line.status in ("skipped", "failed", "invalid")]
            report = [texts.bulk_undo_report(counts.skipped, counts.failed, counts.invalid)]
        else:
            listed = [line for line in lines if line.status == "failed"]
            report = [texts.bulk_report(len(listed), counts.not_run, counts.invalid)]
        report += line_list(listed, len(listed), MAX_REPORT_TEXT, rest="in the CSV report")
        not_run = [line.number for line in lines if line.status == "not_run"]
        if not_run:
            report.append(texts.bulk_not_run(not_run))
        no_copy = [
            line.number
            for line in lines
            if line.status == "done" and texts.NO_COPY_FOR_UNDO in (line.reason or "")
        ]
        if no_copy and job.undo_of is None:
            report.append(texts.bulk_no_copies(no_copy))
        if example is not None:
            report.append(texts.before_and_after(example))
        try:
            await self._slack.chat_postMessage(
                channel=job.channel_id,
                thread_ts=job.thread_ts or job.message_ts,
                text="\n".join(report),
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot post the bulk report in %s: %s", job.channel_id, slack_error(exc))
        rows = [
            (
                line.number,
                line.text,
                line.product,
                line.slot,
                "put back"
                if job.undo_of and line.status == "done"
                else texts.ALT_SET
                if job.source == ALT_FIX and line.status == "done"
                else texts.square_outcome(line.reason)
                if job.source == SQUARE_FIX and line.status == "done"
                else OUTCOMES.get(line.status, line.status),
                line.image_id,
                # A spreadsheet cell is plain text: Ecwid's words quoted, after ours.
                " ".join(
                    filter(None, [line.reason, line.quoted and f'Ecwid said: "{line.quoted}"'])
                ),
                line.changes,  # e.g. "Converted from HEIC to JPEG · location data removed"
            )
            for line in lines
        ]
        try:
            await self._slack.files_upload_v2(
                channel=job.channel_id,
                thread_ts=job.thread_ts or job.message_ts,
                content=report_csv(rows),
                filename=f"bulk-report-{job.id[:8]}.csv",
                title="Bulk upload report",
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot attach the bulk report in %s: %s", job.channel_id, slack_error(exc))
            with contextlib.suppress(*SLACK_FAILURES):
                await self._slack.chat_postMessage(
                    channel=job.channel_id,
                    thread_ts=job.thread_ts or job.message_ts,
                    text=texts.bulk_report_unattached(),
                )
        if example is not None:
            await self._pictures(job, example)

    async def notice(self, who: Requester, notice: str, job: Job | None) -> None:
        if notice == "undo_exists" and job is not None:
            await self._notifier.tell(who, texts.bulk_undo_exists(job.user_id, job.state))
            return
        await self._notifier.tell(who, texts.bulk_notice(notice))


class SlackDropReport:
    """The drop zone's private notes (its plans are bulk jobs: SlackBulkReport)."""

    def __init__(
        self, notifier: Notifier, allowed_channels: Callable[[str], Awaitable[frozenset[str]]]
    ) -> None:
        self._notifier = notifier
        self._allowed = allowed_channels  # a workspace's

    async def tell(self, team_id: str, who: Requester, kind: str) -> None:
        minutes = round(HOLD_SECONDS / 60)
        allowed = await self._allowed(team_id) if kind == "channel" else frozenset[str]()
        text = texts.drop_note(kind, who.channel_id, allowed, hold_minutes=minutes)
        await self._notifier.tell(who, text)
