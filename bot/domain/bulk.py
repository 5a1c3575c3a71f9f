"""A bulk job's input, line by line: typed lines, a CSV file, or image files named by SKU.

Each line becomes an upload request or a problem to show in the plan; nothing here looks
anything up. The report CSV is written here too.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from bot.domain.alt_text import alt_cleaned_note, clean_alt_text
from bot.domain.errors import UserFacingError
from bot.domain.grammar import (
    STORE_IN_A_LINE,
    BulkCommand,
    HelpCommand,
    check_option_request,
    option_column,
    option_in_text,
    parse_command,
    request_from_fields,
    store_asked,
)
from bot.domain.requests import ProductSku, SharedFile, UploadRequest, ValidationError
from bot.domain.texts import as_code

MAX_LINES = 5_000
# A CSV is bounded while it is read, before rows are kept: rows read in all (blank ones too) and
# fields a physical line may have. (Its bytes are bounded by the download: 20 MB.)
MAX_ROWS_READ = 50_000
MAX_FIELDS = 200
MAX_LINE_TEXT = 300  # characters of a line kept for the plan and the report
DEADLINE_EVERY = 64  # physical lines read between two looks at the parse's deadline
REQUIRED_COLUMNS = ("product", "image_url")
OPTIONAL_COLUMNS = ("width", "height", "alt", "to", "external-id", "option")
_FILE_NAME = re.compile(
    r"^(?P<stem>.+?)\.(?:jpe?g|png|gif|hei[cf]|webp|avif|tiff?|bmp)$", re.IGNORECASE
)
_NUMBERED = re.compile(r"(?P<sku>.+?)(?:[_#-]|\s*\()(?P<n>[0-9]{1,3})\)?")
_VIEWED = re.compile(r"(?P<sku>.+)[_-](?P<view>[A-Za-z]+)")
_AMAZON = re.compile(r"(?P<sku>.+)\.(?:MAIN|PT(?P<n>[0-9]{2}))", re.IGNORECASE)
DEFAULT_VIEWS = ("front", "back", "side", "detail")
VIEW_PLACES = 1000  # views come after numbered gallery images, in FILENAME_VIEWS order
MAX_STEM = 200  # a name is bounded before any pattern sees it
PATTERN_SECONDS = 0.05  # FILENAME_PATTERN's time limit, a name


class BulkInputError(UserFacingError):
    """The input as a whole cannot become a job (too many lines, an unreadable CSV…)."""


class ParseDeadline(Exception):
    """The CSV's parse ran past its time limit, and stopped there."""


@dataclass(frozen=True)
class BulkLine:
    """One line as it was sent, and what it asks for (or why it cannot be done)."""

    number: int
    text: str
    request: UploadRequest | None = None
    problem: UserFacingError | None = None
    reading: str | None = None  # how its file's name was read, when it could be read two ways
    cleaned: str | None = None  # what was removed from its alt text (a CSV's), said in the plan
    # Option values (a CSV's `option` column, a caption's `option:`): the request goes to every
    # variation of its product that has them (bot.flows.option_lines.expand_options).
    options: tuple[tuple[str, str], ...] = ()
    # A variation's line whose variation shows an image of its own now: the plan counts them.
    replaces: bool = False


# A ready line's note on its photo (an upgrade, one picture for several products): it still runs.
PHOTO_NOTE = "note:"
READ_AS = "read as"  # a reading note starts so (bot.slack.views tells it from a case note)
# A caption's files after the first, when it names option values.
ONE_IMAGE_A_VARIATION = f"{READ_AS} the gallery: a variation holds one image, the first file's"


def reading_note(sku: str, target: str, place: int, how: str) -> str:
    """e.g. "read as SKU ABC, the gallery (SKU_2.jpg)"."""
    where = "the main image" if target == "main" else "the gallery"
    return f"{READ_AS} SKU {sku}, {where} ({how})"


def value_note(sku: str, value: str, target: str, how: str) -> str:
    """e.g. "read as SKU SHIRT, every `Red` variation (SKU-red.jpg)"; with a place, "read as
    SKU SHIRT, the gallery: a variation holds one image (SKU_Red_2.jpg)"."""
    if target == "gallery":
        said = as_code(value)
        return f"{READ_AS} SKU {sku}, the gallery: a {said} variation holds one image ({how})"
    return f"{READ_AS} SKU {sku}, every {as_code(value)} variation ({how})"


