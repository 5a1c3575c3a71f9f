"""Loopback stand-ins for the Slack Web API and the Ecwid API that record what they receive."""
