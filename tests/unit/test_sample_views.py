"""The sample views of docs/images/ (tools/pictures/samples.py), built by the bot's own builders,
pass as Slack would take them: slack_sdk's Block Kit models, and the limits the bot keeps to.
Every sample has its picture and every picture its sample."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack.views.history import MAX_HOME_BLOCKS, MAX_MESSAGE_BLOCKS
from bot.slack.views.upload_form import MAX_OPTION_TEXT
from bot.slack.views.upload_result import MAX_VALUE
from tools.pictures.samples import BUILDERS, PICTURES, Sample

# Slack's own limits, where the bot names none (bot.slack.views.bulk_message.MAX_SECTION is the
# bot's margin below the first).
SECTION_TEXT = 3_000
FIELD_TEXT = 2_000
OPTION_VALUE = 150
MESSAGE_TEXT = 40_000
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@cache
def built(name: str) -> Sample:
    """The sample, built in each test that asks: a builder that breaks fails those tests."""
    sample = BUILDERS[name]()
    assert sample.name == name
    return sample


def _blocks(sample: Sample) -> list[list[dict[str, Any]]]:
    """Each message's blocks, or the view's: what one limit of blocks applies to."""
    if sample.surface == "message":
        return [message["blocks"] for message in sample.messages]
    return [sample.view["blocks"]]


def _nodes(node: object) -> Iterator[dict[str, Any]]:
    """Every object in a payload, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


@pytest.mark.parametrize("name", BUILDERS)
def test_slack_sdk_takes_each_block_as_it_is(name: str) -> None:
    sample = built(name)
    if sample.surface == "message":
        for message in sample.messages:
            assert message["text"] and len(message["text"]) <= MESSAGE_TEXT
            for block in message["blocks"]:
                parsed = Block.parse(block)
                assert parsed is not None, block
                parsed.validate_json()
                assert parsed.to_dict() == block  # nothing the model does not know was dropped
    else:
        assert sample.surface in ("modal", "home")
        view = View(**sample.view)
        view.validate_json()
        assert view.type == sample.surface
        assert view.to_dict() == sample.view


@pytest.mark.parametrize("name", BUILDERS)
def test_within_the_bots_limits(name: str) -> None:
    sample = built(name)
    most = MAX_MESSAGE_BLOCKS if sample.surface == "message" else MAX_HOME_BLOCKS
    for blocks in _blocks(sample):
        assert len(blocks) <= most, f"{len(blocks)} blocks"
        for block in blocks:
            if block["type"] == "section":
                assert len(block.get("text", {}).get("text", "")) <= SECTION_TEXT
                assert all(len(f["text"]) <= FIELD_TEXT for f in block.get("fields", []))
    for node in _nodes(sample.payload):
        if node.get("type") == "button":
            assert len(node.get("value", "")) <= MAX_VALUE
        if "options" in node:
            for option in node["options"]:
                assert len(option["value"]) <= OPTION_VALUE
                assert len(option["text"]["text"]) <= MAX_OPTION_TEXT


@pytest.mark.parametrize("name", BUILDERS)
def test_every_image_is_a_https_link_or_a_slack_file_with_a_picture(name: str) -> None:
    sample = built(name)
    for node in _nodes(sample.payload):
        if node.get("type") != "image":
            continue
        source = node.get("image_url") or node["slack_file"]["id"]
        assert source in PICTURES, source
        if "image_url" in node:
            assert node["image_url"].startswith("https://")


# Drawn by the bot's own code, not from Block Kit: the audit's chart (bot.images.chart).
DRAWN = {"audit-chart"}


def test_every_sample_has_its_picture_and_every_picture_its_sample() -> None:
    assert set(BUILDERS) | DRAWN == {png.stem for png in IMAGES.glob("*.png")}
