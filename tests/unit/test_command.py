"""The slash-command grammar, case by case."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.audit import Scope
from bot.domain.bulk import captioned, parse_csv, parse_lines, read_caption
from bot.domain.grammar import (
    AuditCommand,
    HelpCommand,
    OptionUpload,
    StopWeeklyCommand,
    WeeklyAuditCommand,
    parse_command,
    request_from_fields,
    store_asked,
)
from bot.domain.requests import (
    Draft,
    ProductId,
    ProductSku,
    SharedFile,
    Size,
    UploadRequest,
    ValidationError,
)

URL = "https://cdn.example.com/shoe.jpg"


def parse(text: str) -> UploadRequest:
    result = parse_command(text)
    assert isinstance(result, UploadRequest)
    return result


def test_full_command() -> None:
    request = parse(f'123 {URL} 800x600 alt="Red shoe" alt.nl="Rode schoen" external-id=abc')
    assert request == UploadRequest(
        product=ProductId(123),
        image_url=URL,
        size=Size(800, 600),
        alt_main="Red shoe",
        alt_translated={"nl": "Rode schoen"},
        external_id="abc",
    )


@pytest.mark.parametrize(
    ("word", "product"),
    [("123", ProductId(123)), ("sku:RS-1", ProductSku("RS-1")), ("SKU:a b", None)],
)
def test_product_forms(word: str, product: object) -> None:
    if product is None:
        with pytest.raises(ValidationError):
            parse(f"{word} {URL} 1x1")
    else:
        assert parse(f"{word} {URL} 1x1").product == product


@pytest.mark.parametrize(
    "link",
    [f"<{URL}>", f"<{URL}|shoe.jpg>", URL],
)
def test_slack_link_markup_is_unwrapped(link: str) -> None:
    assert parse(f"1 {link} 1x1").image_url == URL


def test_entities_in_url_are_decoded() -> None:
    assert parse(f"1 <{URL}?a=1&amp;b=2> 1x1").image_url == f"{URL}?a=1&b=2"


@pytest.mark.parametrize("size", ["800x600", "800X600"])
def test_size_accepts_both_x(size: str) -> None:
    assert parse(f"1 {URL} {size}").size == Size(800, 600)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('alt="Red shoe"', "Red shoe"),
        ("alt=“Red shoe”", "Red shoe"),
        ('alt=“Red shoe"', "Red shoe"),
        ("alt=„Rote Schuhe“", "Rote Schuhe"),
        ("alt=Plain", "Plain"),
        ('alt=""', ""),
        ('alt="Women\'s shoe"', "Women's shoe"),
        ('alt="Tom &amp; Jerry"', "Tom & Jerry"),
        ('alt="Schuh 👟 grün"', "Schuh 👟 grün"),
    ],
)
def test_alt_quoting(text: str, expected: str) -> None:
    assert parse(f"1 {URL} 1x1 {text}").alt_main == expected


def test_options_in_any_order_and_case() -> None:
    request = parse(f'1 {URL} 2x3 ALT.DE="Schuh" Alt="Shoe"')
    assert (request.alt_main, request.alt_translated) == ("Shoe", {"de": "Schuh"})


def test_size_may_be_left_out() -> None:
    request = parse(f"123 {URL}")
    assert (request.product, request.image_url, request.size) == (ProductId(123), URL, None)


def test_help() -> None:
    assert parse_command("help") == HelpCommand()
    assert parse_command(" HELP ") == HelpCommand()


@pytest.mark.parametrize(
    ("text", "draft"),
    [
        ("", Draft()),
        ("   ", Draft()),
        ("123", Draft(product=ProductId(123))),
        ("sku:RS-1", Draft(product=ProductSku("RS-1"))),
        (URL, Draft(image_url=URL)),
        (f"<{URL}|shoe> 800x600", Draft(image_url=URL, size=Size(800, 600))),
        ("123 800x600", Draft(product=ProductId(123), size=Size(800, 600))),
        ('alt="Red shoe"', Draft(alt_main="Red shoe")),
    ],
)
def test_partial_commands_become_drafts_for_the_form(text: str, draft: Draft) -> None:
    assert parse_command(text) == draft


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"abc {URL} 1x1",
            "`abc` is not a product: give its id (digits), `sku:` and its SKU, or `category:` "
            "and a category's id.",
        ),
        (f"category:x {URL} 1x1", "Give the category's id after `category:`, e.g. `category:12`."),
        (f"sku: {URL} 1x1", "Give the SKU after `sku:`, e.g. `sku:RS-1`."),
        (f"0 {URL} 1x1", "`0` is not a product id: ids are positive whole numbers."),
        (f"{2**60} {URL} 1x1", f"`{2**60}` is not a product id: ids are positive whole numbers."),
        (
            "1 http://x.example/a.jpg 1x1",
            "`http://x.example/a.jpg` is not an https:// link: give the image's whole address, starting with https://, e.g. `https://cdn.example.com/shoe.jpg` (Ecwid only takes HTTPS images).",
        ),
        (
            "1 ftp://x/a.jpg 1x1",
            "`ftp://x/a.jpg` is not an https:// link: give the image's whole address, starting with https://, e.g. `https://cdn.example.com/shoe.jpg` (Ecwid only takes HTTPS images).",
        ),
        ("1 https:///a.jpg 1x1", "`https:///a.jpg` is not a valid image link."),
        (f"1 {URL} 800", "`800` is not a size: write WIDTHxHEIGHT in pixels, e.g. `800x600`."),
        (
            f"1 {URL} 800x-1",
            "`800x-1` is not a size: write WIDTHxHEIGHT in pixels, e.g. `800x600`.",
        ),
        (f"1 {URL} 0x600", "Width and height must be whole numbers from 1 to 20000 pixels."),
        (f"1 {URL} 800x20001", "Width and height must be whole numbers from 1 to 20000 pixels."),
        (
            f"1 {URL} 1x1 extra",
            'Unexpected `extra`: give the product, the image link and the size once each; options are written as key=value, e.g. alt="Red shoe".',
        ),
        (
            f"1 {URL} 1x1 {URL}",
            f'Unexpected `{URL}`: give the product, the image link and the size once each; options are written as key=value, e.g. alt="Red shoe".',
        ),
        (
            f"1 {URL} 1x1 2x2",
            'Unexpected `2x2`: give the product, the image link and the size once each; options are written as key=value, e.g. alt="Red shoe".',
        ),
        (
            f"1 {URL} 1x1 size=2",
            "Unknown option `size=`: the options are `alt=`, `alt.LANG=`, `external-id=` and `to=`.",
        ),
        (f"1 {URL} store=two", "Give the store's id after `store=`, e.g. `store=1003`."),
        (f"1 {URL} store=2 store=3", "`store=` is given twice; give it once."),
        (f'1 {URL} 1x1 alt="a" alt="b"', "`alt=` is given twice; give it once."),
        (f'1 {URL} 1x1 alt.nl="a" ALT.NL="b"', "`ALT.NL=` is given twice; give it once."),
        (f'1 {URL} 1x1 alt="open', "The quote after `alt=` is never closed."),
        (f'1 {URL} 1x1 alt="a"b', "Put a space after the closing quote of `alt=`."),
        (
            f'1 {URL} 1x1 alt.123="a"',
            "`alt.123=` does not name a language: use its code, e.g. `alt.nl=` or `alt.pt_BR=`.",
        ),
        (f"1 {URL} 1x1 external-id=", "`external-id=` must be 1 to 255 characters long."),
        (
            f'1 {URL} 1x1 alt="{"a" * 126}"',
            "`alt` is 126 characters long; Ecwid allows at most 125.",
        ),
    ],
)
def test_precise_errors(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_command(text)
    assert str(error.value) == message


def test_option_in_a_csv_rows_product_cell_points_at_the_option_column() -> None:
    with pytest.raises(ValidationError) as error:
        request_from_fields("option:Color=Red", URL, "", "", [])
    assert str(error.value) == (
        "Give the option value in the `option` column (e.g. `Color=Red`), and the product in the "
        "`product` column."
    )


@pytest.mark.parametrize(
    ("cell", "pairs"),
    [
        ("Color=Red", (("Color", "Red"),)),
        ("Color=Red;Size=M", (("Color", "Red"), ("Size", "M"))),
        ('"Frame color"="Dark red"', (("Frame color", "Dark red"),)),
    ],
)
def test_a_csv_rows_option_column_names_option_values(
    cell: str, pairs: tuple[tuple[str, str], ...]
) -> None:
    quoted = cell.replace('"', '""')
    data = f'product,image_url,option\nsku:SHIRT,{URL},"{quoted}"\n'
    (line,) = parse_csv(data.encode())
    assert line.problem is None and line.options == pairs


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (f"sku:SHIRT,{URL},Color", "Write `option:NAME=VALUE`"),
        (f"category:12,{URL},Color=Red", "A category has no variations"),
    ],
)
def test_a_csv_rows_option_column_is_checked_as_the_command_checks_it(
    row: str, message: str
) -> None:
    (line,) = parse_csv(f"product,image_url,option\n{row}\n".encode())
    assert line.problem is not None and line.problem.message.startswith(message)


def test_a_captions_option_goes_with_its_first_file_and_the_rest_to_the_gallery() -> None:
    caption = read_caption('new shots sku:SHIRT option:"Frame color"="Dark red"')
    assert caption is not None and caption.options == (("Frame color", "Dark red"),)
    files = [SharedFile(f"F{n}", f"IMG_{n}.jpg") for n in range(2)]
    first, second = captioned(files, caption)
    assert first.options == caption.options and first.request is not None
    assert second.options == () and second.request is not None
    assert second.request.target == "gallery"
    assert second.reading == "read as the gallery: a variation holds one image, the first file's"
    broken = read_caption("sku:SHIRT option:Color=")
    assert broken is not None
    assert [line.problem is not None for line in captioned(files, broken)] == [True, True]


@pytest.mark.parametrize(
    ("written", "pairs"),
    [
        ("option:Color=Red", (("Color", "Red"),)),
        ("option:Color=Red;Size=M", (("Color", "Red"), ("Size", "M"))),
        ('option:"Frame color"="Dark red"', (("Frame color", "Dark red"),)),
        ("option:\u201cFrame color\u201d=\u201cDark red\u201d", (("Frame color", "Dark red"),)),
        ("OPTION:Maat=38", (("Maat", "38"),)),
        ("option:Color=Cr\u00e8me", (("Color", "Crème"),)),
    ],
)
def test_an_option_value_names_the_variations_that_have_it(
    written: str, pairs: tuple[tuple[str, str], ...]
) -> None:
    parsed = parse_command(f'sku:SHIRT {URL} {written} alt="Red shirt"')
    assert parsed == OptionUpload(
        UploadRequest(ProductSku("SHIRT"), URL, None, alt_main="Red shirt"), pairs
    )


FORM = "Write `option:NAME=VALUE`, e.g. `option:Color=Red` or `option:Color=Red;Size=M`."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"1 {URL} option:Color", FORM),
        (f"1 {URL} option:=Red", FORM),
        (f"1 {URL} option:Color=", FORM),
        (f"1 {URL} option:Color=Red;", FORM),
        (f'1 {URL} option:"Frame color=Red', f"A quote in `option:` is never closed. {FORM}"),
        (f"1 {URL} option:Color=Red;color=Blue", f"Give each option once, and at most 5. {FORM}"),
        (f"1 {URL} option:Color=Red option:Size=M", f"`option:` is given twice. {FORM}"),
        (
            "sku:SHIRT option:Color=Red",
            "Give the product and the image link with `option:`, e.g. `/ecwid-image sku:SHIRT "
            "https://cdn.example.com/red.jpg option:Color=Red`.",
        ),
        (
            f"category:12 {URL} option:Color=Red",
            "A category has no variations: `option:` needs a product.",
        ),
        (
            f"1 {URL} to=gallery option:Color=Red",
            "A variation has one image of its own, not a gallery: leave out `to=gallery`.",
        ),
    ],
)
def test_a_wrong_option_is_refused_precisely(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_command(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("audit", Scope()),
        ("AUDIT", Scope()),
        ("audit category:12", Scope(category=12)),
        ('audit search:"summer  shoes"', Scope(search="summer shoes")),
        ("audit search:\u201csummer shoes\u201d", Scope(search="summer shoes")),
        ("audit search: boots", Scope(search="boots")),
    ],
)
def test_audit_reads_its_scope(text: str, scope: Scope) -> None:
    assert parse_command(text) == AuditCommand(scope)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("audit every monday", WeeklyAuditCommand(Scope(), 0)),
        ("audit every Mondays", WeeklyAuditCommand(Scope(), 0)),
        ("audit every fri category:12", WeeklyAuditCommand(Scope(category=12), 4)),
        (
            'audit every sunday search:"summer shoes"',
            WeeklyAuditCommand(Scope(search="summer shoes"), 6),
        ),
        ("audit stop", StopWeeklyCommand(None)),
        ("audit stop category:12", StopWeeklyCommand(Scope(category=12))),
    ],
)
def test_weekly_audits_read_their_day_and_scope(text: str, parsed: object) -> None:
    assert parse_command(text) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("audit every", "Say which day after `every`."),
        ("audit every month", "Say which day after `every`."),
        ("audit every monday every tuesday", "`every` comes right after `audit`."),
        ("audit stop 12", "`12` is not something to audit."),
        ("audit category:x", "Give the category's id after `category:`."),
        ("audit search:", "Give the words to search for after `search:`"),
        ("audit 123", "`123` is not something to audit."),
    ],
)
def test_audit_refuses_what_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_command(text)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("Best option: the red one sku:SHIRT", ()),  # prose: no NAME=VALUE
        ("(second option:blue) sku:SHIRT", ()),
        ("sku:SHIRT option:Color=Red, thanks", (("Color", "Red"),)),  # the sentence's comma
        ('sku:SHIRT option:Color="Dark red".', (("Color", "Dark red"),)),
    ],
)
def test_a_captions_option_is_a_name_and_a_value_not_a_word_in_a_sentence(
    text: str, options: tuple[tuple[str, str], ...]
) -> None:
    caption = read_caption(text)
    assert caption is not None and caption.problem is None and caption.options == options


def test_store_names_the_store_and_is_left_out_of_the_rest() -> None:
    """`store=ID` chooses one of the workspace's stores (read first, by the middleware); the
    rest of the command reads as it would without it, wherever it stands."""
    assert store_asked(f"1 {URL} store=1003") == 1003
    assert store_asked(f"1 {URL}") is None
    assert store_asked(f"1 {URL} restore=5") is None  # a word that only ends so
    for text in (f"store=1003 1 {URL}", f"1 store=1003 {URL}", f"1 {URL} STORE=1003"):
        assert parse_command(text) == parse_command(f"1 {URL}")
    assert parse_command("store=7 audit") == parse_command("audit")
    quoted = f'1 {URL} alt="our store=5 shop"'  # words inside a quoted value are the value's
    assert store_asked(quoted) is None
    assert parse_command(quoted) == replace(parse_command(f"1 {URL}"), alt_main="our store=5 shop")


def test_store_in_a_bulk_line_is_a_problem_never_dropped() -> None:
    """A job is for one store: a line naming one is refused, not run on the job's store."""
    (line, plain) = parse_lines(f"1 {URL} store=1003\n2 {URL}")
    assert line.request is None and line.problem is not None
    assert line.problem.message.startswith("`store=` goes in the command")
    assert plain.request is not None
