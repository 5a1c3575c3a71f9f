"""Block Kit → one self-contained HTML page in Slack's look (Lato, Slack's message layout, modal
and Home tab), for headless Chromium to photograph. It draws only what the samples use, as Slack
draws it: sections (text, fields, accessory), context, divider, header, image, actions and input
blocks with their elements, and mrkdwn (bold, italic, strike, code, pre, links, mentions, dates,
:emoji: and Slack's &amp; &lt; &gt;). Pictures come in as data: URIs: the page loads nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.pictures.samples import Sample

FOOTER = "Rendered from the bot's own Block Kit in Slack's style: not a screenshot of Slack"
APP_NAME = "Ecwid Image"
SENTINEL = (255, 0, 255)  # the page around the picture: cropped away (never a colour it uses)
WIDTHS = {"message": 860, "modal": 640, "home": 860}

Block = Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    """What drawing a sample needs besides its blocks."""

    picture: Callable[[str], str]  # a link or a Slack file id → a data: URI
    avatar: str  # the app's icon, a data: URI
    people: Mapping[str, str]  # U… → the name a mention shows
    channels: Mapping[str, str]  # C… → the channel's name
    groups: Mapping[str, str]  # S… → the user group's handle
    now: datetime  # "today" for dates, and the time messages show
    unknown_emoji: set[str] = field(default_factory=set)  # shortcodes drawn as text: add them


# The shortcodes the bot's texts use (bot/slack/texts.py), as the emoji Slack shows for them.
EMOJI = {
    "arrows_counterclockwise": "\U0001f504",
    "broom": "\U0001f9f9",
    "bulb": "\U0001f4a1",
    "card_index_dividers": "\U0001f5c2\ufe0f",
    "chart_with_upwards_trend": "\U0001f4c8",
    "clipboard": "\U0001f4cb",
    "dart": "\U0001f3af",
    "double_vertical_bar": "\u23f8\ufe0f",
    "eyes": "\U0001f440",
    "frame_with_picture": "\U0001f5bc\ufe0f",
    "heavy_multiplication_x": "\u2716\ufe0f",
    "hourglass": "\u231b",
    "hourglass_flowing_sand": "\u23f3",
    "information_source": "\u2139\ufe0f",
    "new": "\U0001f195",
    "left_right_arrow": "\u2194\ufe0f",
    "leftwards_arrow_with_hook": "\u21a9\ufe0f",
    "lock": "\U0001f512",
    "mag": "\U0001f50d",
    "mag_right": "\U0001f50e",
    "no_entry": "\u26d4",
    "no_entry_sign": "\U0001f6ab",
    "octagonal_sign": "\U0001f6d1",
    "page_facing_up": "\U0001f4c4",
    "question": "\u2753",
    "sparkles": "\u2728",
    "stethoscope": "\U0001fa7a",
    "twisted_rightwards_arrows": "\U0001f500",
    "warning": "\u26a0\ufe0f",
    "white_check_mark": "\u2705",
    "x": "\u274c",
}

# ---- mrkdwn ------------------------------------------------------------------------------------

_PRE = re.compile(r"```\n?(.+?)```", re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_ANGLE = re.compile(r"<([^<>\n]+)>")
_SHORTCODE = re.compile(r":([a-z][a-z0-9_+-]*):")
_HOLE = re.compile("\ue000(\\d+)\ue001")  # a finished piece of HTML, kept out of the styling
_STYLES = [  # Slack's rule: the marks sit at word edges, around text that does not start or end blank
    (re.compile(rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]+?)(?<=\S){m}(?![\w{m}])"), tag)
    for m, tag in ((r"\*", "b"), ("_", "i"), ("~", "s"))
]


def _unescape(text: str) -> str:
    """Slack's three entities, the only ones mrkdwn has."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _inert(text: str) -> str:
    return html.escape(_unescape(text), quote=False)


