"""Every text the bot shows in Slack. Text from users or Ecwid is escaped here, and only here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from bot.domain import texts as domain_texts
from bot.domain.audit import Alt, Delta, Finding, Scope
from bot.domain.bulk import LineTarget
from bot.domain.errors import UserFacingError
from bot.domain.grammar import EXAMPLE, USAGE
from bot.domain.requests import Size
from bot.domain.schedule import zone
from bot.ecwid.errors import AmbiguousSku
from bot.ecwid.models import ImageSlot, Product
from bot.flows.alt_fix import SOURCE as ALT_FIX_SOURCE
from bot.flows.audit import Audited, Weekly
from bot.flows.bulk_report import BeforeAfter
from bot.flows.option_lines import SOURCE as OPTION_SOURCE
from bot.flows.square_fix import SOURCE as SQUARE_FIX_SOURCE
from bot.flows.upload import Uploaded
from bot.flows.variation_fix import SOURCE as VARIATION_FIX_SOURCE

MAX_QUOTED = 200  # characters of outside text shown at most
_WHITESPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Make untrusted text inert in mrkdwn: no live mentions, links or `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """Text from outside (Ecwid, an image host) as inline code: no bold, no links, one line.

    Backticks would end the code span early, so they become a look-alike.
    """
    flat = _WHITESPACE.sub(" ", text).strip().replace("`", "\u02cb")
    if len(flat) > MAX_QUOTED:
        flat = flat[: MAX_QUOTED - 1] + "…"
    return f"`{escape(flat)}`" if flat else "(none)"


def problem(error: UserFacingError) -> str:
    """A problem as the user reads it in Slack: our words escaped, anyone else's quoted as code."""
    text = escape(error.message)
    if isinstance(error, AmbiguousSku):
        choices = "\n".join(
            f"• {_product(p)}" + (f", {_variation(p)} (#{p.variation.id})" if p.variation else "")
            for p in error.candidates
        )
        return f"{text}\n{choices}"
    if error.quoted is not None:
        text += f" {escape(error.quoted_by)} said: {code(error.quoted)}"
    return text


def problems(errors: Iterable[UserFacingError]) -> str:
    return " ".join(problem(e) for e in errors)


def usage() -> str:
    return (
        "*Put an image on an Ecwid product: its main image, its gallery or a variation*\n"
        f"`{escape(USAGE)}`\n"
        f"For example: `{escape(EXAMPLE)}`\n"
        "PRODUCT is the product id or `sku:` and its SKU (a variation's SKU replaces that "
        "variation's image). The link must be https:// (JPG, PNG, GIF, HEIC, WebP, AVIF, TIFF or BMP); leave out the size to "
        "have it read from the image. `to=gallery` adds the image to the gallery. "
        "`/ecwid-image` alone opens a form, where you can also upload a file; for a photo shared "
        "in Slack, use *Use as product image* on its message. "
        "`/ecwid-image history PRODUCT` lists a product's image changes, each with Undo; "
        "`option:Color=Red` puts the image on every variation with that value (a plan to "
        "Start). "
        "`/ecwid-image gallery PRODUCT` shows its gallery to reorder, delete, edit alt text or "
        "copy to variations; `category:12` as the product replaces a category's image; "
        "`/ecwid-image bulk` uploads many at once; `/ecwid-image audit` shows the catalog's "
        "image health (alt texts in every language, missing and small images), with fixes to "
        "plan; `/ecwid-image audit every monday` posts it here every Monday at 09:00, and "
        "`/ecwid-image audit stop` ends that."
    )


def input_error(error: UserFacingError) -> str:
    return f":warning: {problem(error)}\nUsage: `{escape(USAGE)}`"


def _product(product: Product) -> str:
    """Names and SKUs are Ecwid's text: shown as code, so that they never become formatting."""
    if product.kind == "category":
        name = code(product.name) if product.name.strip() else "(no name)"
        return f"category {name} (#{product.id})"
    sku = f" · SKU {code(product.sku)}" if product.sku else ""
    name = code(product.name) if product.name.strip() else "(no name)"
    return f"{name} (#{product.id}{sku})"


def _link(url: str) -> str:
    return f"<{escape(url)}|{escape(url)}>"


def _variation(product: Product) -> str:
    variation = product.variation
    if variation is None:
        return ""
    sku = f" (SKU {code(variation.sku)})" if variation.sku else ""
    return f"variation {code(variation.describe())}{sku}"


def _change(slot: ImageSlot, product: Product) -> tuple[tuple[str, str, str], str]:
    """The verb (doing, done, to do) and what it is done to, for the slot."""
    if slot.kind == "gallery":
        return ("adding", "added", "add"), f"an image to the gallery of {_product(product)}"
    if slot.kind == "variation":
        where = f"the image of {_variation(product)} of {_product(product)}"
        return ("replacing", "replaced", "replace"), where
    if slot.kind == "category":
        return ("replacing", "replaced", "replace"), f"the image of {_product(product)}"
    return ("replacing", "replaced", "replace"), f"the main image of {_product(product)}"


def sku_case_note(product: Product) -> str:
    """When the SKU given matched only by letter case: which SKU was used."""
    if product.asked_sku is None:
        return ""
    return (
        f" (no SKU is {code(product.asked_sku)} exactly: used {code(product.matched_sku or '')}, "
        "which differs only in letter case)"
    )


def parent_pending(user_id: str, product: Product, slot: ImageSlot) -> str:
    (doing, _, _), what = _change(slot, product)
    return (
        f":hourglass_flowing_sand: <@{escape(user_id)}> is {doing} {what}{sku_case_note(product)}…"
    )


def parent_finished(user_id: str, product: Product, slot: ImageSlot, *, ok: bool) -> str:
    (_, done, to_do), what = _change(slot, product)
    note = sku_case_note(product)
    if ok:
        return f":white_check_mark: <@{escape(user_id)}> {done} {what}{note}."
    return f":x: <@{escape(user_id)}> tried to {to_do} {what}{note}, but it failed (see thread)."


def upload_succeeded(uploaded: Uploaded) -> str:
    request, image, size, result = uploaded.request, uploaded.image, uploaded.size, uploaded.result
    kind = {
        "main": "main image",
        "gallery": "gallery image",
        "variation": "variation image",
        "category": "category image",
    }
    if result.image_id is None:
        headline = ":white_check_mark: Ecwid accepted the image, but returned no image id."
    else:
        headline = f":white_check_mark: New {kind[uploaded.slot.kind]} id: *{result.image_id}*"
    if request.file is not None:
        source = f"{code(request.file.name or request.file.id)}, a file shared in Slack"
        lines = [headline, f"Image: {source} ({image.format}, {size} px)"]
    else:
        lines = [headline, f"Image: {_link(request.image_url or '')} ({image.format}, {size} px)"]
    if uploaded.prepared is not None and (done := uploaded.prepared.summary()):
        lines.append(f":sparkles: {escape(done)}")
    for note in uploaded.advice:
        lines.append(f":bulb: {escape(note)}")
    real = Size(image.width, image.height) if image.width and image.height else size
    if size != real:
        lines.append(
            f":information_source: You gave the size {size}, but the image is {real} px; "
            f"Ecwid was told {size}."
        )
    if request.alt_main:
        lines.append(f"Alt text: {escape(request.alt_main)}")
    for lang, text in sorted(request.alt_translated.items()):
        lines.append(f"Alt text ({escape(lang)}): {escape(text)}")
    if uploaded.alt_error is not None:
        done = "added to the gallery" if uploaded.slot.kind == "gallery" else "replaced"
        lines.append(
            f":warning: The image was {done}, but its alt text was not set: "
            f"{problem(uploaded.alt_error)}"
        )
    return "\n".join(lines)


