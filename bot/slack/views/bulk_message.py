"""The bulk job's message, one message edited in place: the plan (Start / Cancel), then the
progress (Stop), then the totals (Undo this job). Action ids are a contract: `bulk_start`,
`bulk_cancel`, `bulk_undo`, `bulk_include_duplicates` (each button's value is the job's id), and
`bulk_use_sku` (a name's suggested SKU: `job:line`). Texts come from
bot.slack.texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.changes import codec
from bot.domain.alt_text import CLEANED
from bot.domain.bulk import PHOTO_NOTE, READ_AS, LineTarget
from bot.flows.bulk_report import CopyRoom
from bot.jobs.store import Counts, Job, Line
from bot.slack import texts

START_ACTION = "bulk_start"
CANCEL_ACTION = "bulk_cancel"  # Cancel on the plan, Stop while it runs
UNDO_JOB_ACTION = "bulk_undo"  # on a finished job's totals
USE_SKU_ACTION = "bulk_use_sku"  # on the plan: a name's "did you mean" SKU, value job:line
INCLUDE_DUPLICATES_ACTION = "bulk_include_duplicates"  # on the plan, value the job's id
MAX_SUGGESTION_BUTTONS = 10
MAX_SECTION = 2900  # Slack allows 3000 characters in a section
MAX_SHOWN_PROBLEMS = 20  # the rest are in the report
PLAN_SHOWN_LINES = 10  # ready lines named with their target; a longer plan has its CSV too


def line_target(line: Line) -> LineTarget | None:
    """Where a planned line's image goes: its change's slot, with the names and SKU the plan
    found; None for a line without a change (a problem) or one that cannot be read."""
    try:
        change = codec.loads(line.request or "")
    except codec.ChangeFormatError:
        return None
    slot = change.target.slot
    return LineTarget(
        slot.kind,
        slot.product_id,
        line.product_name or None,
        line.sku or None,
        line.variation_label or None,
    )


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def line_list(
    lines: Sequence[Line], limit: int, room: int = MAX_SECTION, *, rest: str = "in the thread"
) -> list[str]:
    """The lines as list items, as many as fit, and a last item saying how many did not, and
    where they are."""
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        item = texts.bulk_line(line.number, line.text, line.reason or "", line.quoted)
        if index >= limit or used + len(item) + 1 > room - 80:
            shown.append(texts.bulk_more(len(lines) - index, rest))
            break
        shown.append(item)
        used += len(item) + 1
    return shown


def target_list(lines: Sequence[Line], limit: int, room: int = MAX_SECTION) -> list[str]:
    """The ready lines, each with where its image goes, as many as fit (up to `limit`), and
    a last item saying how many more the plan's CSV file has."""
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        item = texts.bulk_target(line.number, line.text, line_target(line))
        if index >= limit or used + len(item) + 1 > room - 120:
            shown.append(texts.bulk_more(len(lines) - index, texts.PLAN_CSV_WHERE))
            break
        shown.append(item)
        used += len(item) + 1
    return shown


def plan_needs_csv(lines: Sequence[Line]) -> bool:
    """Whether a plan has more lines than its message names one by one (or than fit): its CSV
    file then holds every line."""
    if len(lines) > PLAN_SHOWN_LINES:
        return True
    ready = [line for line in lines if line.status == "pending"]
    return any(texts.PLAN_CSV_WHERE in item for item in target_list(ready, PLAN_SHOWN_LINES))


def plan_rows(lines: Sequence[Line]) -> list[tuple[object, ...]]:
    """A plan's lines for its CSV file (bot.domain.bulk.PLAN_COLUMNS): each line's target, or
    its problem."""
    rows: list[tuple[object, ...]] = []
    for line in lines:
        target = line_target(line) if line.status != "invalid" else None
        rows.append(
            (
                line.number,
                line.text,
                texts.PLAN_STATES.get(line.status, line.status),
                target.slot if target else line.slot,
                target.product_id if target else None,
                target.name if target else None,
                target.sku if target else None,
                target.variation if target else None,
                " ".join(
                    filter(None, [line.reason, line.quoted and f'Ecwid said: "{line.quoted}"'])
                ),
            )
        )
    return rows


def problems_of(lines: Sequence[Line]) -> list[Line]:
    return [line for line in lines if line.status == "invalid"]


