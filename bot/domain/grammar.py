"""The `/ecwid-image` grammar: command text → a typed request, or a precise error.

    /ecwid-image PRODUCT IMAGE_URL [WIDTHxHEIGHT] [alt="…"] [alt.LANG="…" …] [external-id=…] [to=…]
    /ecwid-image help

The one table of reserved words and forms. Every way in that reads a target or an option (the
command, CSV rows through `request_from_fields`, captions through `products_named`) reads it
here; a new word is added to this table and this parser, never to a second one.

| word or form        | means                                           | where                 |
| ------------------- | ----------------------------------------------- | --------------------- |
| digits              | a product by id                                 | command, CSV          |
| `sku:SKU`           | a product or a variation by SKU                 | command, CSV, caption |
| `category:ID`       | a category's image                              | command, CSV          |
| `WIDTHxHEIGHT`      | the image's size in pixels                      | command               |
| `alt="…"`           | the alt text, in the store's default language   | command, CSV          |
| `alt.LANG="…"`      | the alt text in one language (`alt.nl=`)        | command, CSV          |
| `external-id=…`     | the image's external id                         | command, CSV          |
| `to=main|gallery`   | which slot of the product                       | command, CSV          |
| `option:NAME=VALUE` | every variation with that value (`;` for more,  | command, caption      |
|                     | each side quoted when it has spaces)            |                       |
| `NAME=VALUE`        | the same, in a CSV row's `option` column        | CSV                   |
| `help`              | the usage                                       | command, alone        |
| `bulk`              | the bulk form                                   | command, alone        |
| `history PRODUCT`   | the product's image changes                     | command               |
| `gallery PRODUCT`   | the product's gallery card                      | command               |
| `audit`             | the catalog's image health; `audit category:ID` | command               |
|                     | and `audit search:"words"` narrow it            |                       |
| `audit every DAY`   | that audit every week (`every monday`), 09:00   | command               |
| `audit stop`        | the channel's weekly audits end                 | command               |
| `store=ID`          | one of the workspace's stores (else its default | command, any form     |
|                     | store): read first, by the request's middleware |                       |

File names say option values too (`SHIRT-red.jpg`: bot.domain.bulk.read_name, which has its
own table in docs/option-values.md).

`store=ID` (#38) chooses the store before the rest is read (`store_asked`), and is then left out
of it. `option:` in a CSV row's product cell is refused: its place is the `option` column.

Slack sends the text with `&`, `<` and `>` escaped as HTML entities, and links possibly wrapped as
`<https://…>` or `<https://…|label>`; both are undone here so Ecwid receives what the user typed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from bot.domain.audit import Scope
from bot.domain.requests import (
    MAX_SIDE_DIGITS,
    CategoryId,
    Draft,
    ProductId,
    ProductRef,
    ProductSku,
    Size,
    UploadRequest,
    ValidationError,
    check_alt_text,
    check_external_id,
    check_image_url,
    check_language,
    check_size,
    check_target,
    parse_product_id,
    whole_number,
)
from bot.domain.schedule import weekday_of

USAGE = (
    '/ecwid-image PRODUCT IMAGE_URL [WIDTHxHEIGHT] [alt="…"] [alt.LANG="…" …] [external-id=…] '
    "[to=main|gallery]"
)
EXAMPLE = (
    '/ecwid-image 123 https://cdn.example.com/shoe.jpg 800x600 alt="Red shoe" alt.nl="Rode schoen"'
)

# A closing quote for each opening quote; phones and macOS type curly quotes.
_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“"}
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*)=")
_SIZE = re.compile(r"^([0-9]+)[xX]([0-9]+)$")
_SIZE_LIKE = re.compile(r"^-?[0-9]*[xX×*]-?[0-9]*$|^[0-9]+$")  # a size, maybe mistyped
# Words meant as links that are not https:// ones: `javascript:…`, `www.…`, `cdn.example.com/…`
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HOST_LIKE = re.compile(
    r"^(?:www\.|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:[/:?#]|$))", re.IGNORECASE
)
_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|[^<>]*)?>")


@dataclass(frozen=True)
class HelpCommand:
    pass


@dataclass(frozen=True)
class BulkCommand:
    """`/ecwid-image bulk`: the bulk form."""


@dataclass(frozen=True)
class AuditCommand:
    """`/ecwid-image audit [category:ID | search:"words"]`: the catalog's image health (#37)."""

    scope: Scope


