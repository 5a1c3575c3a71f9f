"""The sentences the layers under Slack (bot.changes, bot.flows) put in their errors, outcomes
and a line's reason: what a person reads when a change could not be made as asked. They are
plain text; bot.slack.texts shows them (it escapes what came from outside, and holds every
other text the bot shows in Slack). No module of bot.flows or bot.changes writes a sentence of
its own (tests/unit/test_layers.py)."""

from __future__ import annotations

CHECK_RESTARTED = "The bot restarted while checking the lines: send them again in a minute."
NOT_A_NAME = (
    "The name says no product: SKU.jpg (the main image), SKU_2.jpg, SKU-2.jpg, SKU (2).jpg, "
    "SKU-front.jpg or SKU.PT01.jpg (the gallery), with .jpg, .png, .gif, .heic, .webp, .avif, "
    ".tif or .bmp; or a caption sku:… in the message."
)
UNDO_CHECK_RESTARTED = (
    "The bot restarted while checking what to put back: press Undo this job again in a minute."
)
UNEXPECTED_SEE_LOG = (
    "Something went wrong on the bot's side: tell whoever runs the bot; the log has the details."
)
JOB_NOT_SAVED = "The job could not be saved in the bot's database; try again."
NOTHING_TO_UPLOAD = "Nothing to upload."
NOT_LOOKED_UP = "The product was not looked up."
OTHER_STORE = (
    "This line was planned for another Ecwid store than the bot's (ECWID_STORE_ID changed "
    "since): it was not sent."
)
FOUND_AFTER_RESTART = (
    "The bot restarted during this line's upload; the image was found on the product, so it was"
    " not sent again."
)
LINE_UNREADABLE = "The line could not be read back."
UNEXPECTED = "Something went wrong on the bot's side."
CHANGE_NOT_IN_HISTORY = "The change is no longer in the history."
UNDO_NOT_CHECKED = (
    "The bot's database could not be read to check what to put back: press Undo this job again "
    "in a minute."
)
NO_RECORD = (
    "No copy of the image from before this line was kept (the bot restarted during its upload),"
    " so it cannot be put back."
)
NOT_KEPT = (
    "The image from before this line could not be read before the upload, so no copy was kept "
    "and it cannot be put back."
)
STALE_CARD = (
    "The gallery changed since this card was drawn: nothing was changed. Here it is as it is now."
)
NO_PRODUCT_NAMED = (
    "That message names no product of the store: it needs the product's id or its SKU (e.g. "
    "`sku:RS-1`). `/ecwid-image gallery PRODUCT` works too."
)
NO_LINK_TO_COPY = "Ecwid shows no link for that image, so it cannot be copied."
ALREADY_MAIN = "That image is the main image already: nothing was changed."
ALREADY_FIRST = "That image is first already: nothing was changed."
ALREADY_LAST = "That image is last already: nothing was changed."
HISTORY_STORE_AWAY = (
    "The bot's database could not be reached, so the history cannot be shown. Try again in a "
    "minute."
)
COPY_GONE = (
    "The copy of the image from before this change is no longer kept (the bot keeps them for "
    "HISTORY_DAYS days and up to HISTORY_MAX_MB in all, and drops the oldest first), so it "
    "cannot be put back. Nothing was changed."
)
NO_COPY_KEPT = (
    "The bot restarted during this line's upload, before it could keep a copy of the image it "
    "replaced, so it cannot be put back. Nothing was changed."
)
FOUND_BACK_AFTER_RESTART = (
    "The bot restarted while putting this image back; the previous image was found on the "
    "product, so it was not sent again."
)
CHANGED_SINCE = (
    "The image has changed since this upload (someone uploaded again or edited it): undo would "
    "overwrite the newer change, so nothing was changed."
)
UNTOLD = (
    "The bot kept no record of what this change put there, so it cannot tell whether the image "
    "has changed since: undo could overwrite a newer change, so nothing was changed."
)
LINK_GONE = (
    "The image this change sent can no longer be fetched from its link, so the bot cannot tell "
    "whether the product still shows it; nothing was changed."
)
ALREADY_UNDONE = "Already undone, by a press of its own Undo."
UNREADABLE = (
    "The image the product shows now could not be read to compare it with this upload, so "
    "nothing was changed. Try again in a minute."
)
UNDO_STORE_AWAY = (
    "The bot's database could not be reached to check that nobody undid this already; nothing "
    "was changed. Try again in a minute."
)
BEFORE_ALREADY = "It shows the image from before this job already."
CHANGED_SINCE_JOB = (
    "The image has changed since this job (another upload, or an edit in Ecwid): it was left as"
    " it is."
)
EDIT_GONE = "That change is no longer in the bot's history: nothing was changed."
REORDERED_SINCE = (
    "The gallery has changed since it was reordered: putting the old order back would undo the "
    "newer change too, so nothing was changed."
)
MAIN_AGAIN = (
    "The product has a main image again: putting the deleted one back would replace it, so "
    "nothing was changed."
)
GONE_FROM_GALLERY = "That image is no longer in the gallery: nothing was changed."
CATEGORY_NO_GALLERY_TO = "A category has one image, not a gallery: leave out `to=gallery`."
VARIATION_NO_GALLERY = (
    "A variation has one image of its own, not a gallery: leave out `to=gallery`, or give the "
    "product itself."
)
NOT_IN_GALLERY = "That image is no longer in the gallery: nothing to remove."
PUT_BACK_NOT_FOUND = "Ecwid does not show the image put back in the gallery yet."
NO_LINK = (
    "Ecwid shows no link for that image, so the bot cannot tell it from the others: set its alt"
    " text in the Ecwid admin."
)
ORDER_DIFFERS = "Ecwid shows the gallery in another order than before"
CANNOT_TELL = (
    "The bot restarted during this line's upload and could not tell whether Ecwid has the image"
    " already, so it was not sent again (sending it could make it appear twice). Check the "
    "product, and send this line again if the image is missing."
)
NOT_FOUND_IN_GALLERY = (
    "Ecwid does not show the new image in the gallery yet, so its alt text was not set: set it "
    "in the Ecwid admin."
)
SIZE_UNKNOWN = "The image's size is unknown."
NO_ID_RETURNED = "Ecwid returned no id for the new image"


