"""The forms' submissions: field errors before closing, else close and queue the upload (or
the bulk job's checks)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.changes.slot_change import Origin
from bot.domain.grammar import OptionUpload
from bot.slack import texts
from bot.slack.context import runtime_of, store_of
from bot.slack.requester import requester_of
from bot.slack.views import bulk_form
from bot.slack.views import upload_form as form


async def upload_form_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    runtime = runtime_of(context)
    store = store_of(context)
    metadata = form.FormMetadata.load(view.get("private_metadata") or "")
    submission = form.read_submission(view["state"]["values"], metadata)
    if not isinstance(submission, form.Submission):
        await ack(response_action="errors", errors=submission)
        return
    if not runtime.workers.accepting:
        await ack(response_action="errors", errors={form.IMAGE_URL: texts.restarting()})
        return
    who = requester_of(body, channel=submission.channel_id)
    if submission.option is not None:  # a plan: one line a variation with the value
        upload = OptionUpload(submission.request, (submission.option,))
        channel = submission.channel_id
        runtime.workers.submit(lambda: runtime.bulk.plan_option(store, who, channel, upload))
    else:
        request = submission.request
        runtime.workers.submit(lambda: runtime.uploads.run(store, request, who, Origin.FORM))
    await ack()


async def bulk_form_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    runtime = runtime_of(context)
    store = store_of(context)
    submission = bulk_form.read_bulk_submission(view["state"]["values"])
    if not isinstance(submission, bulk_form.BulkSubmission):
        await ack(response_action="errors", errors=submission)
        return
    if not runtime.workers.accepting:
        await ack(response_action="errors", errors={bulk_form.LINES: texts.restarting()})
        return
    who = requester_of(body, channel=submission.channel_id)
    channel, lines, csv_file = submission.channel_id, submission.lines, submission.csv_file
    if lines is not None:
        runtime.workers.submit(lambda: runtime.bulk.plan_lines(store, who, channel, lines))
    elif csv_file is not None:
        runtime.workers.submit(lambda: runtime.bulk.plan_csv(store, who, channel, csv_file))
    await ack()


def register(app: AsyncApp) -> None:
    app.view_submission(form.CALLBACK_ID)(upload_form_submitted)
    app.view_submission(bulk_form.CALLBACK_ID)(bulk_form_submitted)
