"""What an upload is, the command's grammar and the checks on input: pure, no I/O.

Imports nothing of the bot outside this package.
"""