def upload_failed(error: UserFacingError) -> str:
    return f":x: The image was not uploaded. {problem(error)}"


def not_started(*errors: UserFacingError) -> str:
    return f":x: Nothing was uploaded. {problems(errors)}"


def unexpected_failure() -> str:
    return (
        ":x: Something went wrong on the bot's side; the image may not have been uploaded. "
        "Check the product in Ecwid, and tell whoever runs the bot; the log has the details."
    )


def interrupted(slot_kind: str | None) -> str:
    what = {
        "main": "the main image may or may not have been replaced",
        "gallery": "the image may or may not have been added to the gallery",
        "variation": "the variation's image may or may not have been replaced",
        "category": "the category's image may or may not have been replaced",
    }.get(
        slot_kind or "",
        "the main image (or the variation's image) may or may not have been replaced",
    )
    return (
        f":warning: The bot was restarted before your upload finished: {what}. Check the product "
        "in Ecwid, or run the command again."
    )


def result_for_user(product: Product, slot: ImageSlot, body: str, channel_id: str | None) -> str:
    """The whole result, for when it cannot go to the channel thread."""
    where = ""
    if channel_id:
        where = (
            f"\n_I could not post in <#{escape(channel_id)}>: invite me there "
            "(`/invite @Ecwid Image`) to have results in the channel._"
        )
    if slot.kind == "gallery":
        title = f"Gallery of {_product(product)}"
    elif slot.kind == "variation":
        title = f"Image of {_variation(product)} of {_product(product)}"
    elif slot.kind == "category":
        title = f"Image of {_product(product)}"
    else:
        title = f"Main image of {_product(product)}"
    return f"{title}{sku_case_note(product)}:\n{body}{where}"


def restarting() -> str:
    return ":arrows_counterclockwise: The bot is restarting; nothing was uploaded. Try again in a minute."


def form_not_opened(error: str) -> str:
    return (
        f":warning: The upload form could not be opened (Slack said `{escape(error)}`). "
        "Please try again, or use the command with all its parts."
    )


def user_not_allowed() -> str:
    return (
        ":no_entry: Sorry, you are not on the list of people who may change the store's catalog "
        "with this bot. Nothing was changed. Ask the store owner to add you."
    )


def access_unchecked() -> str:
    return (
        ":hourglass: I could not check with Slack just now whether you are in a user group "
        "allowed to change the catalog, so nothing was changed. Please try again in a minute."
    )


def channel_not_allowed(channels: frozenset[str]) -> str:
    where = ", ".join(f"<#{escape(c)}>" for c in sorted(channels))
    return (
        f":no_entry: Sorry, this bot can only be used and report in {where}. Nothing was changed."
    )


def plain_refusal(reason: str) -> str:
    """For form field errors, which are plain text."""
    if reason == "user":
        return "You are not allowed to change the catalog with this bot; ask the store owner."
    if reason == "unchecked":
        return "Your user group could not be checked with Slack just now; try again in a minute."
    return "The bot may not report in this channel; choose one the store owner allowed."


# ---- undo -----------------------------------------------------------------------------------


def undo_unavailable(reason: str) -> str:
    return f"_Undo is not offered for this upload: {escape(reason)}._"


def undone_mark(user_id: str) -> str:
    return f":leftwards_arrow_with_hook: Undone by <@{escape(user_id)}>."


def undo_done(
    user_id: str,
    kind: str,
    *,
    had_previous: bool,
    warning: str | None,
    action: str | None = None,
) -> str:
    who = f"<@{escape(user_id)}>"
    if action == "reordered":
        text = f":leftwards_arrow_with_hook: {who} put the gallery back in its previous order."
    elif action == "removed":
        text = f":leftwards_arrow_with_hook: {who} put the deleted image back."
    elif action == "alt":
        text = f":leftwards_arrow_with_hook: {who} put the previous alt text back."
    elif kind == "gallery":
        text = f":leftwards_arrow_with_hook: {who} removed the image from the gallery."
    elif had_previous:
        text = f":leftwards_arrow_with_hook: {who} put back the previous image."
    else:
        text = f":leftwards_arrow_with_hook: {who} took the new image away: there was none before."
    if warning:
        text += f"\n:warning: But {escape(warning)}"
    return text


def parent_undone(user_id: str) -> str:
    return f":leftwards_arrow_with_hook: <@{escape(user_id)}> undid this change (see thread)."


def undo_refused(reason: str) -> str:
    return f":no_entry_sign: {escape(reason)}"


def already_undone(user_id: str) -> str:
    return f":information_source: Already undone by <@{escape(user_id)}>; nothing was changed."


def undo_failed(error: UserFacingError) -> str:
    return f":x: Undo failed: the previous image may not be back. {problem(error)}"


# ---- bulk jobs ------------------------------------------------------------------------------

BAR_CELLS = 20
SLOTS = {"main": "main image", "gallery": "gallery", "variation": "variation image"}


def _lines(count: int) -> str:
    return f"{count:,} line" + ("" if count == 1 else "s")


def _uploads(count: int) -> str:
    return f"{count:,} upload" + ("" if count == 1 else "s")


def bulk_checking(user_id: str, lines: int | None) -> str:
    what = _lines(lines) if lines is not None else "the CSV file"
    return (
        f":mag: <@{escape(user_id)}> sent a bulk upload: checking {what}… nothing is uploaded yet."
    )


def bulk_still_checking(user_id: str, checked: int, lines: int) -> str:
    return (
        f":mag: <@{escape(user_id)}> sent a bulk upload: checking {_lines(lines)}… "
        f"{progress_bar(checked, lines)} ({checked:,} checked); nothing is uploaded yet."
    )


def bulk_not_planned(user_id: str, error: UserFacingError) -> str:
    return f":x: <@{escape(user_id)}>'s bulk upload was not planned; nothing was uploaded. {problem(error)}"


def _variations(count: int) -> str:
    return f"1 image → {count:,} variation" + ("" if count == 1 else "s")


def _counted(source: str, count: int, uploads: str) -> str:
    """A job's lines as its kind counts them: one image for many variations (an option value),
    images' alt texts (the audit's fix), or uploads (`uploads`: the word for them)."""
    if source == OPTION_SOURCE:
        return _variations(count)
    if source == ALT_FIX_SOURCE:
        return f"{count:,} image{'' if count == 1 else 's'}' alt texts"
    if source == SQUARE_FIX_SOURCE:
        return f"{count:,} image{'' if count == 1 else 's'} to pad to a square"
    if source == VARIATION_FIX_SOURCE:
        return f"{count:,} variation{'' if count == 1 else 's'} to give an image"
    return uploads


def bulk_plan(user_id: str, ready: int, problems: int, *, source: str = "") -> str:
    """`source`: the job's, which says what its lines are counted as."""
    what = _counted(source, ready, _uploads(ready))
    head = f":clipboard: *Bulk upload* by <@{escape(user_id)}>: *{what} ready*"
    if problems:
        head += f", {_lines(problems)} with problems (not to be run)"
    if not ready:
        return head + ". Nothing can be uploaded: correct the lines and send them again."
    return head + ". Press *Start* to run them, or *Cancel*."


def bulk_converting(converting: Mapping[str, int]) -> str:
    """e.g. "12 will be converted from HEIC", or "15 will be converted: 12 from HEIC, 3 from
    WebP"; the formats are the bot's own names for them."""
    if len(converting) == 1:
        ((kind, count),) = converting.items()
        said = f"{count} will be converted from {kind}"
    else:
        parts = ", ".join(f"{count} from {kind}" for kind, count in sorted(converting.items()))
        said = f"{sum(converting.values())} will be converted: {parts}"
    return f":arrows_counterclockwise: {said} (made upright, without location data) first."


