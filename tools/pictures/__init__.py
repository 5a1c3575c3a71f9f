"""Pictures of what the bot posts (docs/images/): samples.py builds the Block Kit with the bot's own
builders, render.py draws it in Slack's style, `python -m tools.pictures` photographs it."""
