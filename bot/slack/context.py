"""The runtime, reached by a listener through the `context` Bolt hands it: the first middleware
puts it there for every request (bot.slack.middleware), and listeners read it with `runtime_of`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncBoltContext

from bot.runtime import Runtime

RUNTIME = "runtime"


def put_runtime(context: AsyncBoltContext, runtime: Runtime) -> None:
    context[RUNTIME] = runtime


def runtime_of(context: AsyncBoltContext) -> Runtime:
    runtime = context.get(RUNTIME)
    if not isinstance(runtime, Runtime):
        raise LookupError("no runtime in the request's context: is its middleware registered?")
    return runtime