def bulk_readings() -> str:
    return ":mag_right: These files' names could be read two ways; each uses the SKU that exists:"


def bulk_photo_notes() -> str:
    return ":eyes: Worth a look before you start (these lines run all the same):"


def bulk_alt_cleaned() -> str:
    return (
        ":broom: These lines' alt texts held invisible characters (control, bidi or zero-width); "
        "they were removed, and the rest goes to Ecwid:"
    )


def bulk_case_matches() -> str:
    return (
        ":information_source: No product has these lines' SKUs exactly; each uses the one SKU "
        "that differs only in letter case:"
    )


def bulk_line(number: int, text: str, reason: str, quoted: str | None = None) -> str:
    """One line of the plan or the report: its number, its text, and what became of it (our
    words escaped, Ecwid's own as code)."""
    said = f" Ecwid said: {code(quoted)}" if quoted else ""
    return f"• Line {number}: {code(text)} — {escape(reason)}{said}"


def bulk_more(count: int, where: str) -> str:
    return f"…and {_lines(count)} more {where}."


def bulk_targets(ready: int) -> str:
    """The head of the plan's list of what its ready lines will do."""
    return f":dart: Where {'it goes' if ready == 1 else 'each goes'} when you press *Start*:"


def bulk_target(number: int, text: str, target: LineTarget | None) -> str:
    """A ready line and what it will do, e.g. "• Line 1: `IMG_1234.jpg` → the main image of
    `Tee` (#123 · SKU `TEE-9`)"; names and SKUs are Ecwid's text, the line's text the user's."""
    return f"• Line {number}: {code(text)} → {_target(target)}"


def _target(target: LineTarget | None) -> str:
    if target is None:
        return "(its target could not be read)"
    name = code(target.name) if target.name and target.name.strip() else "(no name)"
    if target.slot == "category":
        return f"the image of category {name} (#{target.product_id})"
    if target.slot == "variation":
        label = code(target.variation) if target.variation else "a variation"
        sku = f" (SKU {code(target.sku)})" if target.sku else ""
        return f"the image of variation {label}{sku} of {name} (#{target.product_id})"
    sku = f" · SKU {code(target.sku)}" if target.sku else ""
    where = "the gallery" if target.slot == "gallery" else "the main image"
    return f"{where} of {name} (#{target.product_id}{sku})"


PLAN_CSV_WHERE = "in the plan's CSV file (in the thread)"
PLAN_CSV_TITLE = "Bulk upload plan"
# A plan CSV's `plan` column: what each line will do at Start.
PLAN_STATES = {
    "pending": "ready",
    "invalid": "problem (not to be run)",
    "duplicate": "duplicate (left out unless included)",
}


def bulk_plan_csv() -> str:
    return ":page_facing_up: Every line of the plan, with where it goes or why it will not run:"


def bulk_plan_csv_unattached() -> str:
    return (
        ":warning: The plan's CSV file could not be attached here (the app needs the files:write "
        "scope); the message above lists the first lines."
    )


def line_ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5, 7, 8 → "1–3, 5, 7–8"."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def bulk_not_run(numbers: list[int]) -> str:
    return f"Not run (stopped): lines {line_ranges(numbers)}."


def bulk_plan_problems(count: int) -> str:
    return f":clipboard: Every line with a problem ({count:,}); they will not be run:"


def progress_bar(done: int, total: int) -> str:
    share = done / total if total else 1.0
    cells = round(share * BAR_CELLS)
    return f"`{'█' * cells}{'░' * (BAR_CELLS - cells)}` {share:.0%}"


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    return f"about {minutes} minute" + ("" if minutes == 1 else "s")


def bulk_progress(
    started_by: str | None,
    *,
    title: str = "Bulk upload",
    done: int,
    failed: int,
    left: int,
    per_minute: float | None,
    seconds_left: float | None,
    paused: bool,
    stopping: bool,
    fault: bool = False,
    skipped: int = 0,
) -> tuple[str, str]:
    """The headline with its bar, and the figures."""
    total = done + failed + skipped + left
    who = f" started by <@{escape(started_by)}>" if started_by else ""
    if fault:
        state = (
            f":warning: *{title}*"
            + who
            + ": paused, something went wrong on the bot's side (tell whoever runs the bot; the "
            "log has the details); it carries on by itself shortly."
        )
    elif paused:
        state = (
            f":double_vertical_bar: *{title}*"
            + who
            + ": paused, the bot is restarting; it carries on by itself."
        )
    elif stopping:
        state = f":octagonal_sign: *{title}*" + who + ": stopping…"
    else:
        state = f":arrows_counterclockwise: *{title}*" + who + ": running"
    figures = [f"{done:,} done", f"{failed:,} failed", f"{left:,} left"]
    if skipped:
        figures.insert(2, f"{skipped:,} skipped")
    if per_minute:
        figures.append(f"{per_minute:,.0f} images a minute")
    if seconds_left is not None and left:
        figures.append(f"{_minutes(seconds_left)} left")
    return f"{state}\n{progress_bar(done + failed + skipped, total)}", " · ".join(figures)


def bulk_finished(
    user_id: str,
    *,
    done: int,
    failed: int,
    not_run: int,
    invalid: int,
    stopped_by: str | None,
    source: str = "",
) -> str:
    if stopped_by:
        head = f":octagonal_sign: *Bulk upload* by <@{escape(user_id)}>: stopped by <@{escape(stopped_by)}>"
    elif failed:
        head = f":warning: *Bulk upload* by <@{escape(user_id)}>: finished"
    else:
        head = f":white_check_mark: *Bulk upload* by <@{escape(user_id)}>: finished"
    uploaded = _counted(source, done, f"{done:,} uploaded")
    figures = [f"*{uploaded}*", f"{failed:,} failed"]
    if not_run:
        figures.append(f"{_lines(not_run)} not run")
    if invalid:
        figures.append(f"{_lines(invalid)} with problems skipped")
    return f"{head}. " + ", ".join(figures) + ". The report is in the thread."


def bulk_cancelled(user_id: str, cancelled_by: str | None) -> str:
    by = f" by <@{escape(cancelled_by)}>" if cancelled_by else ""
    return f":heavy_multiplication_x: *Bulk upload* by <@{escape(user_id)}>: cancelled{by}. Nothing was uploaded."


def bulk_report(failed: int, not_run: int, invalid: int) -> str:
    if not (failed or not_run or invalid):
        return ":white_check_mark: Every line was uploaded. The CSV file has each line's image id."
    parts = []
    if failed:
        parts.append(f"*{_lines(failed)} failed*")
    if invalid:
        were = "was" if invalid == 1 else "were"
        parts.append(f"{_lines(invalid)} had problems and {were} skipped")
    if not_run:
        parts.append(f"{_lines(not_run)} {'was' if not_run == 1 else 'were'} not run (stopped)")
    return ":page_facing_up: " + "; ".join(parts) + ". The CSV file has every line:"


def bulk_report_unattached() -> str:
    return (
        ":warning: The CSV report could not be attached here (the app needs the files:write scope)."
    )


UNDO_TITLE = "Undo of a bulk upload"


def bulk_undo_checking(user_id: str, owner: str, lines: int) -> str:
    return (
        f":leftwards_arrow_with_hook: <@{escape(user_id)}> is undoing <@{escape(owner)}>'s bulk "
        f"upload: checking {_lines(lines)}…"
    )


