"""The runtime, reached by a listener through the `context` Bolt hands it: the first middleware
puts it there for every request (bot.slack.middleware), and listeners read it with `runtime_of`.
The next one swaps Bolt's per-request Slack client for a bounded one: `client_of` reads it, and
`forms_of` opens the forms with it (a form answers the request: views.open at ack time)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncBoltContext

from bot.runtime import Runtime
from bot.slack.client import BoundedWebClient
from bot.slack.forms import Forms

RUNTIME = "runtime"


def put_runtime(context: AsyncBoltContext, runtime: Runtime) -> None:
    context[RUNTIME] = runtime


def runtime_of(context: AsyncBoltContext) -> Runtime:
    runtime = context.get(RUNTIME)
    if not isinstance(runtime, Runtime):
        raise LookupError("no runtime in the request's context: is its middleware registered?")
    return runtime


def put_client(context: AsyncBoltContext, client: BoundedWebClient) -> None:
    # Bolt's `client` argument and its lazily built `say` (slack_bolt/context/async_context.py)
    # both read this key.
    context["client"] = client


def client_of(context: AsyncBoltContext) -> BoundedWebClient:
    """The request's Slack client, every call bounded in time."""
    client = context.get("client")
    if not isinstance(client, BoundedWebClient):
        raise LookupError("Bolt's unbounded client in the context: is its middleware registered?")
    return client


def forms_of(context: AsyncBoltContext) -> Forms:
    return runtime_of(context).forms.using(client_of(context))
