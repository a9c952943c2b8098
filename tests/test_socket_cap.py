"""One client address may hold only so many demo sockets; everyone else is unaffected."""

import pytest
from channels.testing import WebsocketCommunicator

from live import runtime
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def three_per_client(settings):
    settings.DEMO_SOCKETS_PER_CLIENT = 3
    runtime.reset()
    yield
    runtime.reset()


async def open_from(address: str) -> tuple[WebsocketCommunicator, bool]:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    ws.scope["client"] = (address, 50000)
    connected, _ = await ws.connect(timeout=5)
    return ws, connected


async def test_sockets_beyond_the_cap_from_one_address_are_refused():
    opened = [await open_from("203.0.113.7") for _ in range(3)]
    _, fourth = await open_from("203.0.113.7")
    other, elsewhere = await open_from("198.51.100.1")

    assert all(connected for _, connected in opened)
    assert fourth is False
    assert elsewhere is True  # another reader is not affected
    for ws, _ in [*opened, (other, True)]:
        await ws.disconnect()


async def test_closing_a_socket_gives_its_place_back():
    opened = [await open_from("203.0.113.7") for _ in range(3)]
    await opened[0][0].disconnect()

    again, connected = await open_from("203.0.113.7")

    assert connected is True
    for ws, _ in [*opened[1:], (again, True)]:
        await ws.disconnect()


async def test_a_refused_socket_does_not_use_up_a_place():
    opened = [await open_from("203.0.113.7") for _ in range(3)]
    for _ in range(5):
        await open_from("203.0.113.7")  # refused, each of them
    await opened[0][0].disconnect()

    again, connected = await open_from("203.0.113.7")

    assert connected is True
    assert runtime.socket_counter().open == {"203.0.113.7": 3}
    for ws, _ in [*opened[1:], (again, True)]:
        await ws.disconnect()


async def test_an_ipv6_reader_is_counted_by_its_64():
    opened = [await open_from(f"2001:db8:1:2::{n}") for n in range(1, 4)]
    _, same_64 = await open_from("2001:db8:1:2::99")
    other, other_64 = await open_from("2001:db8:1:3::1")

    assert all(connected for _, connected in opened)
    assert same_64 is False
    assert other_64 is True
    for ws, _ in [*opened, (other, True)]:
        await ws.disconnect()
