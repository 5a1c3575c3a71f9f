"""The job store's tables, as the latest migration leaves them (the migrations are the truth)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData()

jobs = Table(
    "bulk_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("message_ts", String(32)),  # the plan, then progress, then result message
    Column("source", String(16), nullable=False),  # lines, csv or files
    # checking → planned → running → (stopping →) finished; checking or planned → cancelled
    Column("state", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("started_by", String(32)),
    Column("stopped_by", String(32)),
    Column("lease_owner", String(128)),  # the process running it
    Column("lease_until", Float, nullable=False, server_default="0"),
    Column("reported_at", Float),  # the final report is in the thread
    Column("undo_of", String(32), unique=True),  # an undo job: the job it undoes (one each)
    Column("thread_ts", String(32)),  # the thread the job's message is in (a drop's), if any
    # The tenant (bot.domain.tenant): the workspace that made it ('' in single-store mode) and
    # the store it changes.
    Column("team_id", String(32), nullable=False, server_default=""),
    Column("store_id", BigInteger, nullable=False),
    Index("bulk_jobs_by_state", "state", "lease_until"),
    Index("bulk_jobs_by_person", "team_id", "store_id", "user_id", "created_at"),
)

lines = Table(
    "bulk_lines",
    metadata,
    Column("job_id", String(32), ForeignKey("bulk_jobs.id"), primary_key=True),
    Column("number", Integer, primary_key=True),  # the line's number in what was sent
    Column("text", Text, nullable=False),
    Column("product", Text, nullable=False),  # as the report names it
    Column("slot", String(16)),  # main, gallery or variation, once known
    # The line's change: bot.changes.codec's text of a SlotChange (an upload; in an undo job,
    # the inverse of the change it undoes, naming it); NULL for a line with a problem.
    Column("request", Text),
    # invalid (never to run), pending, started (its upload may have begun: checked before it is
    # sent again), done, failed, not_run (stopped before it)
    Column("status", String(16), nullable=False),
    Column("image_id", BigInteger),
    Column("reason", Text),  # our words
    Column("quoted", Text),  # Ecwid's own words, shown as code
    Column("changes", Text),  # what was done to the image to make it ready (plain text)
    Column("finished_at", Float),
    # What is not part of the change: the SKU the image goes on (the variation's own, else the
    # product's), the product's name and the variation's label.
    Column("sku", Text),
    Column("product_name", Text),
    Column("variation_label", Text),
    # A problem line's "did you mean" (a file's name that matched no SKU): the store's closest
    # SKU, the slot the name said (main or gallery), and the file, for Use SKU.
    Column("suggested_sku", Text),
    Column("suggested_target", String(16)),
    Column("suggested_file_id", Text),
    Column("suggested_file_name", Text),
    Column("suggested_file_mimetype", Text),
    Column("suggested_file_size", BigInteger),
    Column("suggested_file_url", Text),
    Index("bulk_lines_by_status", "job_id", "status", "number"),
)

# One row per undone change, keyed by the change itself (product, slot, the image it put there):
# whichever process, message or button a press comes from, a change is undone once.
undo_claims = Table(
    "undo_claims",
    metadata,
    Column("store_id", BigInteger, primary_key=True, autoincrement=False),
    Column("change", String(200), primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("claimed_at", Float, nullable=False),
)

# The catalog's image history: one row per change the bot made (an upload, a bulk line, an undo).
# Ids alone cannot tell whether a slot still shows a change (the main image's id is always 0,
# variations have none, gallery ids change on reorder): the identities can.
changes = Table(
    "image_changes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("at", Float, nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32)),
    Column("message_ts", String(32)),  # the result reply, or the bulk job's message
    Column("thread_ts", String(32)),  # the thread it is in, if any
    Column("product_id", BigInteger, nullable=False),
    Column("product_name", Text),
    Column("variation_id", BigInteger),
    Column("variation_label", Text),  # e.g. "Size: 43"
    Column("slot", String(16), nullable=False),  # main, gallery or variation
    Column("action", String(16), nullable=False),  # replaced, set, added, removed, undone
    Column("image_id", BigInteger),  # Ecwid's id of the new image, where there is one
    # What each image is (bot.images.identity: size, gradient hash, colours, as text); a bare
    # 16-digit hash is an older bot's, never trusted alone.
    Column("before_fp", Text),
    Column("after_fp", Text),
    # Where each was served (thumbnails, while they last); NULL for a reorder (change_orders).
    Column("before_url", Text),
    Column("after_url", Text),
    Column("after_url_fp", String(20)),  # the URL right after the upload (bot.changes.records)
    Column("kept_file", String(32)),  # the previous image kept as a Slack file (single uploads)
    Column("kept_in_store", Boolean, nullable=False, server_default="0"),  # … in kept_images
    Column("alt_main", Text),  # the previous image's alt texts, to put back with it
    Column("alt_translated", Text),  # JSON {lang: text}
    Column("job_id", String(32)),  # the bulk job, and its line
    Column("line", Integer),
    Column("undo_of", String(32)),  # an undo: the change it undid
    Column("change_key", String(200)),  # its key in undo_claims (bot.changes.records.change_key)
    Column("outcome", String(16), nullable=False),
    Column("team_id", String(32), nullable=False, server_default=""),  # the tenant's workspace
    Column("store_id", BigInteger, nullable=False),  # … and store
    Index("image_changes_by_product", "store_id", "product_id", "at"),
    Index("image_changes_by_user", "team_id", "store_id", "user_id", "at"),
    Index("image_changes_by_job", "job_id", "line"),
)

# A gallery's order before and after a change that reordered it (a card's reorder, or its
# undo): the images by the URLs they were served from (ids change on a reorder), one row an
# image, in order. Written with its change, deleted with it.
change_orders = Table(
    "change_orders",
    metadata,
    Column("change_id", String(32), ForeignKey("image_changes.id"), primary_key=True),
    Column("side", String(8), primary_key=True),  # before or after
    Column("position", Integer, primary_key=True),  # 0, 1, … in the gallery's order
    Column("url", Text),  # NULL: Ecwid showed no URL for that image
)

# The previous image's bytes of a bulk line's change (single uploads keep theirs in the thread).
# Never more than HISTORY_MAX_MB in all: a job keeps a line's copy only if it fits (older copies
# of jobs not running make way, oldest first); pruned oldest first past HISTORY_DAYS or
# HISTORY_MAX_MB, never a running job's; the change stays. The sizes are summed from an index
# (SQLite would otherwise read every copy's bytes to reach its size).
kept_images = Table(
    "kept_images",
    metadata,
    Column("change_id", String(32), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("kept_at", Float, nullable=False),
    Column("store_id", BigInteger, nullable=False),  # its change's store: each store's quota
    Index("kept_images_sizes", "kept_at", "change_id", "size"),
    Index("kept_images_by_store", "store_id", "kept_at", "change_id", "size"),
)

# The drop zone's deliveries already taken in (an event id, a message by its channel and ts):
# one answer a drop however often Slack delivers it, in whichever process. Never a file id: the
# same file shared in a new message is a new drop.
seen_events = Table(
    "seen_events",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("seen_at", Float, nullable=False),
)

# Drops still waiting out DROP_GROUP_SECONDS (or a check of who dropped them), kept here so
# that a process killed meanwhile loses none: whichever process comes next plans them. A
# group is one person's messages in one channel, planned in its first message's thread; it is
# taken (deleted) by the one process that plans it.
waiting_drops = Table(
    "waiting_drops",
    metadata,
    Column("key", String(200), primary_key=True),  # the message: `{channel}:{ts}`
    Column("channel_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("thread_ts", String(32), nullable=False),  # its group's first message
    Column("ts", String(32), nullable=False),
    Column("files", Text, nullable=False),  # JSON: the message's image files
    Column("text", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("due_at", Float, nullable=False),  # when its group is planned (or checked again)
    Column("checked", Boolean, nullable=False),  # whether its person was found on the lists
    Column("team_id", String(32), nullable=False, server_default=""),  # the tenant's workspace
    Column("store_id", BigInteger, nullable=False),  # … and store, when it was dropped
    Index("waiting_drops_by_due", "due_at"),
    Index("waiting_drops_by_group", "channel_id", "user_id", "thread_ts"),
)

# Each audit's numbers (#37), so that the next audit of the same scope (the whole catalog, a
# category, a search) says what changed since. Pruned with the history (HISTORY_DAYS).
audits = Table(
    "audits",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("store_id", BigInteger, nullable=False),
    Column("scope", String(200), nullable=False),  # bot.domain.audit.Scope.key
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("at", Float, nullable=False),
    Column("numbers", Text, nullable=False),  # JSON: bot.domain.audit.Result.numbers
    Column("team_id", String(32), nullable=False, server_default=""),  # the tenant's workspace
    Index("audits_by_scope", "store_id", "scope", "at"),
)

audit_schedules = Table(
    "audit_schedules",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("store_id", BigInteger, nullable=False),
    Column("channel_id", String(32), nullable=False),  # where the audit is posted
    Column("user_id", String(32), nullable=False),  # who asked: their time zone, their DM
    Column("scope", String(200), nullable=False),  # bot.domain.audit.Scope.key
    Column("category", BigInteger),  # the scope's category, or none
    Column("search", String(200)),  # the scope's search words, or none
    Column("weekday", Integer, nullable=False),  # Monday 0 … Sunday 6
    Column("zone", String(64), nullable=False),  # IANA, e.g. Europe/Amsterdam
    Column("next_at", Float, nullable=False),  # unix seconds; a run claims it (compare-and-set)
    Column("last_at", Float),  # when it last ran
    Column("created_at", Float, nullable=False),
    Column("team_id", String(32), nullable=False, server_default=""),  # the tenant's workspace
    Index("audit_schedules_one", "team_id", "store_id", "channel_id", "scope", unique=True),
    Index("audit_schedules_due", "next_at"),
)

ecwid_budgets = Table(
    "ecwid_budgets",
    metadata,
    Column("store_id", BigInteger, primary_key=True, autoincrement=False),
    # GCRA's theoretical arrival time, in the database server's unix seconds: the calls booked
    # so far, spaced evenly, end here (bot.jobs.budgets).
    Column("next_at", Float, nullable=False),
)

ecwid_stores = Table(
    "ecwid_stores",
    metadata,
    Column("store_id", BigInteger, primary_key=True, autoincrement=False),
    Column("token", Text, nullable=False),  # sealed for its store (bot.tokens), never plain
    Column("connected_at", Float, nullable=False),
    # Connected from Ecwid's App Market, not yet linked: the SHA-256 of its one-time claim code
    # (`/ecwid-image connect CODE`), and until when it may be claimed.
    Column("claim_hash", String(64), unique=True),
    Column("claim_until", Float),
    # Ecwid said the app was uninstalled, and Ecwid could not confirm it then: asked again until
    # it can (bot.flows.connect, `recheck`).
    Column("uninstall_said_at", Float),
)

store_links = Table(
    "store_links",
    metadata,
    Column("team_id", String(32), primary_key=True),  # a Slack workspace
    Column("store_id", BigInteger, primary_key=True, autoincrement=False),
    Column("linked_by", String(32), nullable=False),  # who connected or claimed it
    Column("linked_at", Float, nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=false()),  # one a workspace
    Index("store_links_by_store", "store_id"),
)

connect_requests = Table(
    "connect_requests",
    metadata,
    # SHA-256 of the link's one-time nonce: the database never holds a usable link.
    Column("nonce_hash", String(64), primary_key=True),
    Column("team_id", String(32), nullable=False),  # the workspace that asked …
    Column("user_id", String(32), nullable=False),  # … and the person
    Column("expires_at", Float, nullable=False),
    Column("opened_at", Float),  # the link was followed (once)
    Column("session_hash", String(64), unique=True),  # SHA-256 of the browser's cookie
    Column("finished_at", Float),  # Ecwid's callback came back (once)
)

ecwid_codes = Table(
    "ecwid_codes",
    metadata,
    # SHA-256 of each code Ecwid sent a browser back with: exchanged once, never again (a second
    # exchange disables the token the first gave).
    Column("code_hash", String(64), primary_key=True),
    Column("seen_at", Float, nullable=False),
)

ecwid_webhook_events = Table(
    "ecwid_webhook_events",
    metadata,
    Column("event_id", String(64), primary_key=True),  # a replayed event does nothing
    Column("seen_at", Float, nullable=False),
)

# A workspace's settings, edited in its App Home (many-stores mode; single-store mode reads its
# environment). Each list is Slack ids separated by spaces; empty: no such list.
workspace_settings = Table(
    "workspace_settings",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("allowed_users", Text, nullable=False, server_default=""),
    Column("allowed_usergroups", Text, nullable=False, server_default=""),
    Column("allowed_channels", Text, nullable=False, server_default=""),
    Column("watch_channels", Text, nullable=False, server_default=""),
    # The workspace's default naming rules; NULL: the deployment's (FILENAME_PATTERN/VIEWS).
    Column("filename_pattern", Text),
    Column("filename_views", Text),  # comma-separated, in order
    Column("changed_by", String(32), nullable=False),
    Column("changed_at", Float, nullable=False),
)

# A store's own naming rules, as the workspace that set them sees that store (a store linked
# from two workspaces may be named two ways); no row: the workspace's default.
store_naming = Table(
    "store_naming",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("store_id", BigInteger, primary_key=True, autoincrement=False),
    Column("filename_pattern", Text, nullable=False),
    Column("filename_views", Text, nullable=False),
    Column("changed_by", String(32), nullable=False),
    Column("changed_at", Float, nullable=False),
    Index("store_naming_by_store", "store_id"),
)

# The store each of the bot's messages and forms was made for (bot.jobs.surfaces): a press on
# one acts on that store (many-stores mode).
bot_surfaces = Table(
    "bot_surfaces",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("surface", String(120), primary_key=True),  # m:CHANNEL:TS or v:VIEW_ID
    Column("store_id", BigInteger, nullable=False),
    Column("made_at", Float, nullable=False),
    Index("bot_surfaces_by_age", "made_at"),
    Index("bot_surfaces_by_store", "store_id"),
)
