"""The Ecwid REST API: the client (`client`), its call budget (`budget`), what it takes and
answers (`models`), its errors (`errors`) and a short-lived cache of store facts (`store`).

May import bot.domain and bot.config; knows nothing of Slack.
"""