def emoji(name: str, page: Page) -> str:
    shown = EMOJI.get(name)
    if shown is None:
        page.unknown_emoji.add(name)
        return html.escape(f":{name}:")
    return f'<span class="emoji">{shown}</span>'


def _emojified(text: str, page: Page) -> str:
    """Plain text (no entities: `&` is itself) with its :shortcodes: as emoji, as `"emoji":
    true` asks."""
    shown = _SHORTCODE.sub(lambda m: emoji(m[1], page), html.escape(text, quote=False))
    return shown.replace("\n", "<br>")


def mrkdwn(text: str, page: Page) -> str:
    holes: list[str] = []

    def hole(piece: str) -> str:
        holes.append(piece)
        return f"\ue000{len(holes) - 1}\ue001"

    text = _PRE.sub(lambda m: hole(f"<pre>{_inert(m[1])}</pre>"), text)
    text = _CODE.sub(lambda m: hole(f"<code>{_inert(m[1])}</code>"), text)
    text = _ANGLE.sub(lambda m: hole(_angle(m[1], page)), text)
    text = _SHORTCODE.sub(lambda m: hole(emoji(m[1], page)), text)
    text = _inert(text)
    for pattern, tag in _STYLES:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    text = text.replace("\n", "<br>")
    return _HOLE.sub(lambda m: holes[int(m[1])], text)


def _angle(token: str, page: Page) -> str:
    """<@U…>, <#C…>, <!subteam^S…>, <!date^…|…>, <!here>, <url|text>, <url>."""
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return _mention("@" + (label or page.people.get(target[1:], target[1:])))
    if target.startswith("#"):
        return _mention("#" + (label or page.channels.get(target[1:], target[1:])))
    if target.startswith("!subteam^"):
        group = target.removeprefix("!subteam^")
        return _mention(label or "@" + page.groups.get(group, group))
    if target.startswith("!date^"):
        return html.escape(_date(target, label, page.now))
    if target in ("!here", "!channel", "!everyone"):
        return _mention("@" + target[1:])
    return f'<a href="#">{_inert(label or target)}</a>'


def _mention(text: str) -> str:
    return f'<span class="mention">{html.escape(text)}</span>'


def _date(target: str, fallback: str, now: datetime) -> str:
    """<!date^STAMP^FORMAT|fallback>, in the reader's zone (here: the sample's, UTC)."""
    parts = target.split("^")
    if len(parts) < 3 or not parts[1].isdigit():
        return _unescape(fallback)
    at = datetime.fromtimestamp(int(parts[1]), UTC)
    day = {0: "Today", 1: "Yesterday", -1: "Tomorrow"}.get((now.date() - at.date()).days)
    tokens = {
        "date_num": at.strftime("%Y-%m-%d"),
        "date": at.strftime("%B %-d, %Y"),
        "date_short": at.strftime("%b %-d, %Y"),
        "date_long": at.strftime("%A, %B %-d, %Y"),
        "date_pretty": day or at.strftime("%B %-d, %Y"),
        "date_short_pretty": day or at.strftime("%b %-d, %Y"),
        "date_long_pretty": day or at.strftime("%A, %B %-d, %Y"),
        "time": _clock(at),
        "time_secs": at.strftime("%-I:%M:%S %p"),
    }
    return re.sub(r"\{(\w+)\}", lambda m: tokens.get(m[1], m[0]), parts[2])


def _clock(at: datetime) -> str:
    return at.strftime("%-I:%M %p")


def text_object(text: Mapping[str, Any] | str | None, page: Page) -> str:
    """A text object (plain_text or mrkdwn) as HTML."""
    if text is None:
        return ""
    if isinstance(text, str):
        return _emojified(text, page)
    if text.get("type") == "mrkdwn":
        return mrkdwn(str(text.get("text", "")), page)
    return _emojified(str(text.get("text", "")), page)


# ---- elements ----------------------------------------------------------------------------------

