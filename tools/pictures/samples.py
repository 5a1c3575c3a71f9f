"""What the bot posts, built by its own view builders and texts from a shoe store's sample data:
the pictures in docs/images/ are drawn from these, and tests/unit/test_sample_views.py checks
them as Slack would. Nothing here builds a block: each sample calls the builder the bot calls,
with the arguments it passes (see bot/slack/notify.py, gallery_report.py and home.py).

Image URLs stay https:// links, as real ones are; PICTURES says which drawing (artwork.SHOTS)
stands for each link or Slack file id when the samples are rendered. Importable without a
browser and without the network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.changes.records import UndoRecord
from bot.domain import texts as TEXTS
from bot.domain.audit import AuditImage, AuditItem, Scope, Tally, since
from bot.domain.audit import Slot as AuditSlot
from bot.domain.bulk import BulkLine
from bot.domain.requests import Draft, ProductSku, SharedFile, Size, UploadRequest, ValidationError
from bot.domain.tenant import ONE_WORKSPACE
from bot.ecwid.models import (
    CurrentImage,
    Gallery,
    GalleryImage,
    ImageSlot,
    Product,
    StoreLanguages,
    UploadResult,
    Variation,
)
from bot.flows.audit import Audited
from bot.flows.bulk_plan import Stamp, Suggested, _Checked, _conversions, _copy_reads, _record
from bot.flows.upload import Uploaded
from bot.images.chart import alt_coverage_chart
from bot.images.convert import Prepared
from bot.images.probe import ImageInfo
from bot.jobs.history import Action, Change
from bot.jobs.store import Counts, Job, JobState, Line, LineState, count_lines
from bot.slack import texts
from bot.slack.views.audit_card import audit_blocks
from bot.slack.views.bulk_message import (
    finished_blocks,
    line_list,
    plan_blocks,
    progress_blocks,
)
from bot.slack.views.gallery_card import card_blocks
from bot.slack.views.history import home_view
from bot.slack.views.upload_form import upload_form
from bot.slack.views.upload_result import result_blocks

Surface = Literal["message", "modal", "home"]


@dataclass(frozen=True)
class Sample:
    """One picture's worth of Block Kit. For a message: the messages shown together (a thread's
    parent and its reply), each {"text", "blocks"} as chat.postMessage takes them, with the
    picture's own keys "reply" (in the thread) and "files" (files shared with it). For a modal
    or the Home tab: the view, as views.open or views.publish takes it."""

    name: str  # docs/images/<name>.png
    title: str
    surface: Surface
    payload: list[dict[str, Any]] | dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        assert isinstance(self.payload, list), self.name
        return self.payload

    @property
    def view(self) -> dict[str, Any]:
        assert isinstance(self.payload, dict), self.name
        return self.payload


# ---- the store, its people and its pictures ----------------------------------------------------

NOW = datetime(2025, 6, 12, 10, 42, tzinfo=UTC)
MINUTE = 60.0
PEOPLE = {"U01ANNA": "Anna Jansen", "U02BRAM": "Bram Peeters", "U03CLARA": "Clara Weber"}
CHANNELS = {"C01PHOTOS": "product-images"}
GROUPS = {"S01CATALOG": "catalog-team"}
ANNA, BRAM = "U01ANNA", "U02BRAM"
STORE_ID = 84512337  # the store every sample is of
CHANNEL = "C01PHOTOS"
WORKSPACE = "https://stride-and-co.slack.com"
CDN = "https://images.example-cdn.com/stride"
LANGUAGES = StoreLanguages(default="en", enabled=("en", "nl", "de"))

NEW_SIDE = f"{CDN}/rs-1/trail-side-2025.jpg"  # the upload's link
KEPT_RS1 = "F07RS1BEFORE"  # the previous image, kept as a file in the thread
MESSAGE_PHOTO = "F07IMG2041"  # a phone photo shared in a message, opened in the form
# Each link or Slack file id the samples show, and the drawing that stands for it.
PICTURES: dict[str, str] = {
    NEW_SIDE: "red-trail",
    KEPT_RS1: "red-old",
    MESSAGE_PHOTO: "red-grass",
    f"{CDN}/rs-1/160/main.jpg": "red-trail",
    f"{CDN}/rs-1/160/studio.jpg": "red-studio",
    f"{CDN}/rs-1/160/grass.jpg": "red-grass",
    f"{CDN}/rs-1/160/street.jpg": "red-brick",
    f"{CDN}/rs-2/160/old.jpg": "blue-old",
    f"{CDN}/rs-2/160/studio.jpg": "blue-studio",
    f"{CDN}/cl-7/160/street.jpg": "white-brick",
    f"{CDN}/cv-3/160/studio.jpg": "black-studio",
}


def _sizes(sku: str, first_id: int) -> tuple[Variation, ...]:
    return tuple(
        Variation(first_id + i, f"{sku}-{size}", (("Size", str(size)),))
        for i, size in enumerate(range(41, 45))
    )


RED = Product(512390871, "Trail runner — red", "RS-1", variations=_sizes("RS-1", 90311))
BLUE = Product(512390872, "Trail runner — blue", "RS-2", variations=_sizes("RS-2", 90321))
WHITE = Product(498221340, "Court classic — white", "CL-7")
BLACK = Product(498221355, "Canvas low — black", "CV-3")
BOOT = Product(530117602, "Hiking boot — brown", "HB-5")
ALT_RED = {
    "en": "Red trail running shoe on a gravel path, side view",
    "nl": "Rode trailschoen op een grindpad, zijaanzicht",
    "de": "Roter Trailschuh auf einem Kiesweg, Seitenansicht",
}


def _change_id(n: int) -> str:
    return f"{n:032x}"


# ---- an upload: the parent in the channel and its thread's reply -------------------------------


def upload_reply() -> Sample:
    slot = ImageSlot(RED.id, "main")
    request = UploadRequest(
        product=ProductSku("RS-1"),
        image_url=NEW_SIDE,
        size=None,
        alt_main=ALT_RED["en"],
        alt_translated={"nl": ALT_RED["nl"], "de": ALT_RED["de"]},
    )
    uploaded = Uploaded(
        request=request,
        image=ImageInfo(format="JPEG", width=1600, height=1200, bytes_read=65536, url=NEW_SIDE),
        size=Size(1600, 1200),
        slot=slot,
        result=UploadResult(image_id=2841559067),
        undo=UndoRecord(
            slot=slot,
            new_image_id=None,
            after=None,
            kept_file=KEPT_RS1,
            alt_main="Red running shoe",
            change_id=_change_id(0x7A3F),
        ),
        prepared=Prepared(
            data=b"",
            format="JPEG",
            width=1600,
            height=1200,
            source_format="JPEG",
            bytes_before=6_800_000,
            location_removed=True,
        ),
    )
    # SlackUploadReport.finish and offer_undo: the parent updated, the reply with its images.
    body = texts.upload_succeeded(uploaded)
    parent = texts.parent_finished(ANNA, RED, slot, ok=True)
    reply = result_blocks(uploaded, RED, body, images=True)
    return Sample(
        "upload-reply",
        "An upload: the channel message and its thread's reply, with Undo",
        "message",
        [_message(parent), _message(body, reply, reply_in_thread=True)],
    )


# ---- the upload form ---------------------------------------------------------------------------


def upload_form_sample() -> Sample:
    # Opened with "Use as product image" on a message with a phone photo, for SKU RS-1.
    photo = SharedFile(
        id=MESSAGE_PHOTO,
        name="IMG_2041.HEIC",
        mimetype="image/heic",
        size=2_310_000,
        download_url=f"https://files.slack.com/files-pri/T01STRIDE-{MESSAGE_PHOTO}/img_2041.heic",
    )
    draft = Draft(product=ProductSku("RS-1"), files=(photo,), target="gallery")
    view = upload_form(draft, languages=LANGUAGES, product=RED, channel_id=CHANNEL)
    return Sample(
        "upload-form", "The upload form, opened from a shared photo", "modal", _view(view)
    )


# ---- a bulk job: its plan, its progress, its totals and report ---------------------------------

JOB = Job(
    id="5f1c2a9e7b3d4e61a0c8f2d9b6e4a713",
    user_id=ANNA,
    channel_id=CHANNEL,
    message_ts="1749724920.001200",
    source="files",
    state=JobState.PLANNED,
    created_at=NOW.timestamp() - 12 * MINUTE,
    team_id=ONE_WORKSPACE,
    store_id=STORE_ID,
)
# The photos of one message, named by SKU: what each file's name says, and the product found.
DROPPED: list[tuple[str, str, str, Product | None]] = [
    ("RS-1.jpg", "RS-1", "main", RED),
    ("RS-1_2.jpg", "RS-1", "gallery", RED),
    ("RS-2.jpg", "RS-2", "main", BLUE),
    ("CL-7.HEIC", "CL-7", "main", WHITE),
    ("CV-3-front.jpg", "CV-3", "gallery", BLACK),
    ("HB-5.jpg", "HB-5", "main", BOOT),
    ("RS-7.jpg", "RS-7", "main", None),  # no such SKU: the plan suggests the closest
]


def _planned() -> tuple[list[Line], dict[str, int], int]:
    """The job's lines as the planner records them, what will be converted, and the reads that
    keeping the replaced images costs."""
    checked: list[_Checked | ValidationError] = []
    lines: list[BulkLine] = []
    for number, (name, sku, target, product) in enumerate(DROPPED, 1):
        mimetype = "image/heic" if name.endswith(".HEIC") else "image/jpeg"
        file = SharedFile(f"F07DROP{number:04d}", name, mimetype, 1_900_000 + number * 37_000)
        request = UploadRequest(ProductSku(sku), None, None, file=file, target=target)
        lines.append(BulkLine(number, name, request))
        if product is None:
            checked.append(Suggested(sku, ["RS-1", "RS-2"], file, target))
        else:
            slot = ImageSlot(product.id, target)
            checked.append(_Checked(product, slot, request, None, {}))
    stamp = Stamp.of(STORE_ID, JOB)
    records = [_record(line, result, stamp) for line, result in zip(lines, checked, strict=True)]
    return records, _conversions(checked), _copy_reads(checked)


def bulk_plan() -> Sample:
    lines, converting, copy_reads = _planned()
    counts = count_lines(lines)
    # SlackBulkReport.planned
    text = texts.bulk_plan(JOB.user_id, counts.pending, counts.invalid)
    blocks = plan_blocks(JOB, lines, counts, converting, copy_reads)
    return Sample(
        "bulk-plan", "A bulk job's plan, before Start", "message", [_message(text, blocks)]
    )


def bulk_progress() -> Sample:
    job = _started(JobState.RUNNING)
    counts = Counts(done=4, pending=2, invalid=1)
    # SlackBulkReport.progress
    headline, figures = texts.bulk_progress(
        job.started_by,
        title="Bulk upload",
        done=counts.done,
        failed=counts.failed,
        skipped=counts.skipped,
        left=counts.pending,
        per_minute=14,
        seconds_left=40,
        paused=False,
        stopping=False,
    )
    blocks = progress_blocks(headline, figures, job, stoppable=True)
    return Sample(
        "bulk-progress",
        "The same job running",
        "message",
        [_message(f"{headline}\n{figures}", blocks)],
    )


def bulk_report() -> Sample:
    job = _started(JobState.FINISHED)
    planned, _, _ = _planned()
    failed = Line(
        6,
        "HB-5.jpg",
        "sku:HB-5 (Hiking boot — brown)",
        "main",
        None,
        LineState.FAILED,
        reason="Ecwid refused the request.",
        quoted="Image dimensions must not exceed 10000x10000 px",
    )
    lines = [
        failed if line.number == failed.number else _done(line) for line in planned[:6]
    ] + planned[6:]
    counts = count_lines(lines)
    # SlackBulkReport.finished: the job's message, then the report in its thread.
    text = texts.bulk_finished(
        job.user_id,
        done=counts.done,
        failed=counts.failed,
        not_run=counts.not_run,
        invalid=counts.invalid,
        stopped_by=None,
    )
    blocks = finished_blocks(text, job, counts.done)
    failures = [line for line in lines if line.status == "failed"]
    report = [texts.bulk_report(len(failures), counts.not_run, counts.invalid)]
    report += line_list(failures, len(failures), rest="in the CSV report")
    csv = {"name": f"bulk-report-{job.id[:8]}.csv", "title": "Bulk upload report", "kind": "CSV"}
    return Sample(
        "bulk-report",
        "The finished job, and the failed lines in its thread",
        "message",
        [_message(text, blocks), _message("\n".join(report), reply_in_thread=True, files=[csv])],
    )


def _started(state: JobState) -> Job:
    return replace(JOB, state=state, started_at=NOW.timestamp() - 3 * MINUTE, started_by=ANNA)


def _done(line: Line) -> Line:
    if line.status != LineState.PENDING:
        return line
    return replace(line, status=LineState.DONE, image_id=2841559000 + line.number)


# ---- a product's gallery card ------------------------------------------------------------------


def gallery_card() -> Sample:
    shots = ["main", "studio", "grass", "street"]
    alts: list[dict[str, str]] = [
        ALT_RED,
        {"en": "Red trail runner, studio shot", "nl": "Rode trailschoen, studiofoto"},
        {"en": "Red trail runner on grass"},
        {},
    ]
    images = tuple(
        GalleryImage(
            id="0" if place == 0 else str(61500240 + place),
            order=place,
            is_main=place == 0,
            url=f"{CDN}/rs-1/{shot}.jpg",
            thumbnail=f"{CDN}/rs-1/160/{shot}.jpg",
            alt=None,
            alt_main=alt.get("en"),
            alt_translated=tuple((k, v) for k, v in alt.items() if k != "en"),
        )
        for place, (shot, alt) in enumerate(zip(shots, alts, strict=True))
    )
    own = CurrentImage(f"{CDN}/rs-1/size-42.jpg")
    gallery = Gallery(
        product=RED,
        images=images,
        variation_images=((RED.variations[1].id, own), (RED.variations[2].id, own)),
    )
    # SlackGalleryReport.card
    text = texts.gallery_head(RED.id, RED.name, RED.sku, len(images))
    blocks = card_blocks(gallery, LANGUAGES, images=True)
    return Sample(
        "gallery-card",
        "A product's gallery card",
        "message",
        [_message(text, blocks)],
    )


# ---- the App Home ------------------------------------------------------------------------------


def app_home() -> Sample:
    at = NOW.timestamp()
    changes = [
        Change(
            id=_change_id(0x7A3F),
            at=at - 2 * MINUTE,
            user_id=ANNA,
            product_id=RED.id,
            slot="main",
            action=Action.REPLACED,
            team_id=ONE_WORKSPACE,
            store_id=STORE_ID,
            channel_id=CHANNEL,
            message_ts="1749724860.000900",
            thread_ts="1749724800.000100",
            product_name=RED.name,
            image_id=2841559067,
            kept_file=KEPT_RS1,
            after_url=f"{CDN}/rs-1/160/main.jpg",
        ),
        Change(
            id=_change_id(0x7A21),
            at=at - 14 * MINUTE,
            user_id=ANNA,
            product_id=BLUE.id,
            slot="main",
            action=Action.REPLACED,
            team_id=ONE_WORKSPACE,
            store_id=STORE_ID,
            channel_id=CHANNEL,
            message_ts="1749723900.000400",
            product_name=BLUE.name,
            before_url=f"{CDN}/rs-2/160/old.jpg",
            after_url=f"{CDN}/rs-2/160/studio.jpg",
            kept_in_store=True,
            copy_kept=True,
            job_id="0b9e44d1c2a84f3e9d7a6b5c4e3f2a10",
        ),
        Change(
            id=_change_id(0x79E0),
            at=at - 26 * 60 * MINUTE,
            user_id=ANNA,
            product_id=WHITE.id,
            slot="gallery",
            action=Action.ADDED,
            team_id=ONE_WORKSPACE,
            store_id=STORE_ID,
            channel_id=CHANNEL,
            message_ts="1749630000.000300",
            product_name=WHITE.name,
            image_id=61500198,
            after_url=f"{CDN}/cl-7/160/street.jpg",
        ),
        Change(
            id=_change_id(0x79C4),
            at=at - 27 * 60 * MINUTE,
            user_id=ANNA,
            product_id=BLACK.id,
            slot="main",
            action=Action.SET,
            team_id=ONE_WORKSPACE,
            store_id=STORE_ID,
            channel_id=CHANNEL,
            message_ts="1749626400.000200",
            product_name=BLACK.name,
            after_url=f"{CDN}/cv-3/160/studio.jpg",
            undone_by=BRAM,
        ),
    ]
    running = Job(
        id="0b9e44d1c2a84f3e9d7a6b5c4e3f2a10",
        user_id=ANNA,
        channel_id=CHANNEL,
        message_ts="1749723880.000300",
        source="csv",
        state=JobState.RUNNING,
        created_at=at - 15 * MINUTE,
        team_id=ONE_WORKSPACE,
        store_id=STORE_ID,
    )
    finished = _started(JobState.FINISHED)
    jobs = [
        (running, Counts(done=118, failed=2, pending=80)),
        (finished, Counts(done=5, failed=1, invalid=1)),
    ]
    # SlackHistoryReport.home and its settings at a glance
    glance = texts.settings_glance(
        store_id=STORE_ID,
        users=[],
        usergroups=list(GROUPS),
        channels=list(CHANNELS),
        budget="600 calls every 60 s",
        database="PostgreSQL",
        days=30,
        max_mb=500,
        kept_mb=41.6,
    )
    view = home_view(
        allowed=True, changes=changes, jobs=jobs, glance=glance, base_url=WORKSPACE, images=True
    )
    return Sample("app-home", "The App Home tab", "home", _view(view))


# ---- an audit: its card, and its chart and findings in the thread -------------------------------


def _audit_items() -> list[AuditItem]:
    """A shoe store's 240 products, alt texts written in English, fewer in Dutch and German."""
    items = []
    for n in range(240):
        name = f"Trail runner {n}"
        alt = f"Trail running shoe {n}, side view" if n % 9 else None
        translated = {}
        if alt and n % 3 == 0:
            translated = {"nl": f"Trailschoen {n}, zijaanzicht", "de": f"Trailschuh {n}"}
        elif alt and n % 3 == 1:
            translated = {"nl": f"Trailschoen {n}"}
        size = (1600, 1600) if n % 7 else (640, 480)
        images = [AuditImage(AuditSlot.MAIN, "0", alt, translated, *size)]
        if n % 4 == 0:
            images.append(AuditImage(AuditSlot.GALLERY, "1", None, {}, 1600, 1600))
        bare = (90000 + n,) if n % 10 == 0 else ()
        items.append(AuditItem(512000000 + n, f"TR-{n}", name, {}, tuple(images), True, bare))
    return items


