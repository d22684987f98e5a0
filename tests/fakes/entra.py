"""Entra ID's token endpoint for the fakes, as the emulator serves it
(`reconciler_testing.emulator.identity`): reconcile's ordinary ``DefaultAzureCredential`` signs
in to a fake service with environment variables alone, as it would on Azure."""

from __future__ import annotations

from reconciler_testing.emulator import identity
from tests.fakes.https import Answer, Call, FakeServer, Handler


def signing_in(handler: Handler) -> Handler:
    """``handler``, with the token endpoint answered in front of it."""

    def serve(call: Call) -> Answer:
        if identity.serves(call.path):
            base = f"https://{call.headers.get('host', '')}"
            response = identity.answer(call.method, call.path, call.form(), base)
            return Answer(response.status, response.body)
        return handler(call)

    return serve


def sign_in_variables(server: FakeServer) -> dict[str, str]:
    """The environment that signs ``DefaultAzureCredential`` in at ``server``."""
    return {**identity.variables(server.url), "REQUESTS_CA_BUNDLE": str(server.ca_bundle)}


def nothing_else(call: Call) -> Answer:
    return Answer(404, {"error": "not_found"})