_CHEVRON = (
    '<svg class="chevron" viewBox="0 0 20 20"><path d="M5.5 8l4.5 4.5L14.5 8" fill="none" '
    'stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>'
)
_DOTS = (
    '<svg viewBox="0 0 20 20" width="18" height="18"><circle cx="4.5" cy="10" r="1.6"/>'
    '<circle cx="10" cy="10" r="1.6"/><circle cx="15.5" cy="10" r="1.6"/></svg>'
)
_HASH = (
    '<svg class="hash" viewBox="0 0 20 20"><path d="M8 3L6.5 17M13.5 3L12 17M3.5 7.5h14M2.5 '
    '12.5h14" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/></svg>'
)
_UPLOAD = (
    '<svg viewBox="0 0 24 24" width="22" height="22"><path d="M12 16V5m0 0l-4.5 4.5M12 5l4.5 '
    '4.5M5 15v3a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" '
    'stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
_CLOSE = (
    '<svg viewBox="0 0 20 20" width="20" height="20"><path d="M5 5l10 10M15 5L5 15" '
    'stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/></svg>'
)


def element(node: Block, page: Page) -> str:
    kind = str(node.get("type"))
    draw = _ELEMENTS.get(kind)
    if draw is None:
        raise ValueError(f"no drawing for the element {kind!r}: add one to render.py")
    return draw(node, page)


def _button(node: Block, page: Page) -> str:
    style = node.get("style")
    classes = "button" + (f" {style}" if style in ("primary", "danger") else "")
    return f'<span class="{classes}">{text_object(node.get("text"), page)}</span>'


def _overflow(node: Block, page: Page) -> str:
    return f'<span class="button overflow">{_DOTS}</span>'


def _image_element(node: Block, page: Page) -> str:
    return f'<img class="thumb" src="{page.picture(_source(node))}" alt="{html.escape(str(node.get("alt_text", "")))}">'


def _source(node: Block) -> str:
    """An image's link or its Slack file's id (the two ways Block Kit names an image)."""
    if "image_url" in node:
        return str(node["image_url"])
    return str(node["slack_file"]["id"])


def _select(node: Block, page: Page) -> str:
    initial = node.get("initial_option")
    chosen = node.get("initial_options") or ([initial] if initial else [])
    conversation = node.get("initial_conversation")
    if conversation is None and node.get("default_to_current_conversation"):
        conversation = next(iter(page.channels), None)  # the sample's channel is "here"
    if chosen:
        shown = ", ".join(text_object(option["text"], page) for option in chosen)
    elif conversation:
        name = page.channels.get(str(conversation), str(conversation))
        shown = f'<span class="channel">{_HASH}{html.escape(name)}</span>'
    else:
        default = _PLACEHOLDERS.get(str(node.get("type")), "Select an item")
        placeholder = text_object(node.get("placeholder") or default, page)
        shown = f'<span class="placeholder">{placeholder}</span>'
    return f'<div class="field select"><span>{shown}</span>{_CHEVRON}</div>'


_PLACEHOLDERS = {
    "conversations_select": "Select a conversation",
    "channels_select": "Select a channel",
    "users_select": "Select a user",
    "multi_static_select": "Select options",
}


def _text_input(node: Block, page: Page) -> str:
    value = node.get("initial_value")
    if value:
        shown = _inert(str(value))
    else:
        shown = f'<span class="placeholder">{text_object(node.get("placeholder"), page)}</span>'
    multiline = " multiline" if node.get("multiline") else ""
    return f'<div class="field{multiline}">{shown}</div>'


def _file_input(node: Block, page: Page) -> str:
    return (
        f'<div class="dropzone">{_UPLOAD}<div><b>Drag and drop a file</b> or '
        '<span class="link">click to upload</span></div></div>'
    )


def _choices(node: Block, page: Page, *, radio: bool) -> str:
    chosen = {o["value"] for o in node.get("initial_options", [])}
    if node.get("initial_option"):
        chosen.add(node["initial_option"]["value"])
    rows = []
    for option in node.get("options", []):
        mark = "radio" if radio else "checkbox"
        state = " on" if option["value"] in chosen else ""
        description = option.get("description")
        note = (
            f'<div class="description">{text_object(description, page)}</div>'
            if description
            else ""
        )
        rows.append(
            f'<div class="choice"><span class="{mark}{state}"></span>'
            f"<div>{text_object(option['text'], page)}{note}</div></div>"
        )
    return f'<div class="choices">{"".join(rows)}</div>'


_ELEMENTS: dict[str, Callable[[Block, Page], str]] = {
    "button": _button,
    "overflow": _overflow,
    "image": _image_element,
    "static_select": _select,
    "external_select": _select,
    "multi_static_select": _select,
    "multi_external_select": _select,
    "conversations_select": _select,
    "channels_select": _select,
    "users_select": _select,
    "plain_text_input": _text_input,
    "number_input": _text_input,
    "url_text_input": _text_input,
    "email_text_input": _text_input,
    "file_input": _file_input,
    "radio_buttons": lambda node, page: _choices(node, page, radio=True),
    "checkboxes": lambda node, page: _choices(node, page, radio=False),
}


# ---- blocks ------------------------------------------------------------------------------------


def block(node: Block, page: Page) -> str:
    kind = str(node.get("type"))
    draw = _BLOCKS.get(kind)
    if draw is None:
        raise ValueError(f"no drawing for the block {kind!r}: add one to render.py")
    return f'<div class="block {kind}">{draw(node, page)}</div>'


def _section(node: Block, page: Page) -> str:
    parts = []
    if node.get("text"):
        parts.append(f'<div class="mrkdwn">{text_object(node["text"], page)}</div>')
    if node.get("fields"):
        cells = "".join(f'<div class="mrkdwn">{text_object(f, page)}</div>' for f in node["fields"])
        parts.append(f'<div class="fields">{cells}</div>')
    accessory = node.get("accessory")
    side = f'<div class="accessory">{element(accessory, page)}</div>' if accessory else ""
    return f'<div class="main">{"".join(parts)}</div>{side}'


def _context(node: Block, page: Page) -> str:
    shown = []
    for item in node.get("elements", []):
        if item.get("type") == "image":
            shown.append(f'<img src="{page.picture(_source(item))}" alt="">')
        else:
            shown.append(f'<span class="mrkdwn">{text_object(item, page)}</span>')
    return "".join(shown)


def _image(node: Block, page: Page) -> str:
    title = node.get("title")
    head = (
        f'<div class="image-title">{text_object(title, page)} <span class="caret">▾</span></div>'
        if title
        else ""
    )
    alt = html.escape(str(node.get("alt_text", "")))
    return f'{head}<img class="picture" src="{page.picture(_source(node))}" alt="{alt}">'


def _actions(node: Block, page: Page) -> str:
    return "".join(element(item, page) for item in node.get("elements", []))


def _header(node: Block, page: Page) -> str:
    return text_object(node.get("text"), page)


def _divider(node: Block, page: Page) -> str:
    return "<hr>"


def _input(node: Block, page: Page) -> str:
    optional = ' <span class="optional">(optional)</span>' if node.get("optional") else ""
    label = f'<div class="label">{text_object(node.get("label"), page)}{optional}</div>'
    hint = node.get("hint")
    under = f'<div class="hint">{text_object(hint, page)}</div>' if hint else ""
    return f"{label}{element(node['element'], page)}{under}"


_BLOCKS: dict[str, Callable[[Block, Page], str]] = {
    "section": _section,
    "context": _context,
    "image": _image,
    "actions": _actions,
    "header": _header,
    "divider": _divider,
    "input": _input,
}


def blocks(nodes: Sequence[Block], page: Page) -> str:
    return "".join(block(node, page) for node in nodes)


# ---- surfaces ----------------------------------------------------------------------------------


def _message(message: Mapping[str, Any], at: datetime, page: Page) -> str:
    if message.get("blocks"):
        body = blocks(message["blocks"], page)
    else:  # a text-only message: its text is the message
        body = f'<div class="block section"><div class="main"><div class="mrkdwn">{mrkdwn(message["text"], page)}</div></div></div>'
    files = "".join(_file(shared) for shared in message.get("files", []))
    return (
        f'<div class="message"><img class="avatar" src="{page.avatar}" alt="">'
        f'<div class="content"><div class="meta"><span class="sender">{APP_NAME}</span>'
        f'<span class="badge">APP</span><span class="time">{_clock(at)}</span></div>'
        f"{body}{files}</div></div>"
    )


def _file(shared: Mapping[str, str]) -> str:
    return (
        '<div class="file"><div class="file-icon"><svg viewBox="0 0 24 24" width="22" height="22">'
        '<path d="M5 6h14M5 11h14M5 16h14M10 3v18" stroke="#fff" stroke-width="1.6"/></svg></div>'
        f'<div><div class="file-name">{html.escape(shared["name"])}</div>'
        f'<div class="file-kind">{html.escape(shared.get("kind", "File"))}</div></div></div>'
    )


def _conversation(sample: Sample, page: Page) -> str:
    messages = sample.messages
    channel = next(iter(page.channels.values()), "general")
    threaded = any(m.get("reply") for m in messages)
    start = page.now - timedelta(minutes=len(messages) - 1)
    shown = []
    for index, message in enumerate(messages):
        if message.get("reply") and not messages[index - 1].get("reply"):
            count = sum(1 for m in messages if m.get("reply"))
            shown.append(f'<div class="replies">{count} repl{"y" if count == 1 else "ies"}</div>')
        shown.append(_message(message, start + timedelta(minutes=index), page))
    if threaded:
        bar = f'<div class="bar"><b>Thread</b><span class="where">{_HASH}{html.escape(channel)}</span><span class="close">{_CLOSE}</span></div>'
    else:
        bar = f'<div class="bar"><b class="channel-name">{_HASH}{html.escape(channel)}</b></div>'
    return f'{bar}<div class="messages">{"".join(shown)}</div>'


def _modal(sample: Sample, page: Page) -> str:
    view = sample.view
    submit = view.get("submit")
    close = view.get("close") or {"type": "plain_text", "text": "Cancel"}
    buttons = f'<span class="button">{text_object(close, page)}</span>'
    if submit:
        buttons += f'<span class="button primary">{text_object(submit, page)}</span>'
    return (
        '<div class="backdrop"><div class="modal"><div class="modal-head">'
        f'<img class="modal-icon" src="{page.avatar}" alt=""><span class="modal-title">'
        f'{text_object(view.get("title"), page)}</span><span class="close">{_CLOSE}</span></div>'
        f'<div class="modal-body">{blocks(view["blocks"], page)}</div>'
        f'<div class="modal-foot">{buttons}</div></div></div>'
    )


def _home(sample: Sample, page: Page) -> str:
    tabs = "".join(
        f'<span class="tab{" on" if name == "Home" else ""}">{name}</span>'
        for name in ("Home", "Messages", "About")
    )
    return (
        f'<div class="home-head"><img class="avatar" src="{page.avatar}" alt="">'
        f'<span class="app-name">{APP_NAME}</span></div><div class="tabs">{tabs}</div>'
        f'<div class="home-body">{blocks(sample.view["blocks"], page)}</div>'
    )


_SURFACES: dict[str, Callable[[Sample, Page], str]] = {
    "message": _conversation,
    "modal": _modal,
    "home": _home,
}


def document(sample: Sample, page: Page) -> str:
    """The whole page: the picture is the .frame, at the top left, on the sentinel colour."""
    width = WIDTHS[sample.surface]
    body = _SURFACES[sample.surface](sample, page)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(sample.title)}</title>'
        f"<style>{_CSS}.frame{{width:{width}px}}</style></head><body>"
        f'<div class="frame frame-{sample.surface}">{body}<div class="footer">{FOOTER}</div></div>'
        "</body></html>"
    )