def bulk_undo_finished(
    user_id: str, *, done: int, failed: int, skipped: int, invalid: int, not_run: int
) -> str:
    head = ":warning:" if failed else ":leftwards_arrow_with_hook:"
    figures = [f"*{done:,} put back*", f"{skipped:,} skipped (changed since)", f"{failed:,} failed"]
    if invalid:
        figures.append(f"{_lines(invalid)} could not be undone")
    if not_run:
        figures.append(f"{_lines(not_run)} not run")
    return (
        f"{head} *{UNDO_TITLE}* by <@{escape(user_id)}>: finished. "
        + ", ".join(figures)
        + ". The report is in the thread."
    )


def bulk_undo_report(skipped: int, failed: int, invalid: int) -> str:
    if not (skipped or failed or invalid):
        return ":white_check_mark: Every image the job changed was put back."
    parts = []
    if skipped:
        parts.append(f"*{_lines(skipped)} skipped*: their images changed since the job")
    if failed:
        parts.append(f"*{_lines(failed)} failed*")
    if invalid:
        parts.append(f"{_lines(invalid)} could not be undone")
    return ":page_facing_up: " + "; ".join(parts) + ". Each, with its reason:"


def bulk_undo_button(undoable: int) -> tuple[str, str]:
    """The button's confirm dialog: its title and text."""
    images = f"{undoable:,} image" + ("" if undoable == 1 else "s")
    return (
        "Undo this job?",
        f"This puts back {images}: each slot as it was before the job. Slots changed since "
        "are skipped and listed.",
    )


def bulk_undo_exists(user_id: str, state: str) -> str:
    if state in ("finished", "cancelled"):
        return (
            f":information_source: This job was already undone by <@{escape(user_id)}>; "
            "nothing was changed."
        )
    return (
        f":information_source: <@{escape(user_id)}> is undoing this job already; nothing "
        "else was changed."
    )


# A line whose copy did not fit under HISTORY_MAX_MB (bot.jobs.store.JobStore.record): its
# reason in the report says so; its Undo later says the copy is no longer kept (bot.domain.texts.COPY_GONE).
NO_COPY_FOR_UNDO = (
    "No copy for Undo: the copies kept for Undo had reached HISTORY_MAX_MB, so the image this "
    "line replaced was not kept."
)


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:,.1f} MB" if value >= 0.1 else f"{size / 1024:,.0f} KB"


def bulk_copies_may_not_fit(images: int, room: int, needed: int | None, *, source: str = "") -> str:
    """The plan's warning: the copies for Undo the job keeps may pass HISTORY_MAX_MB;
    `needed`: about how much they take, as the copies kept so far measure it (None: no copy
    has been kept yet to tell). A square fix's lines past the limit are not run at all."""
    replaced = f"{images:,} image" + ("" if images == 1 else "s")
    take = f"about {_megabytes(needed)}" if needed is not None else "more"
    past = (
        "Images past the limit are not padded (their originals could not be put back)"
        if source == SQUARE_FIX_SOURCE
        else "Lines past the limit are still uploaded, with no copy for Undo"
    )
    return (
        f":warning: Copies for Undo may not all fit: HISTORY_MAX_MB leaves about "
        f"{_megabytes(room)} for them, and the {replaced} this job replaces may take {take}. "
        f"{past}; the report lists them."
    )


def bulk_no_copies(numbers: list[int]) -> str:
    """The report's list of the lines whose copy did not fit under HISTORY_MAX_MB."""
    return (
        f":leftwards_arrow_with_hook: No copy for Undo (HISTORY_MAX_MB was reached): lines "
        f"{line_ranges(numbers)}. They were uploaded; Undo cannot put back the images they "
        "replaced."
    )


BEFORE_AFTER_FILES = "Before and after, one image of the job:"
MAX_OTHERS_NAMED = 20  # variations named after the one shown before and after


def before_and_after(example: BeforeAfter) -> str:
    """An image by option value's report: one variation before and after, then the rest."""
    before = _labelled(example.before_url, "its old image") or "no image of its own"
    after = _labelled(example.after_url, "the new image") or "the new image"
    said = f":left_right_arrow: *{escape(example.variation)}*: before, {before}; after, {after}."
    if example.others:
        named = ", ".join(f"*{escape(o)}*" for o in example.others[:MAX_OTHERS_NAMED])
        more = len(example.others) - MAX_OTHERS_NAMED
        said += f" The same image went to {named}" + (f" and {more:,} more." if more > 0 else ".")
    return said


def _labelled(url: str | None, label: str) -> str | None:
    """A link in mrkdwn, for an https URL (Ecwid's or the image host's) only."""
    if not url or not url.startswith("https://") or any(c in url for c in "<>| \n"):
        return None
    return f"<{escape(url)}|{label}>"


def bulk_replacing(variations: int) -> str:
    """An image by option value: the variations that show an image of their own now."""
    if variations == 1:
        return (
            ":arrows_counterclockwise: This replaces 1 image: 1 variation has an image of its "
            "own now (Undo puts it back)."
        )
    return (
        f":arrows_counterclockwise: This replaces {variations:,} images: {variations:,} "
        "variations have images of their own now (Undo puts them back)."
    )


def bulk_keeping_copies(calls: int) -> str:
    return (
        f":leftwards_arrow_with_hook: Keeping copies for Undo: about {calls:,} extra "
        "Ecwid call" + ("" if calls == 1 else "s") + " (the images about to be replaced are read "
        "first, a batch of lines at a time)."
    )


BULK_NOTICES = {
    "planned_changed": ":information_source: That line was planned again already.",
    "undo_planned": ":information_source: That job has not run: there is nothing to undo.",
    "undo_checking": ":information_source: That job has not run: there is nothing to undo.",
    "undo_running": ":information_source: That job is still running: stop it, or wait for it to end, then undo it.",
    "undo_stopping": ":information_source: That job is still stopping: undo it once it has ended.",
    "undo_cancelled": ":information_source: That job was cancelled before it ran: there is nothing to undo.",
    "not_found": ":question: That bulk job is not known to the bot: it is older than HISTORY_DAYS (the bot forgets jobs after that), or its database was reset.",
    "planned": ":information_source: That bulk job has not been started.",
    "running": ":information_source: That bulk job is already running.",
    "stopping": ":information_source: That bulk job is already stopping.",
    "finished": ":information_source: That bulk job has already finished.",
    "cancelled": ":information_source: That bulk job was cancelled; send the lines again to run them.",
    "unavailable": ":x: The bot's database could not be reached, so nothing changed; try again in a minute.",
    "not_posted": ":warning: The bulk upload was not checked: I could not post in that channel. Invite me there (`/invite @Ecwid Image`) and try again.",
}


def bulk_notice(notice: str) -> str:
    return BULK_NOTICES.get(notice, BULK_NOTICES["not_found"])


def bulk_no_files() -> str:
    return (
        ":information_source: That message has no image files. *Upload these images* "
        "takes files named by SKU: `SKU.jpg` for the main image, `SKU_2.jpg`, `SKU_3.jpg`… "
        "for the gallery."
    )


# ---- form field errors: plain text (Slack shows them under the field as they are) ----------