MAX_SEARCH_TEXT = 100  # characters of an audit's search words
_AUDIT_FORM = (
    "Write `/ecwid-image audit`, `/ecwid-image audit category:12` or `/ecwid-image audit "
    'search:"summer shoes"`.'
)


@dataclass(frozen=True)
class WeeklyAuditCommand:
    """`/ecwid-image audit every monday [category:ID | search:"words"]`: that audit posted in
    the channel every week, at 09:00 in the asker's time zone (#37)."""

    scope: Scope
    weekday: int  # Monday 0 … Sunday 6


@dataclass(frozen=True)
class StopWeeklyCommand:
    """`/ecwid-image audit stop [category:ID | search:"words"]`: the channel's weekly audits
    end (only that scope's, when one is given)."""

    scope: Scope | None


_EVERY_FORM = (
    "Write `/ecwid-image audit every monday` (any day of the week), with `category:ID` or "
    '`search:"words"` after it to narrow it.'
)


def _parse_audit(rest: str) -> AuditCommand | WeeklyAuditCommand | StopWeeklyCommand:
    """What follows `audit`: nothing (the whole catalog), `category:ID`, or `search:` and the
    words (quoted or not); or `every DAY` or `stop`, then a scope as before."""
    words = rest.split()
    if not words:
        return AuditCommand(Scope())
    first = words[0].lower()
    if first == "every":
        day = weekday_of(words[1]) if len(words) > 1 else None
        if day is None:
            raise ValidationError(f"Say which day after `every`. {_EVERY_FORM}")
        return WeeklyAuditCommand(_scope(rest.split(None, 2)[2:]), day)
    if first == "stop":
        after = rest.split(None, 1)[1:]
        return StopWeeklyCommand(_scope(after) if after else None)
    return AuditCommand(_scope([rest]))


def _scope(rest: list[str]) -> Scope:
    """An audit's scope from what follows (nothing: the whole catalog)."""
    text = rest[0].strip() if rest else ""
    words = text.split()
    if not words:
        return Scope()
    first = words[0].lower()
    if first in ("every", "stop"):
        raise ValidationError(f"`{words[0]}` comes right after `audit`. {_AUDIT_FORM}")
    if first.startswith("category:") and len(words) == 1:
        number = words[0][9:]
        if number.isascii() and number.isdigit():
            return Scope(category=parse_product_id(number))
        raise ValidationError(f"Give the category's id after `category:`. {_AUDIT_FORM}")
    if first.startswith("search:"):
        found = text[len("search:") :].strip()
        if len(found) >= 2 and found[0] in _QUOTES and found[-1] in "\"\u201d\u2019'":
            found = found[1:-1]
        found = " ".join(found.split())
        if not found or len(found) > MAX_SEARCH_TEXT:
            raise ValidationError(
                f"Give the words to search for after `search:` (at most {MAX_SEARCH_TEXT} "
                f"characters). {_AUDIT_FORM}"
            )
        return Scope(search=found)
    raise ValidationError(f"`{words[0]}` is not something to audit. {_AUDIT_FORM}")


@dataclass(frozen=True)
class HistoryCommand:
    """`/ecwid-image history PRODUCT`: the product's image changes."""

    product: ProductRef


@dataclass(frozen=True)
class GalleryCommand:
    """`/ecwid-image gallery PRODUCT`: the product's gallery card."""

    product: ProductRef


@dataclass(frozen=True)
class OptionUpload:
    """`/ecwid-image PRODUCT IMAGE_URL option:Color=Red`: the image for every variation of the
    product whose options hold each (name, value) pair."""

    request: UploadRequest
    options: tuple[tuple[str, str], ...]


OPTION = "option:"
MAX_OPTION_PAIRS = 5
MAX_OPTION_TEXT = 100  # characters of a name or a value (Ecwid's own are shorter)
_OPTION_FORM = "Write `option:NAME=VALUE`, e.g. `option:Color=Red` or `option:Color=Red;Size=M`."


@dataclass(frozen=True)
class _Token:
    text: str
    key: str | None = None  # set for key=value tokens, OPTION for `option:…`


@dataclass
class _Options:
    alt_main: str | None = None
    alt_translated: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None
    target: str = "main"
    seen: set[str] = field(default_factory=set)