def _shown(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_LINE_TEXT else flat[: MAX_LINE_TEXT - 1] + "…"


def too_many(count: int | None = None) -> BulkInputError:
    said = f"{count:,}" if count is not None else f"more than {MAX_LINES:,}"
    return BulkInputError(
        f"That is {said} lines; a bulk job takes at most {MAX_LINES:,}. Split it into several jobs."
    )


def _bounded(text: str, delimiter: str, deadline: float | None) -> Iterator[str]:
    """The text's physical lines for the CSV reader, refused past the budgets before the
    reader makes a row of them (a line of a million commas would be a million fields), and
    stopped at the deadline (`time.monotonic()`): every row is made of lines read here, so
    the parse ends by itself, in its own thread, soon after its time is up."""
    for number, line in enumerate(io.StringIO(text, newline=""), 1):
        if deadline is not None and number % DEADLINE_EVERY == 0 and time.monotonic() > deadline:
            raise ParseDeadline
        if number > MAX_ROWS_READ:
            raise too_many()
        if line.count(delimiter) >= MAX_FIELDS:
            raise BulkInputError(
                f"Line {number:,} of the CSV file has more than {MAX_FIELDS} fields: it is not "
                "a list of images."
            )
        yield line


def parse_lines(text: str) -> list[BulkLine]:
    """The form's lines, each in the command's grammar; blank lines and `#` comments skipped."""
    found: list[BulkLine] = []
    numbered = [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.strip().startswith("#")
    ]
    if len(numbered) > MAX_LINES:
        raise too_many(len(numbered))
    for number, line in numbered:
        found.append(_parse_line(number, line))
    return found


def _parse_line(number: int, line: str) -> BulkLine:
    try:
        if store_asked(line) is not None:  # the command takes it; a line would lose it
            raise ValidationError(STORE_IN_A_LINE)
        parsed = parse_command(line)
    except ValidationError as refused:
        return BulkLine(number, _shown(line), problem=refused)
    if isinstance(parsed, UploadRequest):
        return BulkLine(number, _shown(line), request=parsed)
    if isinstance(parsed, HelpCommand | BulkCommand):
        problem = ValidationError("That is not an upload: give the product and the image link.")
    else:
        problem = ValidationError(
            "Incomplete: each line needs the product and the image link, e.g. "
            "`123 https://cdn.example.com/shoe.jpg`."
        )
    return BulkLine(number, _shown(line), problem=problem)


def parse_csv(data: bytes, seconds: float | None = None) -> list[BulkLine]:
    """A CSV file: UTF-8 (with or without BOM), comma or semicolon separated, a header row
    naming `product` and `image_url` (and optionally width, height, alt, alt.LANG, to), in any
    case and order. Line numbers are the file's own (the header is line 1). With `seconds`,
    ParseDeadline once the parse has taken longer (checked every few lines)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkInputError(
            "The CSV file is not UTF-8 text: save it as “CSV UTF-8” and send it again."
        ) from exc
    end = text.find("\n")
    first = text if end < 0 else text[:end]  # not split: that would copy the whole rest
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(_bounded(text, delimiter, deadline), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BulkInputError("The CSV file is empty.") from None
    except csv.Error as exc:
        raise BulkInputError("The CSV file could not be read as CSV.") from exc
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        raise BulkInputError(
            f"The CSV file has no {names} column: its first line must name the columns, e.g. "
            "`product,image_url,alt`."
        )
    unknown = [
        name
        for name in columns
        if name
        and name not in REQUIRED_COLUMNS
        and name not in OPTIONAL_COLUMNS
        and not name.startswith("alt.")
    ]
    if unknown:
        raise BulkInputError(
            f"The CSV file has a column `{unknown[0]}` the bot does not know: the columns are "
            "product, image_url, width, height, alt, alt.LANG, to, external-id and option."
        )
    found: list[BulkLine] = []
    try:
        for row in reader:  # counted as it streams: no more than MAX_LINES rows are kept
            if not any(cell.strip() for cell in row):
                continue
            if len(found) == MAX_LINES:
                raise too_many()
            found.append(_parse_row(reader.line_num, columns, row, delimiter))
    except csv.Error as exc:
        raise BulkInputError(f"The CSV file could not be read as CSV ({exc}).") from exc
    return found


def _parse_row(number: int, columns: Sequence[str], row: Sequence[str], delimiter: str) -> BulkLine:
    shown = _shown(delimiter.join(row))
    if len(row) > len(columns):
        return BulkLine(
            number,
            shown,
            problem=ValidationError(
                f"The line has {len(row)} fields but the header names {len(columns)}."
            ),
        )
    cells = dict(zip(columns, row, strict=False))
    options: list[tuple[str, str]] = []
    removed: tuple[str, ...] = ()
    for name, value in cells.items():
        if name == "alt" or name.startswith("alt."):
            # A file is not typed in front of the bot: what alt text never carries is removed
            # and said in the plan, rather than the line refused.
            cleaned = clean_alt_text(value)
            options.append((name, cleaned.text))
            removed += cleaned.removed
        elif name in ("to", "external-id"):
            options.append((name, value))
    try:
        request = request_from_fields(
            cells.get("product", ""),
            cells.get("image_url", ""),
            cells.get("width", ""),
            cells.get("height", ""),
            options,
        )
        pairs: tuple[tuple[str, str], ...] = ()
        if cells.get("option", "").strip():
            pairs = option_column(cells["option"])
            check_option_request(request)
    except ValidationError as problem:
        return BulkLine(number, shown, problem=problem)
    note = alt_cleaned_note(removed) if removed else None
    return BulkLine(number, shown, request=request, cleaned=note, options=pairs)


@dataclass(frozen=True)
class Reading:
    """One way to read a file's name: the SKU, the slot (`main`, `gallery`, or `option`: every
    variation with the value), the place in the product's gallery (numbers first, then views),
    and which convention it follows; and an option value it names (with its option's name,
    when the name says it), which holds only if the product has that value."""

    sku: str
    target: str
    place: int
    how: str
    option: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class NamingRules:
    """How file names say where an image goes. `pattern` is a store's own FILENAME_PATTERN
    (a `regex` pattern with a group `sku`, and optionally `n` or `view`), tried first."""

    views: tuple[str, ...] = DEFAULT_VIEWS
    pattern: Any = None
    timeout: float = PATTERN_SECONDS


@dataclass(frozen=True)
class NamedFile:
    """An image file and the readings of its name, most likely first; which holds is for the
    look-up to say (a SKU that exists wins)."""

    number: int
    file: SharedFile
    readings: tuple[Reading, ...]


def read_name(stem: str, rules: NamingRules) -> list[Reading]:
    """Every reading of a name without its extension (`RS-1~7` for `RS-1~7.png`):
    FILENAME_PATTERN; `SKU` (main); Amazon's `SKU.MAIN` / `SKU.PT01`; `SKU_2`, `SKU-2`,
    `SKU (2)`, `SKU#2` (gallery, by number); `SKU-front`, `SKU_back` (gallery, by view)."""
    stem = stem[:MAX_STEM]
    found: list[Reading] = []
    if rules.pattern is not None:
        try:
            # `concurrent`: the GIL is let go while it matches (bot.flows.bulk_plan reads the
            # names in a thread: a store's pattern is a workspace admin's, not the operator's).
            match = rules.pattern.fullmatch(stem, timeout=rules.timeout, concurrent=True)
        except TimeoutError:
            match = None
        if match is not None and match.groupdict().get("sku"):
            groups = match.groupdict()
            view = (groups.get("view") or "").lower()
            value = _value_words(groups.get("option") or "") or None
            option = groups.get("option_name") or None
            target = "main" if value is None else "option"
            if groups.get("n"):
                place, target = int(groups["n"]), "gallery"
            elif view in rules.views:
                place, target = VIEW_PLACES + rules.views.index(view), "gallery"
            else:
                place = 0
            found.append(Reading(groups["sku"], target, place, "FILENAME_PATTERN", option, value))
    found.append(Reading(stem, "main", 0, "SKU.jpg"))
    if amazon := _AMAZON.fullmatch(stem):
        if amazon["n"] is None:
            found.append(Reading(amazon["sku"], "main", 0, "SKU.MAIN.jpg"))
        else:
            found.append(Reading(amazon["sku"], "gallery", int(amazon["n"]) + 1, "SKU.PT01.jpg"))
    if (numbered := _NUMBERED.fullmatch(stem)) and int(numbered["n"]) >= 2:
        # SKU_1 is no gallery place: SKU.jpg is the first image
        found.append(Reading(numbered["sku"], "gallery", int(numbered["n"]), "SKU_2.jpg"))
    if (viewed := _VIEWED.fullmatch(stem)) and viewed["view"].lower() in rules.views:
        place = VIEW_PLACES + rules.views.index(viewed["view"].lower())
        found.append(Reading(viewed["sku"], "gallery", place, "SKU-front.jpg"))
    found += _value_readings(stem, rules)
    return [r for r in found if r.sku.strip()]


MAX_VALUE_WORDS = 3  # "dark-red", "navy-blue-melange": a value's words in a file name
_SEPARATOR = re.compile(r"([-_])")


def _value_words(text: str) -> str:
    """A value as a file name writes it: `dark-red` is "dark red"."""
    return " ".join(_SEPARATOR.sub(" ", text).split())


def _value_readings(stem: str, rules: NamingRules) -> list[Reading]:
    """`SKU-red` and `SKU_Red` (every Red variation), `SKU-color-red` (the option named; a
    number needs it: `SKU-size-38`, since `SKU-38` is a gallery place); with a place or a view
    after the value (`SKU_Red_2`, `SKU-red-front`), the gallery: a variation holds one image.
    Shorter values first, and for one value the option named first."""
    parts = _SEPARATOR.split(stem)
    words, separators = parts[0::2], parts[1::2]
    last = words[-1].lower()
    place = None
    if last.isdigit() and len(last) <= 3:
        place = int(last)
    elif last in rules.views:
        place = VIEW_PLACES + rules.views.index(last)
    found = _values(words, separators, len(words), None, numbers=place is not None)
    if place is not None:
        found += _values(words, separators, len(words) - 1, place, numbers=False)
    return found


def _values(
    words: list[str], separators: list[str], body: int, place: int | None, *, numbers: bool
) -> list[Reading]:
    """The readings of `words[:body]` as a SKU, perhaps an option's name, and a value; with
    `numbers`, only values that are numbers (after the option's name)."""
    found: list[Reading] = []
    for size in range(1, MAX_VALUE_WORDS + 1):
        for named in (True, False):
            in_sku = body - size - named
            if in_sku < 1:
                continue
            value = " ".join(words[body - size : body])
            number = not any(char.isalpha() for char in value)
            if (numbers and not (named and number)) or (number and not named):
                continue  # a bare number is a gallery place; a named one, a value
            if named and not any(char.isalpha() for char in words[in_sku]):
                continue  # an option's name has letters: `SKU-7_2` names no option "7"
            sku = "".join(w + s for w, s in zip(words[:in_sku], separators, strict=False))
            sku = sku[: len(sku) - len(separators[in_sku - 1])]
            option = words[in_sku] if named else None
            if place is None:
                how = "SKU-color-red.jpg" if named else "SKU-red.jpg"
                found.append(Reading(sku, "option", 0, how, option, value))
            else:
                how = "SKU_Red_2.jpg" if place < VIEW_PLACES else "SKU-red-front.jpg"
                found.append(Reading(sku, "gallery", place, how, option, value))
    return found


def name_files(files: Iterable[SharedFile], rules: NamingRules | None = None) -> list[NamedFile]:
    rules = rules or NamingRules()
    named: list[NamedFile] = []
    for number, file in enumerate(files, 1):
        match = _FILE_NAME.match(file.name.strip())
        if not match:
            named.append(NamedFile(number, file, ()))
            continue
        named.append(NamedFile(number, file, tuple(read_name(match["stem"].strip(), rules))))
    if len(named) > MAX_LINES:
        raise too_many(len(named))
    return named


def compile_pattern(text: str) -> Any:
    """A store's FILENAME_PATTERN, checked: it compiles, and names a group `sku` (and at most
    `n` or `view` besides, and `option` with perhaps `option_name`). ValueError says what is
    wrong."""
    try:
        pattern = regex.compile(text)
    except regex.error as exc:
        raise ValueError(f"it is not a regular expression ({exc})") from None
    groups = set(pattern.groupindex)
    if "sku" not in groups:
        raise ValueError("it needs a named group `sku`, e.g. (?P<sku>[A-Z0-9-]+)")
    if groups - {"sku", "n", "view", "option", "option_name"}:
        raise ValueError("its named groups may only be sku, n, view, option and option_name")
    if "option_name" in groups and "option" not in groups:
        raise ValueError("a group `option_name` needs a group `option` (the value)")
    if "n" in groups and "view" in groups:
        raise ValueError("give it a group `n` or a group `view`, not both")
    return pattern


@dataclass(frozen=True)
class Caption:
    """What a drop's message text says of its files: the product they all go on (the first as
    the main image, the rest in the gallery), or all in the gallery with `to=gallery`; with
    `option:Color=Red`, the first goes to every Red variation instead of the main image."""

    product: ProductSku
    all_gallery: bool = False
    options: tuple[tuple[str, str], ...] = ()
    problem: ValidationError | None = None  # its `option:` could not be read


_CAPTION_SKU = re.compile(r"(?:^|\s)sku:(\S+)", re.IGNORECASE)
_TO_GALLERY = re.compile(r"(?:^|\s)to=gallery(?:\s|$)", re.IGNORECASE)


def read_caption(text: str) -> Caption | None:
    """`sku:RS-1` in a message's text (the first one), `to=gallery`, and `option:Color=Red`."""
    match = _CAPTION_SKU.search(text[:4000])
    if match is None:
        return None
    sku = match.group(1).strip(".,;:!?()[]\"'")
    if not sku:
        return None
    gallery = bool(_TO_GALLERY.search(text[:4000]))
    try:
        options = option_in_text(text) or ()
    except ValidationError as problem:  # each file's line says it
        return Caption(ProductSku(sku), all_gallery=gallery, problem=problem)
    return Caption(ProductSku(sku), all_gallery=gallery, options=options)


def captioned(files: Sequence[SharedFile], caption: Caption) -> list[BulkLine]:
    """Every file on the caption's product, in the order they were dropped. With option
    values, the first file goes to those variations and the rest to the gallery (a variation
    holds one image), as the plan says."""
    if len(files) > MAX_LINES:
        raise too_many(len(files))
    lines = []
    for number, file in enumerate(files, 1):
        first = number == 1 and not caption.all_gallery
        request = UploadRequest(
            caption.product, None, None, file=file, target="main" if first else "gallery"
        )
        text = _shown(file.name or file.id)
        if caption.problem is not None:
            lines.append(BulkLine(number, text, problem=caption.problem))
        elif first and caption.options:
            lines.append(BulkLine(number, text, request, options=caption.options))
        elif caption.options:
            lines.append(BulkLine(number, text, request, reading=ONE_IMAGE_A_VARIATION))
        else:
            lines.append(BulkLine(number, text, request))
    return lines


@dataclass(frozen=True)
class LineTarget:
    """Where a planned line's image goes (bot.slack.views.bulk_message.line_target): the slot
    (`main`, `gallery`, `variation` or `category`), the product's (or category's) id, name and
    SKU, and the variation's label."""

    slot: str
    product_id: int
    name: str | None = None
    sku: str | None = None
    variation: str | None = None


_NEGATIVE_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")
REPORT_COLUMNS = ("line", "text", "product", "slot", "outcome", "image_id", "reason", "changes")
# A plan's lines before Start: what each will do (its target), or why it will not run.
PLAN_COLUMNS = (
    "line",
    "text",
    "plan",
    "slot",
    "product_id",
    "product_name",
    "sku",
    "variation",
    "reason",
)


def report_csv(rows: Iterable[Sequence[object]], columns: Sequence[str] = REPORT_COLUMNS) -> bytes:
    """The report of every line (or the plan's, with PLAN_COLUMNS), as a CSV file (UTF-8 with
    BOM, so that spreadsheets agree)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else _inert(str(value)) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _inert(value: str) -> str:
    """Spreadsheets run cells that start with =, +, - or @ as formulas: not these. A lone `-`
    and a plain negative number (`-12.5`) are no formula, and stay as they are."""
    if value == "-" or _NEGATIVE_NUMBER.fullmatch(value):
        return value
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
