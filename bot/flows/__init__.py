"""The order of steps: the upload flow, undo, bulk jobs (planned in `bulk_plan`, run in
`bulk_run` under a `bulk_lease`, undone by `bulk_undo`), the history shown (`history`), the
product type-ahead, the duplicate check (`duplicates`), and the pool of workers they run on.
Each flow is handed its store's context (bot.changes.context) per request or per job, and applies
changes through its runner (bot.changes.runner); none captures a store at start-up.

May import bot.domain, bot.ecwid, bot.images, bot.jobs, bot.changes and bot.tokens; reports through the
protocols it defines (`UploadReport`, `UndoReport`, `BulkReport`, `HistoryReport`), so nothing
here knows Slack.
"""
