"""One change to an image slot, and what it takes to apply it once: `SlotChange` (what is asked,
from any way in), its one stored form (`codec`), `ChangeRunner.apply` (`runner`; the changes
that bring no new image, and every undo, in `edits`), where a new image is read from
(`sources`), recognising an image wherever it is (`recognise`), the records every change leaves
(`records`: the history's entry and the undo record), the hub that says a change happened
(`events`), and a store's context (`context`: what a change to that store needs from outside).

May import bot.domain, bot.ecwid, bot.images and bot.jobs; never bot.flows or bot.slack (the flows
build on this package, not the other way round).
"""