def _tokenize(text: str) -> list[_Token]:
    """Split on white space; `key="a b"` keeps its quoted value together."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i : i + len(OPTION)].lower() == OPTION:
            end = _quoted_word_end(text, i + len(OPTION))
            tokens.append(_Token(text[i + len(OPTION) : end], key=OPTION))
            i = end
            continue
        start = i
        match = _KEY.match(text, i)
        key = match.group(1) if match else None
        if match is not None:
            i = match.end()
            if i < n and text[i] in _QUOTES:
                closing = _QUOTES[text[i]]
                end = text.find(closing, i + 1)
                if end == -1 and closing != '"':
                    end = text.find('"', i + 1)
                if end == -1:
                    raise ValidationError(f"The quote after `{key}=` is never closed.")
                tokens.append(_Token(text[i + 1 : end], key=key))
                i = end + 1
                if i < n and not text[i].isspace():
                    raise ValidationError(f"Put a space after the closing quote of `{key}=`.")
                continue
        while i < n and not text[i].isspace():
            i += 1
        word = text[start:i]
        tokens.append(_Token(word[len(key) + 1 :], key=key) if key else _Token(word))
    return tokens


def _quoted_word_end(text: str, i: int) -> int:
    """Where a word that may hold quoted parts (`"Frame color"="Dark red"`) ends: the first
    white space outside quotes."""
    closing: str | None = None
    while i < len(text):
        char = text[i]
        if closing is not None:
            if char == closing or (char == '"' and closing != '"'):
                closing = None
        elif char in _QUOTES:
            closing = _QUOTES[char]
        elif char.isspace():
            break
        i += 1
    if closing is not None:
        raise ValidationError(f"A quote in `option:` is never closed. {_OPTION_FORM}")
    return i


def _option_pairs(spec: str) -> tuple[tuple[str, str], ...]:
    """`Color=Red;"Frame color"="Dark red"` → (("Color", "Red"), ("Frame color", "Dark red"))."""
    parts: list[list[str]] = [[""]]  # pairs, each its name then its value
    closing: str | None = None
    for char in spec:
        if closing is not None:
            if char == closing or (char == '"' and closing != '"'):
                closing = None
            else:
                parts[-1][-1] += char
        elif char in _QUOTES:
            closing = _QUOTES[char]
        elif char == ";":
            parts.append([""])
        elif char == "=" and len(parts[-1]) == 1:
            parts[-1].append("")
        else:
            parts[-1][-1] += char
    pairs = []
    for part in parts:
        name, value = (" ".join(p.split()) for p in (*part, "")[:2])
        if len(part) != 2 or not name or not value:
            raise ValidationError(_OPTION_FORM)
        if max(len(name), len(value)) > MAX_OPTION_TEXT:
            raise ValidationError(
                f"An option's name or value is over {MAX_OPTION_TEXT} characters."
            )
        pairs.append((name, value))
    names = [name.casefold() for name, _ in pairs]
    if len(pairs) > MAX_OPTION_PAIRS or len(set(names)) != len(names):
        raise ValidationError(
            f"Give each option once, and at most {MAX_OPTION_PAIRS}. {_OPTION_FORM}"
        )
    return tuple(pairs)


def _unslack(value: str) -> str:
    """Undo Slack's markup in free text: `<url|label>` → label, `<url>` → url, entities → chars."""

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        return whole[whole.index("|") + 1 : -1] if "|" in whole else match.group(1)

    return html.unescape(_SLACK_LINK.sub(replace, value))


def _parse_url(word: str) -> str:
    link = _SLACK_LINK.fullmatch(word)
    return check_image_url(html.unescape(link.group(1) if link else word))


def _refuse_reserved(word: str) -> None:
    """`option:` where a product is named (a CSV row's product cell): its place is its own."""
    if word.lower().startswith("option:"):
        raise ValidationError(
            "Give the option value in the `option` column (e.g. `Color=Red`), and the product "
            "in the `product` column."
        )


def _parse_product(word: str, *, markup: bool = True) -> ProductRef:
    _refuse_reserved(word)
    if word.lower().startswith("sku:"):
        sku = _unslack(word[4:]) if markup else word[4:].strip()
        if not sku:
            raise ValidationError("Give the SKU after `sku:`, e.g. `sku:RS-1`.")
        return ProductSku(sku)
    if word.isascii() and word.isdigit():
        return ProductId(parse_product_id(word))
    if word.lower().startswith("category:"):
        number = word[9:]
        if not (number.isascii() and number.isdigit()):
            raise ValidationError("Give the category's id after `category:`, e.g. `category:12`.")
        return CategoryId(parse_product_id(number))
    raise ValidationError(
        f"`{_unslack(word)}` is not a product: give its id (digits), `sku:` and its SKU, or "
        "`category:` and a category's id."
    )


