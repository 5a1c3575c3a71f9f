"""The runtime, reached by a listener through the `context` Bolt hands it: the first middleware
puts it there for every request (bot.slack.middleware), and listeners read it with `runtime_of`.
The next one swaps Bolt's per-request Slack client for a bounded one: `client_of` reads it, and
`forms_of` opens the forms with it (a form answers the request: views.open at ack time)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncBoltContext

from bot.changes.context import StoreContext
from bot.flows.product_search import ProductSearch
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
    """The forms, opened with the request's own client, for its store."""
    runtime = runtime_of(context)
    return Forms(client_of(context), store_of(context), runtime.notifier, runtime.stores)


STORE = "store"


def put_store(context: AsyncBoltContext, store: StoreContext) -> None:
    context[STORE] = store


def store_of(context: AsyncBoltContext) -> StoreContext:
    """The store the request is about: its workspace's (one store: that store)."""
    store = context.get(STORE)
    if not isinstance(store, StoreContext):
        raise LookupError("no store in the request's context: is its middleware registered?")
    return store


def product_search_of(context: AsyncBoltContext) -> ProductSearch:
    """The type-ahead over the request's store."""
    store = store_of(context)
    return ProductSearch(store.ecwid, store.catalog)
