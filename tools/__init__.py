"""Developer tools: not part of the bot, not installed with it."""
