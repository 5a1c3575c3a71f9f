"""The order of steps: the upload flow, undo, bulk jobs, and the pool of workers they run on.

May import bot.domain, bot.ecwid, bot.images and bot.jobs; reports through the protocols it
defines (`UploadReport`, `UndoReport`, `BulkReport`), so nothing here knows Slack.
"""
