"""The demo socket's copies of Channels' methods stay Channels' methods, less one call.

live.connection_checks copies ``AsyncConsumer.dispatch`` and
``AsyncWebsocketConsumer.websocket_disconnect`` without their
``aclose_old_connections()``. If Channels changes either method, these tests
fail, so that the copy is compared with the new one and brought in line.
"""

import ast
import inspect
import textwrap

import pytest
from channels.consumer import AsyncConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from live.connection_checks import WithoutConnectionChecks
from live.consumers import DemoConsumer

COPIES = [
    (AsyncConsumer.dispatch, WithoutConnectionChecks.dispatch),
    (AsyncWebsocketConsumer.websocket_disconnect, WithoutConnectionChecks.websocket_disconnect),
]


def _body(method, *, without_check: bool = False) -> str:
    """The method's code as a tree, docstring left out (and the check, if asked)."""
    function = ast.parse(textwrap.dedent(inspect.getsource(method))).body[0]
    if ast.get_docstring(function) is not None:
        function.body = function.body[1:]
    if without_check:
        function = _LeaveOutTheCheck().visit(function)
    return ast.dump(ast.Module(body=function.body, type_ignores=[]))


class _LeaveOutTheCheck(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr) -> ast.Expr | None:
        call = node.value.value if isinstance(node.value, ast.Await) else None
        called = getattr(getattr(call, "func", None), "id", None)
        return None if called == "aclose_old_connections" else node


@pytest.mark.parametrize(("channels", "copy"), COPIES, ids=["dispatch", "websocket_disconnect"])
def test_the_copy_is_channels_own_method_less_the_connection_check(channels, copy):
    assert _body(channels) != _body(channels, without_check=True), "Channels checks no more"
    assert _body(copy) == _body(channels, without_check=True), (
        f"Channels' {channels.__qualname__} changed: compare it with live.connection_checks"
    )


def test_the_demo_socket_uses_the_copies():
    for _, copy in COPIES:
        assert getattr(DemoConsumer, copy.__name__) is copy