def _parse_size(word: str) -> Size:
    match = _SIZE.match(word)
    if not match:
        raise ValidationError(
            f"`{word}` is not a size: write WIDTHxHEIGHT in pixels, e.g. `800x600`."
        )
    width, height = (whole_number(side, MAX_SIDE_DIGITS) for side in match.groups())
    return check_size(width or 0, height or 0)


def _apply_option(options: _Options, token: _Token) -> None:
    _set_option(options, token.key or "", _unslack(token.text))


def _set_option(options: _Options, key: str, value: str) -> None:
    lowered = key.lower()
    if lowered in options.seen:
        raise ValidationError(f"`{key}=` is given twice; give it once.")
    options.seen.add(lowered)
    if lowered == "alt":
        options.alt_main = check_alt_text(value, "alt")
    elif lowered.startswith("alt."):
        lang = check_language(key[4:])
        options.alt_translated[lang] = check_alt_text(value, key)
    elif lowered == "external-id":
        options.external_id = check_external_id(value)
    elif lowered == "to":
        options.target = check_target(value)
    elif lowered == "store":  # a CSV row's: the store is the job's, chosen with its command
        raise ValidationError(STORE_IN_A_LINE)
    else:
        raise ValidationError(
            f"Unknown option `{key}=`: the options are `alt=`, `alt.LANG=`, `external-id=` "
            "and `to=`."
        )


def _is_link(word: str) -> bool:
    """Whatever the user meant as a link, so that a wrong one is answered as a link."""
    if word.lower().startswith(("sku:", "category:")):
        return False
    return (
        word.startswith("<")
        or "://" in word
        or bool(_SCHEME.match(word))
        or bool(_HOST_LIKE.match(word))
    )


_STORE = re.compile(r"(?:^|(?<=\s))store=(\S*)(?=\s|$)", re.IGNORECASE)


def store_asked(text: str) -> int | None:
    """The store a command names with `store=ID` (one of the workspace's stores), if any."""
    try:  # as words: never inside a quoted value (`alt="our store=5 shop"`)
        found = [t.text for t in _tokenize(text.strip()) if (t.key or "").lower() == "store"]
    except ValidationError:
        found = _STORE.findall(text)  # the parse then says what is wrong with the rest
    if not found:
        return None
    if len(found) > 1:
        raise ValidationError("`store=` is given twice; give it once.")
    (value,) = found
    if not (value.isascii() and value.isdigit() and 0 < len(value) <= 12 and int(value) > 0):
        raise ValidationError("Give the store's id after `store=`, e.g. `store=1003`.")
    return int(value)


STORE_IN_A_LINE = (
    "`store=` goes in the command (or the form's store field), not in a line: every line of a "
    "job is for its store."
)


def parse_command(
    text: str,
) -> (
    UploadRequest
    | OptionUpload
    | Draft
    | HelpCommand
    | BulkCommand
    | HistoryCommand
    | GalleryCommand
    | AuditCommand
    | WeeklyAuditCommand
    | StopWeeklyCommand
):
    """Parse the text after `/ecwid-image`. Raises ValidationError with a message for the user.

    A complete command becomes an UploadRequest; a partial one (nothing, only a product, only a
    link, …) a Draft that prefills the form.
    """
    store_asked(text)  # a wrong `store=` is said first
    stripped = _STORE.sub(" ", _unslack(text.strip())).strip()  # an audit's words, read raw
    if stripped[:5].lower() == "audit" and (len(stripped) == 5 or stripped[5].isspace()):
        return _parse_audit(stripped[5:])
    tokens = [t for t in _tokenize(text.strip()) if (t.key or "").lower() != "store"]
    if len(tokens) == 1 and tokens[0].key is None and tokens[0].text.lower() == "help":
        return HelpCommand()
    if len(tokens) == 1 and tokens[0].key is None and tokens[0].text.lower() == "bulk":
        return BulkCommand()
    if tokens and tokens[0].key is None and tokens[0].text.lower() in ("history", "gallery"):
        word = tokens[0].text.lower()
        if len(tokens) != 2 or tokens[1].key is not None:
            raise ValidationError(
                f"Give one product: `/ecwid-image {word} 123` or `/ecwid-image {word} sku:ABC`."
            )
        named = _parse_product(tokens[1].text)
        return HistoryCommand(named) if word == "history" else GalleryCommand(named)

    options = _Options()
    product: ProductRef | None = None
    image_url: str | None = None
    size: Size | None = None
    pairs: tuple[tuple[str, str], ...] | None = None
    for token in tokens:
        word = token.text
        if token.key == OPTION:
            if pairs is not None:
                raise ValidationError(f"`option:` is given twice. {_OPTION_FORM}")
            pairs = _option_pairs(_unslack(word))
        elif token.key is not None:
            _apply_option(options, token)
        elif _is_link(word) and image_url is None:
            image_url = _parse_url(word)
        elif _SIZE_LIKE.match(word) and size is None and (product or not word.isdigit()):
            size = _parse_size(word)
        elif product is None and not _is_link(word):
            product = _parse_product(word)
        else:
            raise ValidationError(
                f"Unexpected `{_unslack(word)}`: give the product, the image link and the size "
                'once each; options are written as key=value, e.g. alt="Red shoe".'
            )
    draft = Draft(
        product=product,
        image_url=image_url,
        size=size,
        alt_main=options.alt_main,
        alt_translated=options.alt_translated,
        external_id=options.external_id,
        target=options.target,
    )
    if pairs is not None:
        return _option_upload(draft, pairs)
    return draft.complete() or draft


