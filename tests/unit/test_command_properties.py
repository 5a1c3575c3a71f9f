"""Property-based tests of the grammar: nothing crashes it, nothing invalid becomes an upload."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.alt_text import is_refused
from bot.domain.grammar import (
    AuditCommand,
    BulkCommand,
    GalleryCommand,
    HelpCommand,
    HistoryCommand,
    OptionUpload,
    StopWeeklyCommand,
    WeeklyAuditCommand,
    parse_command,
)
from bot.domain.requests import (
    MAX_ALT_LENGTH,
    MAX_PRODUCT_ID,
    MAX_SIDE,
    Draft,
    ProductId,
    ProductSku,
    Size,
    UploadRequest,
    ValidationError,
)

PIECES = st.sampled_from(
    [
        "123",
        "sku:AB-1",
        "sku:",
        "0",
        "-1",
        "https://a.example/x.png",
        "<https://a.example/x.png|x>",
        "http://a.example/x.png",
        "800x600",
        "0x1",
        "1x",
        "x",
        'alt="',
        'alt="a b"',
        "alt=“x”",
        'alt.nl="y"',
        "alt.=1",
        "external-id=",
        "external-id=9",
        "help",
        "=",
        '"',
        "“",
        "”",
        "<",
        ">",
        "&amp;",
        "&lt;!channel&gt;",
        "<!channel>",
        "\n",
        "\t",
        "  ",
    ]
)
COMMANDS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=12).map(" ".join),
)


def assert_valid(request: UploadRequest) -> None:
    if isinstance(request.product, ProductId):
        assert 0 < request.product.id <= MAX_PRODUCT_ID
    else:
        assert isinstance(request.product, ProductSku) and request.product.sku
    assert request.image_url.lower().startswith("https://")
    assert not any(c.isspace() or c in '<>|"' for c in request.image_url)
    if request.size is not None:
        assert 0 < request.size.width <= MAX_SIDE and 0 < request.size.height <= MAX_SIDE
    for text in [request.alt_main or "", *request.alt_translated.values()]:
        assert len(text) <= MAX_ALT_LENGTH


@settings(max_examples=1500, deadline=None)
@given(COMMANDS)
def test_no_input_crashes_and_no_invalid_input_uploads(text: str) -> None:
    try:
        result = parse_command(text)
    except ValidationError as problem:
        assert str(problem)  # always a message for the user
        return
    # Every form the grammar's table names; an upload's (by option value too) is valid.
    assert isinstance(
        result,
        UploadRequest
        | Draft
        | HelpCommand
        | BulkCommand
        | HistoryCommand
        | GalleryCommand
        | OptionUpload
        | AuditCommand
        | WeeklyAuditCommand
        | StopWeeklyCommand,
    )
    if isinstance(result, OptionUpload):
        assert result.options
        result = result.request
    if isinstance(result, UploadRequest):
        assert_valid(result)


# What alt text never carries (bot.domain.alt_text): controls, bidi embeddings, overrides and
# isolates, U+200B, U+FEFF, U+2028/2029; refused where typed, as the next test shows. Other
# format characters (ZWNJ, ZWJ, marks) are text some scripts need.
REFUSED = st.one_of(
    st.characters(whitelist_categories=("Cc",)),
    st.sampled_from([chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]),
    st.sampled_from(["\u200b", "\ufeff", "\u2028", "\u2029"]),
)
ALT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"”“„').filter(
        lambda c: not is_refused(c)
    ),
    max_size=MAX_ALT_LENGTH,
)


@settings(max_examples=300, deadline=None)
@given(before=ALT.map(lambda t: t[:40]), invisible=REFUSED, after=ALT.map(lambda t: t[:40]))
def test_invisible_characters_in_alt_text_are_refused(
    before: str, invisible: str, after: str
) -> None:
    text = f'1 https://a.example/x.png 1x1 alt="{before}{invisible}{after}"'
    try:
        parse_command(text)
    except ValidationError as problem:
        assert f"(U+{ord(invisible):04X} " in str(problem) or "quote" in str(problem)
    else:
        raise AssertionError(f"accepted alt text with U+{ord(invisible):04X}")


@settings(max_examples=500, deadline=None)
@given(
    product=st.integers(1, MAX_PRODUCT_ID),
    width=st.integers(1, MAX_SIDE),
    height=st.integers(1, MAX_SIDE),
    alt=ALT,
    alt_nl=ALT,
)
def test_valid_commands_round_trip(
    product: int, width: int, height: int, alt: str, alt_nl: str
) -> None:
    """What a user types (as Slack escapes it) arrives as they typed it, Unicode included, in
    its composed form (NFC); past Ecwid's length once composed, it is refused."""

    def slack_escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    text = (
        f'{product} https://a.example/x.png {width}x{height} alt="{slack_escape(alt)}" '
        f'alt.nl="{slack_escape(alt_nl)}"'
    )
    alt, alt_nl = (unicodedata.normalize("NFC", t) for t in (alt, alt_nl))
    if max(len(alt), len(alt_nl)) > MAX_ALT_LENGTH:  # NFC lengthens a few characters
        with pytest.raises(ValidationError, match="characters long"):
            parse_command(text)
        return
    assert parse_command(text) == UploadRequest(
        product=ProductId(product),
        image_url="https://a.example/x.png",
        size=Size(width, height),
        alt_main=alt,
        alt_translated={"nl": alt_nl},
    )