FIELD_LINES_OR_CSV = "Give the lines here or a CSV file below, one of the two."
FIELD_NOTHING_TO_UPLOAD = "Every line is blank or a # comment: there is nothing to upload."
FIELD_BULK_CHANNEL = "Choose the channel for the plan and its progress."
FIELD_PRODUCT = "Choose a product: type part of its name, its SKU or its id."
FIELD_TARGET = "Choose where the image goes: the main image or the gallery."
FIELD_CATEGORY_GALLERY = "A category has one image, not a gallery: choose the main image."
FIELD_VARIATION_GALLERY = "A variation has one image, not a gallery: choose the main image."
FIELD_WIDTH_TOO = "Give the width too, or leave both blank."
FIELD_HEIGHT_TOO = "Give the height too, or leave both blank."
FIELD_CHANNEL = "Choose the channel to report in."
FIELD_LINK_OR_FILE = "Give a link or a file, not both."
FIELD_MESSAGE_FILE = "Choose one of the message's images, or give a link or a file."
GALLERY_SLOW = "Ecwid was too slow to answer: press again in a moment."
GALLERY_NO_VARIATIONS = "That product has no variations to copy the image to."
FIELD_VARIATIONS = "Choose at least one variation, or an option value."
FIELD_OPTION_CATEGORY = "A category has no variations: choose a product, or no value."
FIELD_OPTION_VARIATION = (
    "That is one variation: choose the product itself to reach every variation with a value."
)
FIELD_OPTION_OTHER_PRODUCT = (
    "That value was offered for another product: choose the value again for this one."
)
FORM_OPTION_LABEL = "Or every variation with"
FORM_OPTION_HINT = (
    "The image replaces the own image of each variation with this value (all sizes of Red). "
    "Leave it empty for the main image or the gallery."
)
COPY_OPTION_LABEL = "Or every variation with"
COPY_OPTION_HINT = "Each variation with this value gets the image, besides any chosen above."
FIELD_IMAGE = "Give the image's https:// link, or upload the image as a file."


def field_side(max_side: int) -> str:
    return f"A whole number of pixels from 1 to {max_side}."


def field_error(error: UserFacingError) -> str:
    """A problem as a form field shows it. Our messages are plain text in which backticks
    enclose a literal (the user's own words, an example): in a Slack message that is shown as
    code (see `problem`); a field shows plain text only, so the marks are left out."""
    return error.message.replace("`", "")


# ---- history and the App Home ---------------------------------------------------------------


def when(at: float) -> str:
    """A moment, as Slack shows dates: in the reader's own time zone."""
    fallback = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at)}^{{date_short_pretty}} {{time}}|{fallback}>"


def change_what(action: str, slot: str, variation: str | None, *, undid: str | None = None) -> str:
    """e.g. "replaced the main image", "added to the gallery", "variation Size 43: set"."""
    where = {
        "main": "the main image",
        "gallery": "the gallery",
        "variation": f"variation {code(variation)}" if variation else "a variation's image",
        "category": "the category's image",
    }.get(slot, escape(slot))
    if action == "undone":
        return f"undid a change of {where}"
    if action == "reordered":
        return "reordered the gallery"
    if action == "removed":
        return "deleted the main image" if slot == "main" else "deleted an image of the gallery"
    if action == "alt":
        return "set an image's alt text"
    if action == "added":
        return "added an image to the gallery"
    if action == "swapped":
        return "replaced an image of the gallery in its place"
    if slot == "variation":
        return f"{'replaced' if action == 'replaced' else 'set'} the image of {where}"
    return f"{'replaced' if action == 'replaced' else 'set'} {where}"


def change_line(
    at: float,
    user_id: str,
    what: str,
    product: str | None,
    *,
    link: str | None,
    undone_by: str | None,
    job: bool,
) -> str:
    """One history entry (mrkdwn): when, who, what, where it was reported."""
    text = f"{when(at)} · <@{escape(user_id)}> {what}"
    if product:
        text += f" of {code(product)}"
    if job:
        text += " (a bulk job)"
    if link:
        text += f" · <{link}|thread>"
    if undone_by:
        text += f"\n:leftwards_arrow_with_hook: undone by <@{escape(undone_by)}>"
    return text


def target_number(target_id: int, slot: str) -> str:
    """e.g. "product #12", "category #12": Ecwid numbers the two apart."""
    return f"{'category' if slot == 'category' else 'product'} #{target_id}"


def history_head(product_id: int, name: str | None, shown: int, *, category: bool = False) -> str:
    kind = "category" if category else "product"
    title = f"{code(name)} (#{product_id})" if name else f"{kind} #{product_id}"
    if name and category:
        title = f"category {title}"
    if not shown:
        return f":card_index_dividers: No image changes by the bot are recorded for {title}."
    return f":card_index_dividers: Image changes of {title}, newest first:"


def history_not_shown(error: UserFacingError) -> str:
    return f":x: The history could not be shown. {problem(error)}"


HISTORY_LOOKING = ":hourglass_flowing_sand: Looking up the product's history…"
HOME_TITLE = ":frame_with_picture: *Ecwid Image*"
HOME_INTRO = (
    "Product images for the Ecwid store, from Slack: upload one, run a bulk job, or look at a "
    "product's history. Every change can be undone."
)
HOME_NOT_ALLOWED = (
    ":lock: You are not on the list of people who may use this bot: ask whoever runs it."
)
HOME_NO_CHANGES = "You have not changed any images with the bot yet."
HOME_NO_JOBS = "No bulk jobs yet."


def home_job(
    state: str,
    source: str,
    created_at: float,
    done: int,
    failed: int,
    left: int,
    link: str | None,
    *,
    undo: bool,
) -> str:
    kind = "Undo of a bulk upload" if undo else "Bulk upload"
    where = f" · <{link}|message>" if link else ""
    figures = f"{done:,} done, {failed:,} failed"
    if state in ("running", "stopping"):
        figures += f", {left:,} left {progress_bar(done + failed, done + failed + left)}"
    return f"*{kind}* ({escape(source)}) {when(created_at)}: {state} · {figures}{where}"


def settings_glance(
    *,
    store_id: int,
    users: Iterable[str],
    usergroups: Iterable[str],
    channels: Iterable[str],
    budget: str,
    database: str,
    days: int,
    max_mb: float,
    kept_mb: float | None,
) -> str:
    def listed(items: Iterable[str], mark: str, everyone: str) -> str:
        found = sorted(items)
        return ", ".join(f"<{mark}{escape(i)}>" for i in found) if found else everyone

    kept = f" ({kept_mb:,.1f} MB kept now)" if kept_mb is not None else ""
    return "\n".join(
        [
            f"• Store: `{store_id}`",
            f"• People: {listed(users, '@', 'everyone in the workspace')}",
            f"• Groups: {listed(usergroups, '!subteam^', 'none')}",
            f"• Channels: {listed(channels, '#', 'every channel the bot is in')}",
            f"• Ecwid budget: {escape(budget)}",
            f"• Database: {escape(database)}",
            f"• History: copies kept for {days} days, up to {max_mb:g} MB{kept}",
        ]
    )


# ---- the gallery card -----------------------------------------------------------------------


def gallery_head(product_id: int, name: str, sku: str | None, images: int) -> str:
    shown = code(name) if name.strip() else "(no name)"
    sku_part = f" · SKU {code(sku)}" if sku else ""
    count = f"{images} image" + ("" if images == 1 else "s")
    return (
        f":frame_with_picture: *Gallery* of {shown} (#{product_id}{sku_part}): {count}, main first"
    )


def gallery_image(
    place: int, image_id: str, is_main: bool, coverage: list[tuple[str, bool]]
) -> str:
    what = "main image" if is_main else "gallery"
    alt = " · ".join(f"{escape(lang)} {'✓' if ok else '✗'}" for lang, ok in coverage)
    return f"*{place}.* {what} · id `{escape(image_id)}`\nalt: {alt}"


def gallery_more(count: int) -> str:
    return f"…and {count} more image" + ("" if count == 1 else "s") + " (not shown here)."


def gallery_variations(with_image: list[str], variations: int) -> str:
    if not with_image:
        return f"None of the {variations} variations has an image of its own."
    return "Variations with their own image: " + ", ".join(code(v) for v in with_image)


def gallery_delete_question(place: int, name: str) -> str:
    return f"Delete image {place} of {name.strip() or 'this product'}? A copy is kept."


