"""Member lookup in the console on 1,000,000 members in PostgreSQL: by phone and by part of
a Korean name, p95 ≤ 50 ms.

It loads members with realistic Korean names (surnames by their share of the population,
common given names and random two-syllable ones) and unique mobile numbers with ``COPY``,
with the name bigrams the console searches (``store.member_names``), then times
``services.member_search.search_members`` — the console's own lookup, each in a unit of work
of its own as a page request opens one — on phones typed with dashes (``010-1234-5678``) and
on two-syllable given names ("민준" finds 김민준 and 박민준). With ``--http`` it also starts
``regulars serve``, signs a staff user in, and times ``GET /console/members?q=…`` pages with
httpx one after another (p95), then runs ``wrk`` against the same pages when it is installed.
The last line is the worse p95 of the two lookups through the service, in milliseconds.

    .venv/bin/python bench/bench_console_lookup.py \\
        [--members 1000000] [--queries 1000] [--postgres URL] [--http]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from regulars.bootstrap import build
from regulars.config import Settings, normalise_database_url
from regulars.domain.member_names import name_grams
from regulars.services.audit import Actor
from regulars.services.member_search import search_members
from regulars.services.staff import accounts

# Surnames by share of the population (Statistics Korea, 2015 census: 김 21.5 %, 이 14.7 %,
# 박 8.4 %, 최 4.7 %, 정 4.3 % …); the rest share what is left.
SURNAMES = {
    "김": 21.5, "이": 14.7, "박": 8.4, "최": 4.7, "정": 4.3, "강": 2.4, "조": 2.1, "윤": 2.1,
    "장": 2.0, "임": 1.7, "한": 1.5, "오": 1.5, "서": 1.5, "신": 1.4, "권": 1.4, "황": 1.4,
    "안": 1.3, "송": 1.3, "류": 1.2, "전": 1.1, "홍": 1.1, "고": 0.9, "문": 0.9, "양": 0.9,
    "손": 0.9, "배": 0.8, "백": 0.8, "허": 0.7, "유": 0.6, "남": 0.6, "심": 0.5, "노": 0.4,
}  # fmt: skip
COMMON_GIVEN = (
    "민준",
    "서준",
    "도윤",
    "예준",
    "시우",
    "하준",
    "주원",
    "지호",
    "지후",
    "준우",
    "준서",
    "건우",
    "현우",
    "도현",
    "지훈",
    "우진",
    "선우",
    "서연",
    "서윤",
    "지우",
    "서현",
    "민서",
    "하은",
    "하윤",
    "윤서",
    "지유",
    "지민",
    "채원",
    "수아",
    "지아",
    "은서",
    "다은",
    "예은",
    "수빈",
    "영수",
    "영호",
    "정훈",
    "성민",
    "상훈",
    "미경",
    "은영",
    "지영",
    "혜진",
    "수진",
    "현정",
    "민정",
    "경희",
    "영희",
    "순자",
    "정숙",
)
SYLLABLES = list("민서지도하준윤현우예수은영정성상혜경진주원채유아건선시호훈빈다연재태동승")
DSN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "bench password 1"


def korean_names(count: int, rng: random.Random) -> list[str]:
    surnames = list(SURNAMES)
    weights = list(SURNAMES.values())
    given_common = rng.choices(COMMON_GIVEN, k=count)
    names = []
    for i, surname in enumerate(rng.choices(surnames, weights, k=count)):
        if rng.random() < 0.6:
            given = given_common[i]
        else:
            given = rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
        names.append(surname + given)
    return names


def phones(count: int, rng: random.Random) -> list[str]:
    """Unique 010 numbers (eight random digits each)."""
    chosen = rng.sample(range(10_000_000, 100_000_000), count)
    return [f"010{n:08d}" for n in chosen]


def load(url: str, count: int, seed: int) -> tuple[list[str], list[str]]:
    """COPY ``count`` members and their name bigrams; return their names and phones."""
    rng = random.Random(seed)
    names = korean_names(count, rng)
    numbers = phones(count, rng)
    now = datetime.now(UTC).isoformat()
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        started = time.perf_counter()
        with cursor.copy(
            "COPY members (id, external_id, name, phone, phone_key, locale, segment, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(count):
                phone = numbers[i]
                shown = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
                copy.write_row((i + 1, f"M{i + 1:07d}", names[i], shown, phone, "ko",
                                "individual", now, now))  # fmt: skip
        with cursor.copy("COPY member_name_grams (gram, member_id) FROM STDIN") as copy:
            for i, name in enumerate(names):
                for gram in sorted(name_grams(name)):
                    copy.write_row((gram, i + 1))
        cursor.execute("SELECT setval(pg_get_serial_sequence('members', 'id'), %s)", (count,))
        raw.commit()
        cursor.execute("ANALYZE members")
        cursor.execute("ANALYZE member_name_grams")
        raw.commit()
        print(f"loaded {count:,} members and their name bigrams in "
              f"{time.perf_counter() - started:.1f} s (COPY)")  # fmt: skip
    finally:
        raw.close()
        engine.dispose()
    return names, numbers


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(label: str, times: list[float], found: list[int]) -> float:
    p95 = percentile(times, 0.95)
    print(
        f"{label:<34} n={len(times):<5} p50 {percentile(times, 0.5):6.2f} ms  "
        f"p95 {p95:6.2f} ms  p99 {percentile(times, 0.99):6.2f} ms  max {max(times):6.2f} ms  "
        f"members found: mean {statistics.mean(found):.1f}"
    )
    return p95


def queries(
    names: list[str], numbers: list[str], count: int, rng: random.Random
) -> dict[str, list[str]]:
    picks = rng.sample(range(len(names)), min(count, len(names)))
    dashed = [f"{numbers[i][:3]}-{numbers[i][3:7]}-{numbers[i][7:]}" for i in picks]
    return {
        "phone typed with dashes": dashed,
        "part of a Korean name (2 syllables)": [names[i][1:] for i in picks],
    }


def time_service(app: object, asked: dict[str, list[str]]) -> dict[str, float]:
    results = {}
    for label, texts in asked.items():
        for warm in texts[:20]:
            with app.unit_of_work() as uow:  # type: ignore[attr-defined]
                search_members(uow, warm)
        times, found = [], []
        for typed in texts:
            started = time.perf_counter()
            with app.unit_of_work() as uow:  # type: ignore[attr-defined]
                hits = search_members(uow, typed).members
            times.append((time.perf_counter() - started) * 1000)
            found.append(len(hits))
        assert min(found) >= 1, f"{label}: a query found nobody"
        results[label] = report(f"service: {label}", times, found)
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_http(url: str, asked: dict[str, list[str]], secret: str) -> None:
    port = _free_port()
    env = {**os.environ, "REGULARS_DATABASE_URL": url, "REGULARS_SECRET_KEY": secret}
    regulars = Path(sys.executable).with_name("regulars")
    server = subprocess.Popen(
        [str(regulars), "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
            page = client.get("/console/sign-in")
            token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
            assert token is not None
            form = {"email": "bench@coffee.example", "password": PASSWORD, "csrf": token[1]}
            signed = client.post("/console/sign-in", data=form)
            assert signed.status_code == 303, signed.text
            cookie = client.cookies["regulars_console"]
            for label, texts in asked.items():
                times, found = [], []
                for typed in texts[: min(len(texts), 300)]:
                    started = time.perf_counter()
                    answer = client.get("/console/members", params={"q": typed})
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200
                    found.append(answer.text.count("<tr>") - 1)
                report(f"HTTP page: {label}", times, found)
        if shutil.which("wrk"):
            for label, texts in asked.items():
                quoted = str(httpx.URL(f"{base}/console/members", params={"q": texts[0]}))
                out = subprocess.run(
                    ["wrk", "-t2", "-c4", "-d10s", "--latency", "-H",
                     f"Cookie: regulars_console={cookie}", quoted],
                    capture_output=True, text=True, check=False,
                ).stdout  # fmt: skip
                rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
                p99 = re.search(r"99%\s+([\d.]+\w+)", out)
                shown = (rate[1] if rate else "?", p99[1] if p99 else "?")
                print(f"wrk (2 threads, 4 connections, 10 s) {label}: {shown[0]} pages/s, "
                      f"p99 {shown[1]}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--postgres", default=os.environ.get("REGULARS_TEST_POSTGRES_URL", DSN_DEFAULT)
    )
    parser.add_argument("--http", action="store_true", help="also time the console's page")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()

    admin_url = normalise_database_url(args.postgres)
    name = f"regulars_bench_console_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    secret = "bench-" + uuid.uuid4().hex
    try:
        app = build(Settings(database_url=url, secret_key=secret))
        names, numbers = load(url, args.members, args.seed)
        with app.unit_of_work() as uow:
            accounts.add_staff(uow, "bench@coffee.example", "staff", PASSWORD,
                               datetime.now(UTC), Actor("cli", None, "bench"))  # fmt: skip
            uow.commit()
        rng = random.Random(args.seed + 1)
        asked = queries(names, numbers, args.queries, rng)
        given = unicodedata.normalize("NFC", asked["part of a Korean name (2 syllables)"][0])
        print(f"{args.members:,} members; e.g. {asked['phone typed with dashes'][0]!r}, {given!r}")
        results = time_service(app, asked)
        if args.http:
            time_http(url, asked, secret)
        app.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    print(f"p95 ms: {max(results.values()):.1f}")


if __name__ == "__main__":
    main()
