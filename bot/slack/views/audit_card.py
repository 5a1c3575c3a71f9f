"""The audit's card (#37): the counts by slot and language, the other findings, what changed
since the last audit, and the legend. Builds blocks only."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.audit import Alt, Finding, Slot
from bot.flows.audit import Audited
from bot.slack import texts
from bot.slack.views.alt_fix_form import fix_button
from bot.slack.views.square_fix_form import square_button, variations_button, weekly_button

MAX_SECTION = 2900  # Slack: a section's text is at most 3000 characters


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_cut(text)))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SECTION else text[: MAX_SECTION - 1] + "…"


def audit_blocks(user_id: str, audited: Audited, min_side: int) -> list[Block]:
    result = audited.result
    blocks: list[Block] = [_section(texts.audit_head(user_id, audited))]
    languages = list(result.coverage)  # the default language first
    for slot in Slot:
        total = result.images.get(slot, 0)
        if not total:
            continue
        lines = [f"*{texts.AUDIT_SLOTS[slot]}* ({total:,})"]
        for language in languages:
            counts = {
                state: count
                for (s, lang, state), count in result.alts.items()
                if s == slot and lang == language
            }
            lines.append(texts.audit_alt_line(language, counts, total))
        blocks.append(_section("\n".join(lines)))
    found = [
        texts.audit_finding(finding, result.findings[finding])
        for finding in (
            Finding.NO_MAIN,
            Finding.NO_OWN_IMAGE,
            Finding.MIXED_SHAPES,
            Finding.NOT_SQUARE,
            Finding.SAME_PICTURE,
        )
        if result.findings.get(finding)
    ]
    if result.findings.get(Finding.SMALL):
        found.append(texts.audit_small(result.findings[Finding.SMALL], min_side))
    if result.size_unknown:
        found.append(texts.audit_size_unknown(result.size_unknown))
    if result.not_compared:
        found.append(texts.audit_not_compared(result.not_compared))
    blocks.append(
        _section("\n".join([texts.AUDIT_OTHER, *found]) if found else texts.AUDIT_NOTHING_ELSE)
    )
    if not audited.compared:
        blocks.append(_section(texts.AUDIT_NOT_COMPARED))
    elif audited.changes:
        blocks.append(_section(texts.audit_since(audited.changes)))
    elif audited.first:
        blocks.append(_section(texts.AUDIT_FIRST))
    else:
        blocks.append(_section(texts.AUDIT_SAME))
    gaps = sum(
        count for (_, _, state), count in result.alts.items() if state in (Alt.MISSING, Alt.DEFAULT)
    )
    fixes: list[ButtonElement] = []
    if gaps:  # the fix: a plan of alt texts from templates, with Start and Undo
        fixes.append(fix_button(audited.scope))
    if result.findings.get(Finding.NOT_SQUARE) or result.findings.get(Finding.MIXED_SHAPES):
        fixes.append(square_button(audited.scope))  # a plan of images padded to a square
    if result.findings.get(Finding.NO_OWN_IMAGE):  # a plan of the values' images
        fixes.append(variations_button(audited.scope))
    fixes.append(weekly_button(audited.scope))
    blocks.append(ActionsBlock(block_id="audit_fixes", elements=fixes))
    legend = f"{texts.AUDIT_LEGEND} {texts.AUDIT_FILES}"
    if result.rows_left_out:
        legend += " " + texts.audit_rows_left_out(len(result.rows), result.rows_left_out)
    if audited.categories_cut:
        legend += " " + texts.AUDIT_CATEGORIES_CUT
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=legend)]))
    return blocks
