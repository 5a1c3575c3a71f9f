"""ecwid-image: a Slack bot that puts images on an Ecwid store's products from the conversation."""

__version__ = "0.1.0"
