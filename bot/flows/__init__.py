"""The order of steps: the upload flow, undo, bulk jobs (planned in `bulk_plan`, run in
`bulk_run` under a `bulk_lease`, undone by `bulk_undo`), the history shown (`history`), the
product type-ahead, the duplicate check (`duplicates`), recognising an image wherever it is
(`recognise`), and the pool of workers they run on.

May import bot.domain, bot.ecwid, bot.images and bot.jobs; reports through the protocols it
defines (`UploadReport`, `UndoReport`, `BulkReport`, `HistoryReport`), so nothing here knows Slack.
"""