def no_sku(sku: str) -> str:
    return f"No product has SKU {sku}."


def csv_too_slow(seconds: float) -> str:
    return f"The CSV file could not be read within {seconds:g} s: send a smaller one."


def alt_not_set(why: str) -> str:
    return f"Uploaded, but the alt text was not set: {why}"


def relayed_not_taken(why: str) -> str:
    """A variation given another's link at Ecwid that did not take it, nor then its bytes."""
    return f"Ecwid did not take the image by its link, nor then as a file: {why}"


def already_on_product(where: str) -> str:
    return f"Already on the product, {where}."


def same_as_line(number: int) -> str:
    return f"The same photo as line {number}."


def category_has_no_gallery(category_id: int) -> str:
    return (
        "A category has one image, not a gallery: replace it with "
        f"`/ecwid-image category:{category_id} IMAGE_URL`."
    )


def undo_failed(error_name: str) -> str:
    return f"Undo failed ({error_name})."


def put_back_but(warning: str) -> str:
    return f"Put back, but {warning}"


def no_such_variation(product_id: int, variation_id: int) -> str:
    return f"Product {product_id} has no variation with id {variation_id}."


# ---- images by option value (#36) -------------------------------------------------------


def as_code(text: str) -> str:
    """Ecwid's or a person's words inside one of these sentences, as inline code in Slack: one
    line, its backticks made look-alikes so that the span cannot end early (bot.slack.texts
    escapes the sentence as a whole)."""
    flat = " ".join(text.split()).replace("`", "\u02cb")[:100]
    return f"`{flat}`" if flat else "(none)"


def option_unmatched(product: str, option: str | None, said: str, values: list[str]) -> str:
    which = f"{as_code(option)} " if option else ""
    listed = ", ".join(as_code(v) for v in values) or "none"
    return f"{as_code(product)} has no {which}value {as_code(said)}. Its values: {listed}."


def option_alike(said: str, values: list[str]) -> str:
    listed = " or ".join(as_code(v) for v in values)
    return f"{as_code(said)} could be {listed}: give the exact value, or name its option."


def read_as(said: str, value: str) -> str:
    """e.g. "`blk` read as `Black`": a value found in another language, or a slip of the keys."""
    return f"{as_code(said)} read as {as_code(value)}"


def no_variation_with(product: str, pairs: list[str]) -> str:
    return f"No variation of {as_code(product)} has {' and '.join(as_code(p) for p in pairs)}."


OPTION_ON_VARIATION = (
    "That SKU is one variation's: give the product itself (its id or its own SKU) with `option:`."
)


AUDIT_CHART_TITLE = "Images with an alt text, by language"


def audit_nothing(scope: str) -> str:
    """An audit that found no product and no category: nothing is kept as a baseline."""
    return (
        f"Nothing to audit in {as_code(scope)}: no product or category was found. Check the "
        "category's id or the search words."
    )