def gallery_delete_without_copy(place: int, name: str) -> str:
    """Asked when the image to delete cannot be read to keep a copy for Undo."""
    product = code(name) if name.strip() else "this product"
    return (
        f":warning: Image {place} of {product} could not be read, so no copy of it can be kept: "
        "a deletion could not be undone. Nothing was deleted. *Delete without Undo?*"
    )


GALLERY_DELETE_WITHOUT_COPY = "Delete without Undo"


def variation_label(options: Iterable[tuple[str, str]], variation_id: int) -> str:
    """e.g. "Color: Blue · Size: 43" (plain text, for an option)."""
    return " · ".join(f"{name}: {value}" for name, value in options) or f"Variation #{variation_id}"


def gallery_changed(user_id: str, what: str) -> str:
    return f":frame_with_picture: <@{escape(user_id)}> {escape(what)}."


def gallery_refused(reason: str) -> str:
    return f":information_source: {escape(reason)}"


def gallery_not_shown(error: UserFacingError) -> str:
    return f":x: The gallery could not be shown or changed. {problem(error)}"


def gallery_not_posted() -> str:
    return (
        ":warning: The gallery card could not be posted in this channel. Invite me here "
        "(`/invite @Ecwid Image`) and try again."
    )


DROP_NOTES = {
    "refused": (
        ":lock: You dropped photos in a channel the bot watches, but you are not on the list of "
        "people who may use it, so nothing will be uploaded. Ask whoever runs the bot."
    ),
    "unchecked": (
        ":hourglass: I could not check with Slack just now whether you may use the bot, so your "
        "photos are not planned yet. They are kept: I will check again, and post their plan in "
        "their thread (or tell you why not) within {minutes} minutes."
    ),
    "expired": (
        ":x: I still could not check with Slack whether you may use the bot, so your photos were "
        "not planned. Share them again in a new message in a few minutes."
    ),
    "unavailable": (
        ":x: Your photos were not planned: the bot's database could not be reached. Drop them "
        "again in a minute."
    ),
    "unlinked": (
        ":x: Your photos were not planned: the Ecwid store they were dropped for is no longer "
        "the bot's here. Drop them again to plan them for the store it serves now."
    ),
}


def drop_note(
    kind: str,
    channel_id: str | None = None,
    allowed: frozenset[str] = frozenset(),
    hold_minutes: int = 10,
) -> str:
    """A drop's private note (bot.flows.drops.DropReport): the true reason it is not planned."""
    if kind == "channel":
        here = f"<#{escape(channel_id)}>" if channel_id else "this channel"
        where = ", ".join(f"<#{escape(c)}>" for c in sorted(allowed))
        return (
            f":lock: You dropped photos in {here}, which the bot watches, but the bot may only "
            f"change the catalog from {where}, so nothing will be uploaded. Drop them there, or "
            "ask whoever runs the bot to allow this channel."
        )
    return DROP_NOTES.get(kind, DROP_NOTES["unavailable"]).format(minutes=hold_minutes)


def use_sku_button(sku: str, name: str) -> str:
    """ "Use SHOE-RED-42 for SHOE-RED-4.jpg", within a button's 75 characters."""
    text = f"Use {sku} for {name}"
    return text if len(text) <= 75 else text[:74] + "…"


def bulk_duplicates(count: int) -> str:
    return (
        f":twisted_rightwards_arrows: {_lines(count)} would upload a photo the product already "
        "shows, or one already in this plan: left out of Start unless you include them."
    )


def bulk_duplicates_skipped(limit: int) -> str:
    return (
        f":information_source: Duplicates were not looked for: the check reads every image "
        f"whole, so it runs for plans of up to {limit:,} lines (DUPLICATE_CHECK_MAX_LINES)."
    )


# ---- the audit (#37) -----------------------------------------------------------------------


def audit_scope(scope: Scope) -> str:
    if scope.category is not None:
        return f"category {scope.category} (with its subcategories)"
    if scope.search is not None:
        return f"the products found for {code(scope.search)}"
    return "the whole catalog"


def audit_started(user_id: str, scope: Scope, weekly: Weekly | None = None) -> str:
    if weekly is not None:
        return f"{weekly_said(user_id, scope, weekly)} Reading the catalog…"
    return (
        f":stethoscope: *Image health* of {audit_scope(scope)}, asked by <@{escape(user_id)}>: "
        "reading the catalog…"
    )


def weekly_said(user_id: str, scope: Scope, weekly: Weekly) -> str:
    """A weekly audit's run, as its message begins: which, for whom, and whether it is late."""
    said = (
        f":stethoscope: *Weekly image health* of {audit_scope(scope)} (every "
        f"{WEEKDAY_NAMES[weekly.weekday]} at 09:00 {escape(weekly.zone)}), for "
        f"<@{escape(user_id)}>."
    )
    if weekly.late_since is not None:
        due = _when(weekly.late_since, weekly.zone)
        said += f" :alarm_clock: Late: it was due {due}, when the bot was not running."
    return said


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _when(at: float, zone_name: str) -> str:
    """e.g. "Monday 7 December 09:00", in the schedule's zone."""
    local = dt.datetime.fromtimestamp(at, zone(zone_name))
    return f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {local:%B %H:%M}"


def weekly_scheduled(
    scope: Scope,
    weekday: int,
    zone_name: str,
    next_at: float,
    *,
    replaced: bool,
    zone_known: bool,
    channel_id: str,
) -> str:
    said = (
        f":calendar: Every {WEEKDAY_NAMES[weekday]} at 09:00 ({escape(zone_name)}), the audit of "
        f"{audit_scope(scope)} will be posted in <#{escape(channel_id)}>. The first: "
        f"{_when(next_at, zone_name)}. `/ecwid-image audit stop` ends it."
    )
    if replaced:
        said += " It replaces the weekly audit of that scope this channel had."
    if not zone_known:
        said += (
            " Your time zone could not be read (the app needs the `users:read` scope: see the"
            " upgrade note in the docs), so 09:00 is UTC."
        )
    return said


def weekly_stopped(count: int, scope: Scope | None) -> str:
    if count == 0:
        which = "" if scope is None else f" of {audit_scope(scope)}"
        return f":information_source: This channel has no weekly audit{which} to stop."
    if scope is not None:
        return (
            f":white_check_mark: The weekly audit of {audit_scope(scope)} in this channel stopped."
        )
    many = count != 1
    return f":white_check_mark: {count} weekly audit{'s' if many else ''} in this channel stopped."


WEEKLY_DM = "(The bot is not in that channel, so the audit came here: invite it to the channel.)"


def home_weekly(
    schedule_channel: str, scope: Scope, weekday: int, zone_name: str, user_id: str, next_at: float
) -> str:
    """A weekly audit, as the App Home lists it."""
    return (
        f"*{audit_scope(scope)}* in <#{escape(schedule_channel)}>: every "
        f"{WEEKDAY_NAMES[weekday]} at 09:00 {escape(zone_name)}, for <@{escape(user_id)}>. "
        f"Next: {_when(next_at, zone_name)}."
    )


def audit_progress(read: int, total: int) -> str:
    return f":stethoscope: *Image health*: {read:,} of {total:,} products read…"


def audit_failed(user_id: str, error: UserFacingError) -> str:
    said = problem(error)
    return f":warning: *Image health* for <@{escape(user_id)}>: the audit stopped. {said}"


def _count(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} " + (one if count == 1 else many or one + "s")


def audit_head(user_id: str, audited: Audited) -> str:
    result = audited.result
    images = sum(result.images.values())
    counted = (
        f"{_count(result.products, 'product')}, "
        f"{_count(result.categories, 'category', 'categories')}, {_count(images, 'image')}."
    )
    if audited.weekly is not None:
        said = f"{weekly_said(user_id, audited.scope, audited.weekly)} {counted}"
    else:
        said = (
            f":stethoscope: *Image health* of {audit_scope(audited.scope)}, asked by "
            f"<@{escape(user_id)}>: {counted}"
        )
    if audited.cut_at is not None:
        said += f" Only the first {audited.cut_at:,} products were read."
    return said


