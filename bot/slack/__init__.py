"""Everything Slack: the HTTP server and its signature check, the bounded Web API client, the
middleware (retries, access, errors), every user-facing text (`texts`), private answers and
upload reports (`notify`), the listeners (one per way in) and the views (one per modal).

May import every other package of the bot; nothing outside it imports Slack.
"""