def _option_upload(draft: Draft, pairs: tuple[tuple[str, str], ...]) -> OptionUpload:
    request = draft.complete()
    if request is None:
        raise ValidationError(
            "Give the product and the image link with `option:`, e.g. "
            "`/ecwid-image sku:SHIRT https://cdn.example.com/red.jpg option:Color=Red`."
        )
    check_option_request(request)
    return OptionUpload(request, pairs)


def check_option_request(request: UploadRequest) -> None:
    """An upload by option value goes to a product's variations: not a category, not a gallery."""
    if isinstance(request.product, CategoryId):
        raise ValidationError("A category has no variations: `option:` needs a product.")
    if request.target == "gallery":
        raise ValidationError(
            "A variation has one image of its own, not a gallery: leave out `to=gallery`."
        )


def option_column(cell: str) -> tuple[tuple[str, str], ...]:
    """A CSV row's `option` cell: `Color=Red`, or `Color=Red;Size=M` (quoted as the command's)."""
    return _option_pairs(cell)


def option_in_text(text: str) -> tuple[tuple[str, str], ...] | None:
    """The first `option:NAME=VALUE` of a drop's caption, if it has one. A caption is prose:
    "the best option: red" names no value (no `=`), and punctuation after the word is the
    sentence's (`option:Color=Red,`)."""
    text = _unslack(text[:4000])
    for found in re.finditer(r"(?:^|\s|\()option:", text, re.IGNORECASE):
        start = found.end()
        word = text[start : _quoted_word_end(text, start)].rstrip(".,;:!?)")
        if "=" in word:
            return _option_pairs(word)
    return None


def request_from_fields(
    product: str, image_url: str, width: str, height: str, options: list[tuple[str, str]]
) -> UploadRequest:
    """One upload from named fields (a CSV row): the command's checks, on text as written
    (no Slack markup to undo)."""
    options_seen = _Options()
    for key, value in options:
        if value.strip():
            _set_option(options_seen, key, value.strip())
    if not product.strip():
        raise ValidationError("The product is missing: give its id or `sku:` and its SKU.")
    ref = _parse_product(product.strip(), markup=False)
    size = None
    if width.strip() or height.strip():
        size = _parse_size(f"{width.strip()}x{height.strip()}")
    return UploadRequest(
        product=ref,
        image_url=check_image_url(image_url.strip()),
        size=size,
        alt_main=options_seen.alt_main,
        alt_translated=options_seen.alt_translated,
        external_id=options_seen.external_id,
        target=options_seen.target,
    )


_SKU_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,63}$")
MAX_NAMED = 3  # products tried from one message (each a look-up)


def products_named(text: str) -> list[ProductRef]:
    """The products a message may name, most likely first: `sku:…` words, then ids (digits),
    then words that look like a SKU (letters and digits, e.g. RS-1); at most three."""
    words = [w.strip(".,;:!?()[]\"'") for w in _unslack(text[:4000]).split()]
    skus: list[ProductRef] = []
    ids: list[ProductRef] = []
    others: list[ProductRef] = []
    for word in words:
        if word.lower().startswith("sku:") and len(word) > 4:
            skus.append(ProductSku(word[4:]))
        elif word.isascii() and word.isdigit() and len(word) <= 18:
            ids.append(ProductId(int(word)))
        elif (
            _SKU_LIKE.match(word)
            and any(c.isdigit() for c in word)
            and any(c.isalpha() for c in word)
        ):
            others.append(ProductSku(word))
    found: list[ProductRef] = []
    for ref in [*skus, *ids, *others]:
        if ref not in found:
            found.append(ref)
    return found[:MAX_NAMED]
