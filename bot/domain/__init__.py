"""What an upload is, the command's grammar and the checks on input, option values (`options`),
and the sentences the layers under Slack say (`texts`): pure, no I/O.

Imports nothing of the bot outside this package.
"""