def plan_blocks(
    job: Job,
    lines: Sequence[Line],
    counts: Counts,
    converting: Mapping[str, int],
    copy_reads: int = 0,
    duplicates_skipped: int = 0,
    copies: CopyRoom | None = None,
    replacing: int = 0,
) -> list[Block]:
    problems = problems_of(lines)
    head = texts.bulk_plan(job.user_id, counts.pending, len(problems), source=job.source)
    blocks: list[Block] = [_section(head)]
    if replacing:  # a variation's own image is replaced only where the plan says so
        blocks.append(_section(texts.bulk_replacing(replacing)))
    if converting:
        blocks.append(_section(texts.bulk_converting(converting)))
    if copy_reads:  # the replaced images are read and kept before their lines run: Undo's cost
        note = texts.bulk_keeping_copies(copy_reads)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    if copies is not None and copies.may_not_fit:  # HISTORY_MAX_MB: said before Start
        needed = copies.needed if copies.measured else None
        note = texts.bulk_copies_may_not_fit(copies.images, copies.room, needed, source=job.source)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    ready = [line for line in lines if line.status == "pending"]
    if ready:  # what Start will do: where each image goes
        listed = target_list(ready, PLAN_SHOWN_LINES)
        blocks.append(_section("\n".join([texts.bulk_targets(len(ready)), *listed])))
    if problems:
        blocks.append(_section("\n".join(line_list(problems, MAX_SHOWN_PROBLEMS))))
    # A ready line with a note matched its SKU only by letter case, or its file's name read two
    # ways, or its alt text lost invisible characters: the plan says which SKU, which reading,
    # or which characters.
    noted = [line for line in lines if line.status == "pending" and line.reason]
    read = [line for line in noted if (line.reason or "").startswith(READ_AS)]
    photos = [line for line in noted if (line.reason or "").startswith(PHOTO_NOTE)]
    cleaned = [line for line in noted if (line.reason or "").startswith(CLEANED)]
    cased = [line for line in noted if line not in read and line not in photos + cleaned]
    if cleaned:
        listed = line_list(cleaned, MAX_SHOWN_PROBLEMS, rest="in the CSV report")
        blocks.append(_section("\n".join([texts.bulk_alt_cleaned(), *listed])))
    if cased:
        listed = line_list(cased, MAX_SHOWN_PROBLEMS, rest="in the CSV report")
        blocks.append(_section("\n".join([texts.bulk_case_matches(), *listed])))
    if read:
        listed = line_list(read, MAX_SHOWN_PROBLEMS, rest="in the CSV report")
        blocks.append(_section("\n".join([texts.bulk_readings(), *listed])))
    if photos:
        listed = line_list(photos, MAX_SHOWN_PROBLEMS, rest="in the CSV report")
        blocks.append(_section("\n".join([texts.bulk_photo_notes(), *listed])))
    duplicates = [line for line in lines if line.status == "duplicate"]
    if duplicates:
        listed = line_list(duplicates, MAX_SHOWN_PROBLEMS, rest="in the CSV report")
        blocks.append(_section("\n".join([texts.bulk_duplicates(len(duplicates)), *listed])))
        blocks.append(
            ActionsBlock(
                block_id="bulk_duplicates",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Include duplicates"),
                        action_id=INCLUDE_DUPLICATES_ACTION,
                        value=job.id,
                    )
                ],
            )
        )
    elif duplicates_skipped:
        note = texts.bulk_duplicates_skipped(duplicates_skipped)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    suggested = [line for line in problems if line.suggestion is not None]
    if suggested:
        buttons = [
            ButtonElement(
                text=PlainTextObject(
                    text=texts.use_sku_button(
                        line.suggestion.sku if line.suggestion else "?", line.text
                    )
                ),
                action_id=USE_SKU_ACTION,
                value=f"{job.id}:{line.number}",
            )
            for line in suggested[:MAX_SUGGESTION_BUTTONS]
        ]
        blocks.append(ActionsBlock(block_id="bulk_suggestions", elements=buttons))
    if counts.pending:
        blocks.append(
            ActionsBlock(
                block_id="bulk_plan",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Start"),
                        action_id=START_ACTION,
                        value=job.id,
                        style="primary",
                    ),
                    ButtonElement(
                        text=PlainTextObject(text="Cancel"),
                        action_id=CANCEL_ACTION,
                        value=job.id,
                    ),
                ],
            )
        )
    return blocks


def progress_blocks(headline: str, figures: str, job: Job, *, stoppable: bool) -> list[Block]:
    blocks: list[Block] = [
        _section(headline),
        ContextBlock(elements=[MarkdownTextObject(text=figures)]),
    ]
    if stoppable:
        blocks.append(
            ActionsBlock(
                block_id="bulk_progress",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Stop"),
                        action_id=CANCEL_ACTION,
                        value=job.id,
                        style="danger",
                        confirm=ConfirmObject(
                            title="Stop the bulk upload?",
                            text="Lines already uploaded stay; the others are not run.",
                            confirm="Stop",
                            deny="Keep going",
                        ),
                    )
                ],
            )
        )
    return blocks


def text_blocks(text: str) -> list[Block]:
    return [_section(text)]


def finished_blocks(text: str, job: Job, undoable: int) -> list[Block]:
    """The totals; with Undo this job when the job changed images (`undoable` of them)."""
    blocks: list[Block] = [_section(text)]
    if undoable and job.undo_of is None:
        title, question = texts.bulk_undo_button(undoable)
        blocks.append(
            ActionsBlock(
                block_id="bulk_finished",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Undo this job"),
                        action_id=UNDO_JOB_ACTION,
                        value=job.id,
                        confirm=ConfirmObject(
                            title=title,
                            text=PlainTextObject(text=question[:300]),
                            confirm="Put them back",
                            deny="Keep them",
                        ),
                    )
                ],
            )
        )
    return blocks