AUDIT_SLOTS = {
    "main": "Main images",
    "gallery": "Gallery images",
    "variation": "Variation images",
    "category": "Category images",
}


def audit_alt_line(language: str, counts: Mapping[Alt, int], total: int) -> str:
    present = counts.get(Alt.PRESENT, 0)
    share = f"{present / total:.0%}" if total else "–"
    return (
        f"`{escape(language.upper())}` {share} present · {counts.get(Alt.MISSING, 0):,} missing · "
        f"{counts.get(Alt.DEFAULT, 0):,} the name · {counts.get(Alt.TOO_LONG, 0):,} too long"
    )


AUDIT_FINDINGS = {
    Finding.NO_MAIN: ("products with no main image", "product with no main image"),
    Finding.NO_OWN_IMAGE: (
        "variations with an option value but no image of their own",
        "variation with an option value but no image of its own",
    ),
    Finding.MIXED_SHAPES: (
        "products whose images have mixed shapes",
        "product whose images have mixed shapes",
    ),
    Finding.NOT_SQUARE: (
        "images not square, where most of the catalog is",
        "image not square, where most of the catalog is",
    ),
    Finding.SAME_PICTURE: (
        "pictures that are on several products",
        "picture that is on several products",
    ),
}


def audit_not_compared(count: int) -> str:
    what = "image" if count == 1 else "images"
    return f"• {count:,} {what} not compared with the others (Ecwid's small copy could not be read)"


def audit_finding(finding: Finding, count: int) -> str:
    many, one = AUDIT_FINDINGS[finding]
    return f"• {count:,} {one if count == 1 else many}"


def audit_small(count: int, min_side: int) -> str:
    what = "image" if count == 1 else "images"
    return f"• {count:,} {what} under {min_side:,} px on the long side (IMAGE_MIN_SIDE)"


def audit_size_unknown(count: int) -> str:
    what = "image" if count == 1 else "images"
    return (
        f"• {count:,} {what} of unknown size (Ecwid gives none for a variation's image, nor "
        "for some others): not checked for size or shape"
    )


AUDIT_NOT_POSTED = (
    ":warning: The audit could not be posted in this channel: invite the bot to it (`/invite "
    "@Ecwid Image`), or run the audit in a channel it is in."
)
AUDIT_BUSY = (
    ":hourglass_flowing_sand: An audit of this store is running already: its card will follow in "
    "its channel. Run the next one once it is done."
)
AUDIT_NOT_COMPARED = (
    ":warning: The last audit's numbers could not be read this time: no comparison with it."
)


def audit_rows_left_out(listed: int, left_out: int) -> str:
    return (
        f"The CSV lists the first {listed:,} findings; {left_out:,} more are counted above but "
        "not listed. Audit a category or a search to list them all."
    )


AUDIT_CATEGORIES_CUT = "Only the first 10,000 categories were read."
AUDIT_OTHER = "*Other findings*"
AUDIT_NOTHING_ELSE = "*Other findings*: none."


def audit_since(changes: Sequence[Delta]) -> str:
    listed = "; ".join(f"{escape(c.what)}: {c.before} → {c.after}" for c in changes[:12])
    return f":chart_with_upwards_trend: *Since the last audit*: {listed}."


AUDIT_FIRST = ":new: The first audit of this scope: the next one will say what changed since."
AUDIT_SAME = ":chart_with_upwards_trend: *Since the last audit*: nothing changed."
AUDIT_LEGEND = (
    "*missing*: no alt text; in a language other than the store's default, also one equal to "
    "the default language's (what Ecwid answers where a translation is absent). *the name*: the "
    "bare product or category name, which Ecwid shows anyway. *too long*: over 125 characters, "
    "the Ecwid admin's limit."
)
AUDIT_FILES = (
    "The chart and every finding (CSV: product, SKU, slot, image, language) are in the thread."
)
AUDIT_FILES_COMMENT = "The chart of alt text coverage, and every finding as a CSV file."
AUDIT_CHART_FILE = "Alt text coverage"
AUDIT_CSV_FILE = "Image health findings"
AUDIT_FILES_NOT_POSTED = (
    "The audit's chart and list of findings could not be attached in the channel: run the audit "
    "again, or ask for them in a channel the bot can post files in."
)


AUDIT_FIX_ALT_BUTTON = "Fix alt texts…"
ALT_FIX_OVERWRITE = "Overwrite existing alt texts"
ALT_FIX_OVERWRITE_HINT = (
    "Unticked, only the missing alt texts are written, and those that are only the name."
)


def alt_fix_intro(scope: str) -> str:
    return (
        f"Alt texts for the images of {scope}, from a template a language. Fields: `{{name}}`, "
        "`{sku}`, `{category}`, `{option:NAME}` (a variation's value), `{n}` (the image's place), "
        "`{view}` (empty: the store does not say it). A plan with Start comes first; Undo this "
        "job puts every alt text back."
    )


ALT_FIX_NO_LANGUAGES = (
    ":warning: The store's languages could not be read from Ecwid just now, so the fix's form "
    "cannot ask for a template each: press Fix again in a moment."
)
AUDIT_BUTTON_STALE = (
    ":warning: That button no longer reads: run `/ecwid-image audit` again, and use the new card."
)
ALT_SET = "alt text set"  # an alt-text fix's line done, in its report


def square_outcome(reason: str | None) -> str:
    """A square fix's line done, in its report: padded, or found square and left as it is."""
    return "left as it is" if reason == domain_texts.ALREADY_SQUARE else "padded to a square"


AUDIT_FIX_SQUARE_BUTTON = "Pad to square…"
AUDIT_WEEKLY_BUTTON = "Every Monday"
AUDIT_FIX_VARIATIONS_BUTTON = "Fill variation images"
SQUARE_WHITE = "White background"
SQUARE_WHITE_HINT = (
    "A light studio backdrop is made white, from the corners in; the product and its shadow stay."
)
SQUARE_NO_SLOTS = "Choose at least one kind of image."


def square_fix_intro(scope: str) -> str:
    return (
        f"Every image of {scope} that is not square is padded to a square: never cropped, never "
        "enlarged past its long side. The padding takes the colour of the image's border when "
        "the border is one colour, and white otherwise. Alt texts stay. A plan with Start comes "
        "first; Undo this job puts every image back."
    )


# The pages of connecting an Ecwid store (#38): plain text, put into HTML escaped.
CONNECT_PAGE_TITLE = "Ecwid image bot"
CONNECT_CLAIM_TITLE = "Almost there: link the store to Slack"
CONNECT_FAILED_PAGE = (
    "The store could not be stored just now, and nothing was linked. Start again from Slack in a "
    "few minutes."
)


def connect_linked_dm(store_id: int, email: str | None) -> str:
    owner = f" (its owner: {escape(email)})" if email else ""
    return (
        f"Store {store_id}{owner} is now linked to this workspace, connected by you. Not you? "
        "Tell the workspace's admins."
    )


def connect_done_page(store_id: int) -> str:
    return (
        f"Store {store_id} is connected to your Slack workspace. You can close this tab and "
        "go back to Slack."
    )


def connect_claim_page(store_id: int, claim_code: str) -> str:
    return (
        f"Store {store_id} is connected to the bot. To use it from Slack, type this in any "
        f"channel of your workspace within a day: /ecwid-image connect {claim_code} "
        "(the code works once)."
    )