NO_ALT_TO_FIX = (
    "No alt text to write: every image in this scope has its own in every language (tick "
    "\u201cOverwrite existing alt texts\u201d to write them all again)."
)


def fix_too_many(lines: int) -> str:
    return (
        f"This fix would change more than {lines:,} images: fix a category or a search at a time "
        "(`/ecwid-image audit category:ID`, then its Fix button)."
    )


GONE = "The image is no longer there: its alt texts were not put back."

CHANGED_SINCE_PLAN = (
    "The image is not the one the plan saw (replaced or removed since): its alt texts were not "
    "changed."
)
ALT_CHANGED_SINCE = (
    "Its alt texts have changed since the job (someone wrote them again): they were not put back."
)


# ---- the audit's square fix (#37) ------------------------------------------------------------

SQUARE_CHANGED_SINCE_PLAN = (
    "The image is not the one the plan saw (replaced or removed since): it was not padded."
)
SQUARE_FOUND_CHANGED = (
    "The bot restarted during this line; the slot no longer shows the image the plan saw (it may"
    " have been padded before the restart), so nothing was sent again. Check the product."
)
ALREADY_SQUARE = "Square already: left as it is."
NOTHING_CHANGED = "This line changed nothing: there is nothing to put back."
SQUARE_NOT_SHOWN = (
    "Ecwid does not show the padded image in the gallery after the upload: the old image was "
    "left in place. Check the product."
)
SQUARE_OLD_STAYS = (
    "Ecwid still shows the old image next to the padded one: remove one of them in the Ecwid admin."
)
SQUARE_SAME_AFTER = "Ecwid still shows the old image after the upload: check the product."
NO_SQUARE_TO_FIX = "Nothing to pad: every image in this scope with a known size is square already."


def swap_unfinished(problem: str) -> str:
    """A gallery image put in another's place whose order or alt text could not be set."""
    return f"The image is in the gallery, but its place or alt text could not be set: {problem}"


WEEKLY_NOT_SAVED = (
    "The weekly audit could not be saved in the bot's database: try again in a minute."
)
SQUARE_NO_ROOM = (
    "Not padded: the copy of this image that Undo needs does not fit in the bot's history "
    "(HISTORY_MAX_MB). Raise it, or pad fewer images at a time."
)
SWAP_GONE = (
    "Neither the padded image nor the original is in the gallery any more: nothing was put back."
)
AUDIT_INTERRUPTED = (
    "The bot restarted while reading the catalog: run the audit again in a minute (a weekly "
    "audit comes again next week)."
)
NO_VARIATION_TO_FILL = (
    "No variation to fill: each variation without an image of its own has no value whose "
    "variations all show one image (e.g. every Red one the same photo) to offer it."
)
SQUARE_NOT_KEPT = (
    "Not padded: the copy of this image that Undo needs could not be kept (the bot's database did "
    "not answer). Run the fix again in a minute."
)
SQUARE_PLACE_UNKNOWN = (
    "Padded before the bot restarted; its place in the gallery may not be the old one's."
)
SQUARE_STORE_AWAY = (
    "The bot restarted during this line and its database did not answer to check it: nothing was"
    " sent again. Check the product, and run the fix again for it if it is not square."
)


# Connecting an Ecwid store (#38): the pages a browser is shown on its way back from Ecwid.
CONNECT_EXPIRED = (
    "This link has been used already, or is more than 10 minutes old. Nothing was stored. "
    "In Slack, press Connect an Ecwid store in the bot's Home tab for a new one."
)
CONNECT_DENIED = (
    "The store was not connected: access was not given in Ecwid. Start again from Slack when "
    "you are ready."
)
CONNECT_NO_CODE = "The store was not connected: Ecwid sent no code back. Nothing was stored."
CONNECT_CODE_USED = (
    "This page was opened before: the store was connected then, or not, as it said. Nothing "
    "more was done. To connect a store again, start from Slack."
)
OAUTH_NO_ANSWER = (
    "Ecwid did not answer in time, and nothing was stored. Start again from Slack: press "
    "Connect an Ecwid store in the bot's Home tab."
)
OAUTH_TOO_LARGE = "Ecwid's answer was too large to read. Nothing was stored."
OAUTH_REFUSED = (
    "Ecwid did not accept this link (it may be used already, or too old). Nothing was stored. "
    "Start again from Slack."
)
OAUTH_NO_STORE = "Ecwid's answer did not name a store. Nothing was stored."


def oauth_missing_scopes(missing: list[str]) -> str:
    return f"The store did not grant {', '.join(missing)}, which the bot needs. Nothing was stored."
