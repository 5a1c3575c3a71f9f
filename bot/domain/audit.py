"""The catalog's image health (#37): what an audit finds in each product and category as Ecwid
answers them, counted, listed and compared with the audit before. Pure: the pages are read by
bot.flows.audit.

An alt text, per enabled language, is one of:
- missing: none, or empty; in a language other than the default, also one equal to the default
  language's (Ecwid answers the default language's text where a translation is absent: "Only
  the default language translations are returned if no other translations are provided");
- default: the bare product (or category) name, in that language: what Ecwid shows anyway;
- too long: over MAX_ALT_LENGTH (125) code points, the Ecwid admin's limit;
- present: anything else.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.requests import MAX_ALT_LENGTH

SHAPE_TOLERANCE = 0.05  # aspect ratios further apart than this are "mixed shapes"
MOSTLY_SQUARE = 0.5  # past this share of square images, the others are listed as not square
MAX_ROWS = 200_000  # findings the CSV lists; the counts go on past it (the card says so)
MAX_LANGUAGES = 20  # enabled languages audited, the default first
MAX_SCOPE_KEY = 200
MAX_COMPARED = (
    20_000  # images compared for the same picture on several products (a small copy each)
)


class Slot(StrEnum):
    MAIN = "main"
    GALLERY = "gallery"
    VARIATION = "variation"
    CATEGORY = "category"


class Alt(StrEnum):
    MISSING = "missing"
    DEFAULT = "default"
    TOO_LONG = "too long"
    PRESENT = "present"


class Finding(StrEnum):
    """A kind of finding, as the card counts it and the CSV names it."""

    ALT_MISSING = "alt text missing"
    ALT_DEFAULT = "alt text is the name"
    ALT_TOO_LONG = "alt text too long"
    NO_MAIN = "no main image"
    NO_OWN_IMAGE = "variation without its own image"
    SMALL = "small image"
    MIXED_SHAPES = "mixed shapes"
    NOT_SQUARE = "not square"
    SAME_PICTURE = "same picture on several products"


ALT_FINDINGS = {Alt.MISSING: Finding.ALT_MISSING, Alt.DEFAULT: Finding.ALT_DEFAULT}


@dataclass(frozen=True)
class Scope:
    """What an audit covers: the whole catalog, a category (with its subcategories), or the
    results of a search. `key` names it in the audits kept (the next one compares with it)."""

    category: int | None = None
    search: str | None = None

    @property
    def key(self) -> str:
        """At most MAX_SCOPE_KEY characters (a long search's words are hashed)."""
        if self.category is not None:
            return f"category:{self.category}"
        if self.search is not None:
            key = "search:" + " ".join(self.search.casefold().split())
            if len(key) > MAX_SCOPE_KEY:
                key = "search#" + hashlib.sha256(key.encode()).hexdigest()
            return key
        return "catalog"


@dataclass(frozen=True)
class AuditImage:
    """One image of a product or category, as the answer describes it."""

    slot: Slot
    image_id: str  # the media id ("0" the main image), the variation's id, or the category's
    alt_main: str | None = None
    alt_translated: Mapping[str, str] = field(default_factory=dict)
    width: int | None = None  # None: Ecwid gives no size (a variation's image)
    height: int | None = None
    rendition: str | None = None  # a small copy Ecwid serves (160 px): what is compared
    url: str | None = None  # where Ecwid serves it (a media image is named by it in an update)
    # A variation's option values by language ("" the default): {option name: value}, each
    # option under its names in that language and in the default one.
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditItem:
    """A product (or a category) as an audit reads it: its names in every language, its
    images, and its variations that have an option value but no image of their own."""

    id: int
    sku: str | None
    name: str
    names: Mapping[str, str] = field(default_factory=dict)  # by language, beside the default
    images: tuple[AuditImage, ...] = ()
    has_main: bool = True
    bare_variations: tuple[int, ...] = ()
    # Those variations' option values, by id: {option name: value}, in the default language.
    bare_options: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    category: bool = False
    default_category: int | None = None


def alt_of(
    image: AuditImage, language: str, default_language: str, item: AuditItem
) -> tuple[Alt, int]:
    """What the image's alt text is in `language`, and its length in code points."""
    main = _text(image.alt_main)
    if language == default_language:
        text, name = main, item.name
    else:
        text = _text(image.alt_translated.get(language))
        if text is not None and main is not None and _same(text, main):
            text = None  # Ecwid's stand-in for an absent translation
        name = item.names.get(language) or item.name
    if text is None:
        return Alt.MISSING, 0
    length = len(unicodedata.normalize("NFC", text))
    if _same(text, name):
        return Alt.DEFAULT, length
    if length > MAX_ALT_LENGTH:
        return Alt.TOO_LONG, length
    return Alt.PRESENT, length


def _text(value: str | None) -> str | None:
    return value if value and value.strip() else None


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


Row = tuple[int, str, str, str, str, str]  # product id, SKU, slot, image id, language, finding
Picture = tuple[int, str, str, str]  # product id, SKU, slot, image id: an image to compare


@dataclass
class Tally:
    """The audit's counts and findings, page by page. Kept small: counts, and a row a finding
    (what the CSV lists), never the answers themselves."""

    default_language: str
    languages: tuple[str, ...]  # every enabled language, the default first
    min_side: int
    products: int = 0
    categories: int = 0
    images: Counter[Slot] = field(default_factory=Counter)
    alts: Counter[tuple[Slot, str, Alt]] = field(default_factory=Counter)
    findings: Counter[Finding] = field(default_factory=Counter)
    size_unknown: int = 0
    square: int = 0
    rows: list[Row] = field(default_factory=list)
    rows_left_out: int = 0  # past max_rows: counted, not listed
    max_rows: int = MAX_ROWS
    # The images to compare with each other, by their small copies (at most MAX_COMPARED).
    pictures: list[tuple[Picture, str]] = field(default_factory=list)
    compared: int = 0
    not_compared: int = 0
    _not_square: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        """The languages once each, the default first, at most MAX_LANGUAGES."""
        ordered = dict.fromkeys((self.default_language, *self.languages))
        self.languages = tuple(ordered)[:MAX_LANGUAGES]

    def add(self, items: Iterable[AuditItem]) -> None:
        for item in items:
            self._add(item)

    def _add(self, item: AuditItem) -> None:
        if item.category:
            self.categories += 1
        else:
            self.products += 1
        sku = item.sku or ""
        if not item.has_main and not item.category:
            self._found(Finding.NO_MAIN, (item.id, sku, Slot.MAIN, "", "", Finding.NO_MAIN))
        for variation in item.bare_variations:
            row = (item.id, sku, Slot.VARIATION, str(variation), "", Finding.NO_OWN_IMAGE)
            self._found(Finding.NO_OWN_IMAGE, row)
        ratios: list[float] = []
        for image in item.images:
            self.images[image.slot] += 1
            where = (item.id, sku, image.slot, image.image_id)
            if image.rendition and not item.category and len(self.pictures) < MAX_COMPARED:
                self.pictures.append((where, image.rendition))
            for language in self.languages:
                state, length = alt_of(image, language, self.default_language, item)
                self.alts[(image.slot, language, state)] += 1
                if state is Alt.TOO_LONG:
                    finding = f"{Finding.ALT_TOO_LONG} ({length})"
                    self._found(Finding.ALT_TOO_LONG, (*where, language, finding))
                elif state in ALT_FINDINGS:
                    finding = ALT_FINDINGS[state]
                    self._found(finding, (*where, language, finding))
            if image.width is None or image.height is None:
                self.size_unknown += 1
                continue
            if max(image.width, image.height) < self.min_side:
                said = f"{Finding.SMALL} ({image.width}×{image.height})"
                self._found(Finding.SMALL, (*where, "", said))
            ratio = image.width / image.height
            ratios.append(ratio)
            if abs(ratio - 1) <= SHAPE_TOLERANCE:
                self.square += 1
            elif len(self._not_square) < self.max_rows:
                said = f"{Finding.NOT_SQUARE} ({image.width}×{image.height})"
                self._not_square.append((*where, "", said))
        if ratios and max(ratios) > min(ratios) * (1 + SHAPE_TOLERANCE):
            self._found(Finding.MIXED_SHAPES, (item.id, sku, "", "", "", Finding.MIXED_SHAPES))

    def same_pictures(self, groups: Iterable[Sequence[Picture]], compared: int) -> None:
        """The pictures found alike (bot.images.similar), `compared` of the pictures read: a
        group on several products is a finding, listed image by image."""
        self.compared = compared
        self.not_compared = len(self.pictures) - compared
        for group in groups:
            products = sorted({picture[0] for picture in group})
            if len(products) < 2:
                continue  # one product's gallery: the duplicate check of uploads says so
            self.findings[Finding.SAME_PICTURE] += 1
            for product_id, sku, slot, image_id in group:
                others = ", ".join(str(p) for p in products if p != product_id)
                said = f"{Finding.SAME_PICTURE} (also on {others})"
                if len(self.rows) < self.max_rows:
                    self.rows.append((product_id, sku, slot, image_id, "", said))
                else:
                    self.rows_left_out += 1

    def _found(self, finding: Finding, row: Row) -> None:
        self.findings[finding] += 1
        if len(self.rows) < self.max_rows:
            self.rows.append(row)
        else:
            self.rows_left_out += 1

    def finish(self) -> Result:
        """The counts as the card shows them. Images not square are findings only when most
        of the catalog's images with a size are square (else they are the catalog's style)."""
        sized = self.square + len(self._not_square)  # (not square past MAX_ROWS: not counted)
        if sized and self.square / sized > MOSTLY_SQUARE:
            for row in self._not_square:
                self._found(Finding.NOT_SQUARE, row)
        coverage = {}
        for language in self.languages:
            total = sum(self.images.values())
            present = sum(
                count
                for (_, lang, state), count in self.alts.items()
                if lang == language and state is Alt.PRESENT
            )
            coverage[language] = present / total if total else 0.0
        return Result(
            products=self.products,
            categories=self.categories,
            images=dict(self.images),
            alts=dict(self.alts),
            findings=dict(self.findings),
            coverage=coverage,
            size_unknown=self.size_unknown,
            square=self.square,
            sized=sized,
            rows=self.rows,
            default_language=self.default_language,
            rows_left_out=self.rows_left_out,
            compared=self.compared,
            not_compared=self.not_compared,
        )


@dataclass(frozen=True)
class Result:
    products: int
    categories: int
    images: Mapping[Slot, int]
    alts: Mapping[tuple[Slot, str, Alt], int]
    findings: Mapping[Finding, int]
    coverage: Mapping[str, float]  # by language: the share of images with an alt text present
    size_unknown: int
    square: int
    sized: int
    rows: Sequence[Row]
    default_language: str
    rows_left_out: int = 0
    compared: int = 0  # images compared for the same picture on several products
    not_compared: int = 0  # … whose small copy could not be read

    @property
    def empty(self) -> bool:
        """Nothing was found to audit: no product, no category."""
        return not self.products and not self.categories

    def alt_counts(self, language: str) -> dict[Alt, int]:
        """Every slot's images by what their alt text in `language` is."""
        counts = dict.fromkeys(Alt, 0)
        for (_, lang, state), count in self.alts.items():
            if lang == language:
                counts[state] += count
        return counts

    def numbers(self) -> str:
        """What the next audit of the scope compares with (JSON)."""
        return json.dumps(
            {
                "coverage": self.coverage,
                "findings": {str(k): v for k, v in self.findings.items()},
                "products": self.products,
            },
            sort_keys=True,
        )

    def csv(self) -> bytes:
        """Every finding: product id, SKU, slot, image id, language, finding (UTF-8 with BOM;
        a cell a spreadsheet would run as a formula is made inert)."""
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(("product_id", "sku", "slot", "image_id", "language", "finding"))
        for row in self.rows:
            writer.writerow([_inert(str(value)) for value in row])
        return out.getvalue().encode("utf-8-sig")


def _inert(value: str) -> str:
    """A cell a spreadsheet would run as a formula (OWASP's list: = + - @, tab, CR) as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@dataclass(frozen=True)
class Delta:
    """A number of this audit beside the last one of the same scope."""

    what: str  # e.g. "NL alt text"
    before: str
    after: str


def since(previous: str | None, result: Result) -> list[Delta]:
    """What changed since the audit before (its `numbers()`): each language's alt coverage, and
    each kind of finding's count. Nothing when there was none, or it cannot be read."""
    if not previous:
        return []
    try:
        before = json.loads(previous)
        coverage = dict(before.get("coverage") or {})
        findings = dict(before.get("findings") or {})
    except (ValueError, TypeError, AttributeError):
        return []
    changes = []
    for language, share in result.coverage.items():
        old = coverage.get(language)
        if isinstance(old, int | float) and round(old * 100) != round(share * 100):
            label = f"{language.upper()} alt text"
            changes.append(Delta(label, f"{old:.0%}", f"{share:.0%}"))
    for finding in Finding:
        old = findings.get(str(finding))
        new = result.findings.get(finding, 0)
        if isinstance(old, int) and old != new:
            changes.append(Delta(str(finding), f"{old:,}", f"{new:,}"))
    return changes