_CSS = """
*{box-sizing:border-box}
html,body{margin:0;background:rgb(255,0,255)}
body{font-family:Lato,"DejaVu Sans",sans-serif;font-size:15px;line-height:22px;color:#1d1c1d;
 -webkit-font-smoothing:antialiased;font-variant-ligatures:common-ligatures}
.frame{background:#fff;display:flow-root;overflow:hidden}
b{font-weight:700}
a,.link{color:#1264a3;text-decoration:none}
code{font-family:"DejaVu Sans Mono",Menlo,monospace;font-size:12px;line-height:18px;color:#e01e5a;
 background:rgba(29,28,29,.04);border:1px solid rgba(29,28,29,.13);border-radius:3px;padding:2px 3px 1px;
 overflow-wrap:anywhere}
pre{font-family:"DejaVu Sans Mono",Menlo,monospace;font-size:12px;line-height:18px;margin:4px 0;
 background:rgba(29,28,29,.04);border:1px solid rgba(29,28,29,.13);border-radius:4px;padding:8px;white-space:pre-wrap}
.mention{color:#1264a3;background:rgba(29,155,209,.1);border-radius:3px;padding:0 2px}
.emoji{font-family:"Noto Color Emoji";font-size:18px;line-height:1;vertical-align:-2px;
 display:inline-block;width:22px;text-align:center;font-weight:400;font-style:normal}
.bar{height:50px;display:flex;align-items:center;gap:10px;padding:0 20px;border-bottom:1px solid #e2e2e2;
 font-size:18px}
.bar b{font-weight:900}
.bar .where{display:inline-flex;align-items:center;font-size:13px;color:#616061}
.bar .channel-name{display:inline-flex;align-items:center}
.bar .close{margin-left:auto;color:#616061;display:flex}
.hash{width:1em;height:1em;margin-right:2px}
.messages{padding:8px 0 4px}
.message{display:flex;gap:8px;padding:8px 20px}
.avatar{width:36px;height:36px;border-radius:6px;flex:none}
.content{flex:1;min-width:0}
.meta{display:flex;align-items:baseline;gap:4px;line-height:20px}
.sender{font-weight:900}
.badge{font-size:10px;font-weight:700;line-height:1.2;letter-spacing:.2px;color:rgba(29,28,29,.7);
 background:rgba(29,28,29,.13);border-radius:2px;padding:1px 3px;align-self:center}
.time{font-size:12px;color:#616061;margin-left:2px}
.replies{display:flex;align-items:center;gap:12px;padding:2px 20px;font-size:13px;line-height:18px;color:#616061}
.replies::after{content:"";flex:1;border-top:1px solid #e2e2e2}
.block{padding:4px 0}
.block.section{display:flex;gap:12px;align-items:flex-start}
.section .main{flex:1;min-width:0}
.mrkdwn{overflow-wrap:anywhere}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:4px}
.accessory{flex:none}
.accessory .field,.block.actions .field{min-height:28px;min-width:200px}
.thumb{width:88px;height:88px;object-fit:cover;border-radius:8px;display:block}
.block.context{display:flex;flex-wrap:wrap;align-items:center;gap:6px 8px;font-size:12px;line-height:18px;color:#616061}
.block.context img{width:20px;height:20px;object-fit:cover;border-radius:4px}
.block.context .emoji{font-size:14px;width:18px;vertical-align:-1px}
.block.actions{display:flex;flex-wrap:wrap;gap:8px;padding:8px 0 4px}
.button{display:inline-flex;align-items:center;justify-content:center;height:28px;padding:0 12px;
 font-size:13px;font-weight:700;line-height:1;white-space:nowrap;color:#1d1c1d;background:#fff;
 border:1px solid rgba(29,28,29,.3);border-radius:4px}
.button.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.button.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
.button.overflow{width:28px;padding:0;fill:#1d1c1d}
.block.header{font-size:18px;font-weight:900;line-height:24px;padding:12px 0 4px}
hr{border:0;border-top:1px solid #e2e2e2;margin:12px 0 8px}
.image-title{font-size:13px;line-height:18px;color:#616061;margin-bottom:4px}
.caret{font-size:10px}
.picture{display:block;max-width:360px;max-height:300px;border-radius:8px;border:1px solid rgba(29,28,29,.1)}
.file{display:flex;align-items:center;gap:12px;width:380px;margin-top:8px;padding:12px;
 border:1px solid rgba(29,28,29,.13);border-radius:8px}
.file-icon{width:40px;height:40px;border-radius:6px;background:#2bac76;display:flex;align-items:center;justify-content:center}
.file-name{font-weight:700;font-size:15px;line-height:20px}
.file-kind{font-size:13px;line-height:18px;color:#616061}
.footer{font-size:11px;line-height:14px;color:#8a8a8a;text-align:right;padding:6px 16px 8px;border-top:1px solid #f0f0f0}
.frame-modal{background:#8d8c8d}
.frame-modal .footer{background:#fff}
.backdrop{padding:36px 60px}
.modal{background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 0 0 1px rgba(29,28,29,.13),0 18px 48px rgba(0,0,0,.35)}
.modal-head{height:70px;display:flex;align-items:center;gap:12px;padding:0 20px 0 28px}
.modal-icon{width:24px;height:24px;border-radius:4px}
.modal-title{font-size:22px;font-weight:900}
.modal-head .close{margin-left:auto;color:#616061;display:flex}
.modal-body{padding:0 28px 12px}
.modal-foot{display:flex;justify-content:flex-end;gap:12px;padding:20px 28px 24px;border-top:1px solid #e2e2e2}
.modal-foot .button{height:36px;padding:0 16px;font-size:15px}
.block.input{padding:8px 0 12px}
.label{font-weight:700;margin-bottom:8px}
.optional{font-weight:400;color:#616061}
.field{display:flex;align-items:center;min-height:40px;padding:0 12px;border:1px solid rgba(29,28,29,.3);border-radius:4px}
.field.multiline{min-height:80px;align-items:flex-start;padding-top:9px}
.field.select{justify-content:space-between;gap:8px}
.field.select>span{display:flex;align-items:center}
.field .channel{display:inline-flex;align-items:center}
.chevron{width:20px;height:20px;color:#616061;flex:none}
.placeholder{color:#868686}
.hint{font-size:13px;line-height:18px;color:#616061;margin-top:6px}
.dropzone{display:flex;flex-direction:column;align-items:center;gap:6px;padding:20px;font-size:13px;line-height:18px;color:#616061;
 border:1px dashed rgba(29,28,29,.3);border-radius:8px}
.dropzone b{color:#1d1c1d}
.choices{display:flex;flex-direction:column;gap:8px}
.choice{display:flex;gap:8px;align-items:flex-start}
.radio,.checkbox{width:16px;height:16px;margin-top:3px;flex:none;border:1px solid rgba(29,28,29,.5);background:#fff}
.radio{border-radius:50%}
.checkbox{border-radius:4px}
.radio.on{border:5px solid #1264a3}
.checkbox.on{background:#1264a3;border-color:#1264a3;color:#fff;font-size:11px;line-height:14px;text-align:center}
.checkbox.on::after{content:"✓"}
.description{font-size:13px;line-height:18px;color:#616061}
.block.image{padding:6px 0}
.home-head{display:flex;align-items:center;gap:10px;padding:16px 24px 8px}
.app-name{font-size:18px;font-weight:900}
.tabs{display:flex;gap:24px;padding:0 24px;border-bottom:1px solid #e2e2e2}
.tab{padding:8px 0 9px;font-size:13px;line-height:18px;font-weight:700;color:#616061}
.tab.on{color:#1d1c1d;box-shadow:inset 0 -2px #1d1c1d}
.home-body{padding:12px 24px 20px}
"""