def audit_result() -> Audited:
    tally = Tally(LANGUAGES.default, LANGUAGES.enabled, 800)
    tally.add(_audit_items())
    result = tally.finish()
    previous = (
        '{"coverage": {"de": 0.05, "en": 0.52, "nl": 0.21}, "findings": {"alt text missing": 720}}'
    )
    chart = alt_coverage_chart(result.coverage, TEXTS.AUDIT_CHART_TITLE)
    return Audited(Scope(), result, since(previous, result), chart, result.csv(), seconds=4.2)


def audit_card() -> Sample:
    audited = audit_result()
    # SlackAuditReport.finished: the card, then the chart and the findings in its thread.
    text = texts.audit_head(ANNA, audited)
    blocks = audit_blocks(ANNA, audited, 800)
    files = [
        {"name": "alt-text-coverage.png", "title": texts.AUDIT_CHART_FILE, "kind": "PNG"},
        {"name": "image-health.csv", "title": texts.AUDIT_CSV_FILE, "kind": "CSV"},
    ]
    return Sample(
        "audit-card",
        "An audit's card, and its chart and findings in the thread",
        "message",
        [
            _message(text, blocks),
            _message(texts.AUDIT_FILES_COMMENT, reply_in_thread=True, files=files),
        ],
    )


# ---- all of them -------------------------------------------------------------------------------


def _message(
    text: str,
    blocks: Sequence[Block] = (),
    *,
    reply_in_thread: bool = False,
    files: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    message: dict[str, Any] = {"text": text, "blocks": [block.to_dict() for block in blocks]}
    if reply_in_thread:
        message["reply"] = True
    if files:
        message["files"] = list(files)
    return message


def _view(view: View) -> dict[str, Any]:
    shown: dict[str, Any] = view.to_dict()
    return shown


# Each sample's builder by its name (docs/images/<name>.png): a test builds each on its own.
BUILDERS: dict[str, Callable[[], Sample]] = {
    "upload-reply": upload_reply,
    "upload-form": upload_form_sample,
    "bulk-plan": bulk_plan,
    "bulk-progress": bulk_progress,
    "bulk-report": bulk_report,
    "gallery-card": gallery_card,
    "app-home": app_home,
    "audit-card": audit_card,
}


def all_samples() -> list[Sample]:
    return [build() for build in BUILDERS.values()]
