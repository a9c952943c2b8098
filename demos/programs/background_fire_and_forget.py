import asyncio

REQUESTS = 3
GAP = 0.2  # seconds between two requests
MAIL = 0.5  # how long sending one mail takes

background = set()  # strong references to the mail tasks, until they are done


async def send_mail(n: int) -> None:
    try:
        await asyncio.sleep(MAIL)  # talking to the mail server
    except asyncio.CancelledError:
        print(f"mail {n}: cancelled, never sent")
        raise
    print(f"mail {n}: sent")


async def handle(n: int) -> None:
    # The view: start the mail on the loop and answer without waiting for it.
    mail = asyncio.create_task(send_mail(n))
    background.add(mail)
    mail.add_done_callback(background.discard)
    print(f"request {n}: response sent")


async def main(requests: int = REQUESTS) -> None:
    # The server: one task per request, on the one loop of this process.
    async with asyncio.TaskGroup() as server:
        for n in range(1, requests + 1):
            server.create_task(handle(n))
            await asyncio.sleep(GAP)
    print(f"server: stopping for a deploy, {len(background)} mail(s) still on the loop")
    # main returns, and asyncio.run cancels every task still on the loop.


if __name__ == "__main__":
    asyncio.run(main())
