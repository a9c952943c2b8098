import time

TASKS = 3
SECONDS = 2.0


def say_hello(seconds: float) -> None:
    time.sleep(seconds)  # the whole thread waits here
    print("Hello")


def main(tasks: int = TASKS, seconds: float = SECONDS) -> None:
    for _ in range(tasks):
        say_hello(seconds)


if __name__ == "__main__":
    main()
