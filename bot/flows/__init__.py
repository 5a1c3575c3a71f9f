"""The order of steps: the upload flow and the pool of workers it runs on.

May import bot.domain, bot.ecwid and bot.images; reports through the `UploadReport` protocol it
defines, so nothing here knows Slack.
"""
