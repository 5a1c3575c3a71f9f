"""Images before Ecwid gets them: reading a link's header safely (probe), a file shared in Slack
(shared_files), making a photo ready (convert: formats, upright, metadata, size, in a process
pool), and what a picture is (identity).

May import bot.domain only.
"""
