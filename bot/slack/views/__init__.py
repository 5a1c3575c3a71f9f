"""One module per modal or message layout: its block ids (a contract), building it, reading it
back. Texts come from bot.slack.texts."""
