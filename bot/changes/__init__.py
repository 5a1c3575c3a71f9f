"""One change to an image slot, and what it takes to apply it once: `SlotChange` (what is asked,
from any way in), its one stored form (`codec`), and the records every change leaves (`records`:
the history's entry and the undo record).

May import bot.domain, bot.ecwid, bot.images and bot.jobs; never bot.flows or bot.slack (the flows
build on this package, not the other way round).
"""
