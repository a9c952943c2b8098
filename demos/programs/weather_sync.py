import os
from urllib.parse import quote

import requests

CITIES = ("paris", "toulouse", "marseille")
WEATHER_API_URL = os.environ.get("WEATHER_API_URL", "http://127.0.0.1:8001/services/json/")
TIMEOUT = 3.0  # seconds to wait for each answer


def weather_url(city: str) -> str:
    return WEATHER_API_URL.rstrip("/") + "/" + quote(city, safe="")


def show_temperature(session: requests.Session, city: str) -> None:
    response = session.get(weather_url(city), timeout=TIMEOUT)
    response.raise_for_status()
    temperature = response.json()["current_condition"]["tmp"]
    print(f"Temperature at {city}: {temperature} C")


def main(cities: tuple[str, ...] = CITIES) -> None:
    with requests.Session() as session:
        for city in cities:
            try:
                show_temperature(session, city)
            except Exception:
                continue  # one failing city must not stop the others


if __name__ == "__main__":
    main()
