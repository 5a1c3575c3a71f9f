"""Alt texts from templates (bot.domain.alt_template): the fields, the refusals, the cut."""

from __future__ import annotations

import pytest

from bot.domain.alt_template import cut, parse_template, render
from bot.domain.requests import ValidationError

VALUES = {"name": "Rode schoen", "sku": "RS-1", "category": "Schoenen", "n": "2", "view": ""}


@pytest.mark.parametrize(
    ("template", "options", "rendered"),
    [
        ("{name}", {}, "Rode schoen"),
        ("{name} – {option:Color}", {"Color": "Rood"}, "Rode schoen – Rood"),
        ("{name} – {option:color}", {"Color": "Rood"}, "Rode schoen – Rood"),  # any case
        ("{name} – {option:Color}", {}, "Rode schoen"),  # no dangling dash
        ("{name} ({sku}), {category}, photo {n}", {}, "Rode schoen (RS-1), Schoenen, photo 2"),
        ("{name} {view}", {}, "Rode schoen"),
    ],
)
def test_a_template_renders_each_field(
    template: str, options: dict[str, str], rendered: str
) -> None:
    assert render(parse_template(template), VALUES, options) == rendered


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{title}", "`{title}` is not a field"),
        ("{option:}", "`{option:}` is not a field"),
        ("{name", "is not closed"),
        ("{view}", "can render empty"),
        ("{option:Color} – {view}", "can render empty"),
        ("   ", "Give a template"),
    ],
)
def test_a_template_that_cannot_work_is_refused_with_why(template: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_template(template)
    assert message in str(error.value)


def test_a_long_text_is_cut_at_a_word_within_its_last_20_code_points_else_hard() -> None:
    words = " ".join(["schoen"] * 30)  # a space every 7 code points
    assert len(cut(words)) <= 125 and cut(words).endswith("schoen")
    one_word = "a" * 200
    assert cut(one_word) == "a" * 125
    late_space = "a" * 100 + " " + "b" * 100  # the space is 25 from the end: cut hard
    assert cut(late_space) == late_space[:125]
    invisible = render(parse_template("{name}\u200b"), VALUES, {})
    assert invisible == "Rode schoen"  # cleaned as every alt text
