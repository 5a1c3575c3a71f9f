"""Everything Slack: the HTTP server and its signature check, the bounded Web API client, the
middleware (retries, access, errors), every user-facing text (`texts`), private answers and
upload reports (`notify`), opening the forms with what they are prefilled with (`forms`), the
listeners (one per way in: they parse, ack and hand off) and the views (one per modal: they only
build and read blocks).

May import every other package of the bot; nothing outside it imports Slack.
"""