# Many-stores mode's App Home and its connecting (#38).
CONNECT_HOME_TITLE = "Ecwid image bot"
CONNECT_STORE_BUTTON = "Connect an Ecwid store"
CONNECT_NO_STORE = (
    "No Ecwid store is linked to this workspace yet. Press *Connect an Ecwid store*: Ecwid asks "
    "the store's owner to allow the bot, and the store is then linked here."
)
CONNECT_MODAL_TITLE = "Connect a store"
CONNECT_MODAL_BUTTON = "Open Ecwid"
CONNECT_MODAL_CLOSE = "Close"
CONNECT_MODAL_TEXT = (
    "This link is yours, works once and for 10 minutes. It opens Ecwid, where the store's owner "
    "allows the bot; the store is then linked to this workspace."
)
DEFAULT_STORE_LABEL = "Default store"
DEFAULT_STORE_HINT = "Commands without store=ID go to the default store."
CONNECT_COMMANDS_HINT = (
    "Type /ecwid-image in a channel to change a product's images (/ecwid-image help says how). "
    "With several stores, the bot works on the Default store: choose it here."
)
CONNECT_CLAIM_USAGE = "Type /ecwid-image connect CODE, with the code the Ecwid page showed."
CONNECT_CLAIM_WRONG = (
    "That code is wrong, used already or more than a day old. Install the app from Ecwid's App "
    "Market again for a new one, or press Connect an Ecwid store in the bot's Home tab."
)
NO_STORE_LINKED = (
    ":electric_plug: No Ecwid store is connected to this workspace yet: a workspace admin "
    "connects one from the bot's Home tab (*Connect an Ecwid store*), then try again."
)


def store_not_served(store_id: int, served: int) -> str:
    return (
        f":electric_plug: This bot serves store {served}, not store {store_id}: leave out `store=`."
    )


def store_not_linked(store_id: int) -> str:
    return (
        f":electric_plug: Store {store_id} is not one this workspace can work on: leave out "
        "`store=` for the workspace's default store, or connect that store from the bot's "
        "Home tab."
    )


MANY_STORES_FAILED = (
    ":x: Something went wrong on the bot's side, so what you asked for may not have been done: "
    "try again in a minute. If it keeps happening, tell whoever runs the bot; the log has the "
    "details."
)
CONNECT_START_FAILED = "The bot could not make a link just now: press the button again in a minute."


def connect_store_line(store_id: int, is_default: bool) -> str:
    return f"• Store *{store_id}*" + (" (default)" if is_default else "")


def connect_claimed(store_id: int) -> str:
    return f"Store {store_id} is linked to this workspace."


def default_store_chosen(store_id: int) -> str:
    return f"Store {store_id} is now this workspace's default store."


MANY_STORES_CHECK = (
    "Many-stores mode: each workspace's token is checked when it installs the app, and each "
    "store's when it connects; nothing to check here."
)
CONNECT_ADMINS_ONLY = (
    "Only the workspace's admins and the person who installed the app can link stores or "
    "choose the default one."
)
FOREIGN_WORKSPACE = (
    "The bot works for the people of the workspace it is installed in: ask someone there, or "
    "install it in your own workspace."
)
SLACK_REINSTALL = (
    "The bot's access to this workspace no longer works (the app was removed, or its token "
    "revoked). Ask a workspace admin to reinstall the app, then try again."
)


# ---- many-stores mode: each workspace's settings (#38) -------------------------------------

SETTINGS_TITLE = "Settings"
SETTINGS_BUTTON = "Edit settings"
SETTINGS_SAVE = "Save"
STORE_NAMING_MENU = "Naming rules of a store…"
SETTINGS_USERS_LABEL = "People who may use the bot"
SETTINGS_USERS_HINT = "Leave both lists empty to let everyone in the workspace use the bot."
SETTINGS_GROUPS_LABEL = "User groups who may use the bot (their ids, e.g. S0123ABCD)"
SETTINGS_GROUPS_HINT = (
    "A group's id is in its profile's menu: Copy group ID. Reading groups needs the "
    "usergroups:read scope."
)
SETTINGS_CHANNELS_LABEL = "Channels the bot may be used and report in"
SETTINGS_CHANNELS_HINT = "Leave empty for every channel."
SETTINGS_WATCH_LABEL = "Drop-zone channels"
SETTINGS_WATCH_HINT = (
    "Photos dropped in these channels become a plan for the default store. Invite the bot to "
    "each one (/invite @ecwid-image)."
)
SETTINGS_PATTERN_LABEL = "File name pattern"
SETTINGS_PATTERN_HINT = (
    "Optional: a regular expression with a group (?P<sku>…), and perhaps (?P<n>…) or "
    "(?P<view>…), tried before the usual names."
)
SETTINGS_VIEWS_LABEL = "Views a file name may say"
SETTINGS_VIEWS_HINT = "Comma-separated words in gallery order; empty for front,back,side,…"
STORE_NAMING_HINT = "Leave both empty to use the workspace's naming rules."
SETTINGS_EDITORS_ONLY = (
    "Only the workspace's admins and the person who installed the app can change the settings."
)
SETTINGS_STORE_GONE = "That store is no longer linked to this workspace."
SETTINGS_NOT_SAVED = "The settings could not be saved just now: try again in a minute."


def _listed(ids: frozenset[str], mention: str, none: str) -> str:
    return ", ".join(mention.format(escape(i)) for i in sorted(ids)) if ids else none


def settings_summary(
    users: frozenset[str],
    usergroups: frozenset[str],
    channels: frozenset[str],
    watch: frozenset[str],
    naming: str,
) -> str:
    """The Home's settings, as everyone in the workspace may see them."""
    people = (
        "everyone in the workspace"
        if not users and not usergroups
        else ", ".join(
            filter(
                None,
                (_listed(users, "<@{}>", ""), _listed(usergroups, "<!subteam^{}>", "")),
            )
        )
    )
    return (
        f"*Who may use the bot:* {people}\n"
        f"*Where:* {_listed(channels, '<#{}>', 'every channel')}\n"
        f"*Drop zone:* {_listed(watch, '<#{}>', 'off')}\n"
        f"*Naming rules:* {naming}"
    )


def naming_summary(pattern: str, views: tuple[str, ...]) -> str:
    said = f"pattern {code(pattern)}, " if pattern else ""
    return f"{said}views {escape(', '.join(views))}"


NAMING_USUAL = "the usual names (SKU.jpg, SKU_2.jpg, SKU-front.jpg…)"


def store_naming_title(store_id: int) -> str:
    return f"Names for store {store_id}"[:24]  # a modal's title is at most 24 characters


def store_naming_line(store_id: int, naming: str) -> str:
    return f"• Store *{store_id}* names files by {naming}"


def store_label(store_id: int) -> str:
    """The line each message of many-stores mode ends with: the store it is about."""
    return f"_Ecwid store {store_id}_"


FIELD_STORE_LABEL = "Ecwid store"


def store_option(store_id: int) -> str:
    return f"Store {store_id}"


SURFACE_STORE_UNKNOWN = (
    ":electric_plug: I do not know which of this workspace's Ecwid stores this message or form "
    "is about, so nothing was changed. Run the command again (with store=ID for a store other "
    "than the default)."
)


def surface_store_gone(store_id: int) -> str:
    return (
        f":electric_plug: This message or form is about Ecwid store {store_id}, which is no "
        "longer linked to this workspace, so nothing was changed."
    )


MODAL_NOT_SHOWN = "Slack did not show the form just now: press the button again in the Home tab."


def settings_groups_unknown(groups: list[str]) -> str:
    """Plain text (a form's field error)."""
    return (
        f"This workspace has no user group {', '.join(groups)}: copy each id from the group's "
        "menu (Copy group ID)."
    )
