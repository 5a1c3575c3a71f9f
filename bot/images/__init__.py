"""Reading an image's header (format, pixel size) safely before Ecwid is given it.

May import bot.domain only.
"""
