"""The daily campaign job on a million members: audience evaluation and message planning.

One run, on PostgreSQL:

1. **The store** (built once, kept as a template database ``regulars_campaigns_<members>_
   <schema>``; later runs copy it in seconds): the demo chain's programs, N members (e-mail,
   phone, birthday, locale, segment, signup date; consents by channel), about two purchases
   each spread over 400 days, a BG/NBD-shaped score row each (P(alive), value at risk), NPS
   answers for one in ten (a few in the last days: promoters, detractors with their resolved
   cases), tiers in ``bean-points`` with some in their grace period, expiring points for one
   in 25 and a few recent tier changes; then **the per-member analytics written back** by the
   real job (``services.member_analytics.compute_member_analytics``, as ``regulars scores
   compute`` runs it).
2. **Ten running campaigns, all playbooks** (``services/engagement/playbooks``): welcome,
   birthday, points expiring, win-back, detractor recovery, promoter referral, tier up, tier at
   risk, post-purchase survey, VIP service — defined and launched through the services.
3. **The daily run**, in a process of its own (so its peak RSS is its own): the real
   ``services.engagement.campaign_runs.run_campaigns`` as of 12:30 in Seoul (every daily
   trigger due), in one transaction, committed; its wall time (run and commit) and the
   process's peak RSS (``getrusage``), with what it planned per campaign.

It prints the setup figures, then what the run did, the goal lines (wall <= 20 s, peak RSS
<= 2 GB), the peak memory and, as its last line, ``wall s: N``. Heavy: run it on a quiet machine.

    .venv/bin/python bench/bench_campaigns.py \\
        [--members 1000000] [--postgres URL] [--fresh] [--drop-template]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

sys.path.insert(0, os.path.dirname(__file__))
from bench_pos import analyse, fresh_store, sql_admin
from regulars.bootstrap import build
from regulars.config import Settings, normalise_database_url

TIMEZONE = "Asia/Seoul"
NOW = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # 12:30 in Seoul: every daily trigger is due
PROGRAM = "bean-points"
SURVEY = "nps"
PLAYBOOKS = (
    "welcome", "birthday", "points-expiring", "win-back", "detractor-recovery",
    "promoter-referral", "tier-up", "tier-at-risk", "post-purchase-survey", "vip-service",
)  # fmt: skip
GOAL_SECONDS = 20.0
GOAL_BYTES = 2 * 1024**3

# The facts, as SQL over generate_series (i is the member's number, 1..N); :now is NOW.
FACTS = (
    # members (consents drawn apart from the other facts: about 77 % e-mail, 70 % SMS):
    # one in ten without e-mail, one in three without a phone; 1 in 50 vip, 1 in 20
    # business; signed up over the last 1,500 days (three days' worth are new)
    """INSERT INTO members (external_id, name, email, phone, birth_date, locale, segment,
           signup_date, created_at, updated_at)
       SELECT 'M' || lpad(i::text, 7, '0'), 'Member ' || i,
              CASE WHEN i % 10 <> 0 THEN 'm' || i || '@example.kr' END,
              CASE WHEN i % 3 <> 0 THEN '010' || lpad(i::text, 8, '0') END,
              date '1960-01-01' + (i * 37 % 18000),
              CASE WHEN i % 9 = 0 THEN 'en' ELSE 'ko' END,
              CASE WHEN i % 50 = 0 THEN 'vip' WHEN i % 20 = 0 THEN 'business'
                   ELSE 'individual' END,
              (:now AT TIME ZONE 'Asia/Seoul')::date - (i % 1500),
              :now - make_interval(days => (i % 1500)::int), :now
       FROM generate_series(1, :n) AS i""",
    """INSERT INTO member_consents (member_id, channel, granted, at, source)
       SELECT id, 'email', id * 7919 % 13 < 10, created_at, 'bench' FROM members
       UNION ALL
       SELECT id, 'sms', id * 104729 % 17 < 12, created_at, 'bench' FROM members""",
    """INSERT INTO stores (code, name, region) VALUES ('S01', 'Mangwon', 'Seoul'),
           ('S02', 'Haeundae', 'Busan'), ('S03', 'Seomyeon', 'Busan')""",
    # purchases: 0-4 per member (two on average) over the last 400 days
    """INSERT INTO purchases (external_id, member_id, occurred_at, store_id, channel, kind,
           total_amount)
       SELECT 'P' || m.id || '-' || k, m.id,
              :now - make_interval(days => ((m.id * 7 + k * 53) % 400)::int, hours => 1 + k),
              (SELECT min(id) FROM stores) + m.id % 3,
              'store', 'sale', 3000 + (m.id * 31 + k * 977) % 40000
       FROM members m CROSS JOIN generate_series(0, 3) AS k
       WHERE k < m.id % 5""",
    """INSERT INTO member_scores (member_id, computed_at, model, frequency, recency_days,
           age_days, probability_alive, expected_purchases, horizon_days, clv, value_at_risk)
       SELECT id, :now, 'bgnbd', id % 5, 0, 400, ((id * 13) % 100) / 100.0, 1.5, 365,
              (id * 7919) % 150000, (id * 7919) % 100000
       FROM members""",
    # every member has an account in the points program; one in ten is gold, one in thirty
    # of those in the grace period of a tier they no longer reach
    """INSERT INTO loyalty_accounts (member_id, program_id, available, tier, tier_since,
           tier_grace_until, created_at, updated_at)
       SELECT m.id, p.id, CASE WHEN m.id % 25 = 0 THEN 600 ELSE 0 END,
              CASE WHEN m.id % 10 = 7 THEN 'gold' ELSE 'green' END, m.created_at,
              CASE WHEN m.id % 30 = 7 THEN :now + make_interval(days => (m.id % 60)::int) END,
              m.created_at, :now
       FROM members m CROSS JOIN loyalty_programs p WHERE p.code = :program""",
    """INSERT INTO ledger_transactions (account_id, kind, points, program_version,
           occurred_at, source_key)
       SELECT a.id, 'bonus', 600, 1, :now - interval '300 days', 'bench-lot-' || a.id
       FROM loyalty_accounts a WHERE a.available = 600""",
    """INSERT INTO points_lots (account_id, transaction_id, points, remaining, awarded_at,
           release_at, expires_at, released, closed)
       SELECT t.account_id, t.id, 600, 600, t.occurred_at, t.occurred_at,
              :now + interval '10 days', true, false
       FROM ledger_transactions t WHERE t.source_key LIKE 'bench-lot-%'""",
    # NPS answers: one member in ten, 20-200 days ago; one in 500 of them in the last two days
    """INSERT INTO survey_answers (response_id, survey_id, member_id, question, subject,
           value, language, collected_at, source)
       SELECT 'R' || m.id, s.id, m.id, 'nps', '-', (m.id * 3) % 11, m.locale,
              CASE WHEN m.id % 5000 = 0 THEN :now - make_interval(hours => (1 + m.id % 40)::int)
                   ELSE :now - make_interval(days => (20 + m.id % 180)::int) END, 'api'
       FROM members m CROSS JOIN surveys s WHERE m.id % 10 = 0 AND s.code = :survey""",
    # the detractors' cases, resolved yesterday for the recent ones, closed long ago else
    """INSERT INTO feedback_cases (response_id, survey_id, member_id, score, status,
           opened_at, due_at, updated_at, closed_at)
       SELECT a.response_id, a.survey_id, a.member_id, a.value::int,
              'resolved', a.collected_at, a.collected_at + interval '2 days',
              a.collected_at + interval '1 day',
              LEAST(a.collected_at + interval '1 day', :now - interval '1 hour')
       FROM survey_answers a WHERE a.value <= 6""",
    # a few tier changes in the last days (the outbox is the record of them)
    """INSERT INTO outbox (topic, member_id, payload, dedupe_key, created_at, available_at,
           sent_at)
       SELECT 'tier.changed', id, '{"program": "bean-points", "new": "gold"}',
              'bench-tier-' || id, :now - interval '1 day', :now - interval '1 day',
              :now - interval '1 day'
       FROM members WHERE id % 2000 = 0""",
)


def build_template(url: str, members: int) -> dict[str, float]:
    """The store of the run (see the module); the seconds of each part."""
    from regulars.demo.programs import install_demo_programs
    from regulars.domain.feedback.surveys import SurveyDefinition
    from regulars.services.member_analytics import compute_member_analytics

    timings: dict[str, float] = {}
    began = time.perf_counter()
    app = build(Settings(database_url=url, timezone=TIMEZONE))
    with app.unit_of_work() as uow:
        install_demo_programs(uow)
        definition = SurveyDefinition.from_dict({"code": SURVEY, "name": "NPS"}).to_json()
        uow.connection.execute(
            text(
                "INSERT INTO surveys (code, name, definition, active, created_at, updated_at) "
                "VALUES (:c, 'NPS', :d, true, :now, :now)"
            ),
            {"c": SURVEY, "d": definition, "now": NOW},
        )
        for statement in FACTS:
            uow.connection.execute(
                text(statement),
                {"now": NOW, "n": members, "program": PROGRAM, "survey": SURVEY},
            )
        uow.commit()
    timings["facts"] = time.perf_counter() - began
    print(f"  facts written in {timings['facts']:.0f} s", flush=True)
    analyse(url, "VACUUM ANALYZE")
    began = time.perf_counter()
    with app.unit_of_work() as uow:
        written = compute_member_analytics(uow, NOW, timezone=TIMEZONE)
        uow.commit()
    timings["analytics"] = time.perf_counter() - began
    print(f"  analytics written back in {timings['analytics']:.0f} s ({written})", flush=True)
    app.engine.dispose()
    analyse(url, "VACUUM ANALYZE")
    return timings


def describe_store(url: str) -> None:
    engine = create_engine(url)
    with engine.connect() as c:
        for table in ("members", "member_consents", "purchases", "member_scores",
                      "member_analytics", "loyalty_accounts", "survey_answers",
                      "feedback_cases"):  # fmt: skip
            count = c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            print(f"  {table}: {count:,} rows")
    engine.dispose()


def launch_playbooks(url: str) -> None:
    from regulars.domain.engagement.campaigns import State
    from regulars.services.engagement import campaigns, playbooks

    app = build(Settings(database_url=url, timezone=TIMEZONE), migrate_schema=False)
    with app.unit_of_work() as uow:
        for code in PLAYBOOKS:
            playbooks.create(uow, code, program=PROGRAM, survey=SURVEY)
            campaigns.move(uow, code, State.RUNNING, NOW)
        uow.commit()
    app.engine.dispose()
    print(f"{len(PLAYBOOKS)} campaigns running: {', '.join(PLAYBOOKS)}", flush=True)


def child(url: str) -> None:
    """The daily run in this process: prints one JSON line (wall, peak RSS, per campaign)."""
    from regulars.services.engagement import campaign_runs

    app = build(Settings(database_url=url, timezone=TIMEZONE), migrate_schema=False)
    began = time.perf_counter()
    with app.unit_of_work() as uow:
        summary = campaign_runs.run_campaigns(uow, NOW, timezone=TIMEZONE)
        uow.commit()
    wall = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    app.engine.dispose()
    days = [c.__dict__ for c in summary.campaigns]
    print(json.dumps({"wall": wall, "peak": peak, "campaigns": days}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "REGULARS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"
        ),
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the template database")
    parser.add_argument("--drop-template", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    base = normalise_database_url(args.postgres)
    load = os.getloadavg()
    print(f"load before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    url, name, template = fresh_store(
        base, args.members, args.fresh, prefix="regulars_campaigns", builder=build_template
    )
    try:
        describe_store(url)
        launch_playbooks(url)
        done = subprocess.run(
            [sys.executable, __file__, "--child", url], capture_output=True, text=True
        )
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            raise SystemExit(done.returncode)
        found = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        sql_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if args.drop_template:
            sql_admin(base, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    print("campaign               candidates  treated  holdout  capped  messages  gifts  "
          "tasks  surveys")  # fmt: skip
    for c in found["campaigns"]:
        print(
            f"{c['code']:<22} {c['candidates']:>10,} {c['treated']:>8,} {c['holdout']:>8,} "
            f"{c['capped']:>7,} {c['messages']:>9,} {c['gifts']:>6,} {c['tasks']:>6,} "
            f"{c['surveys']:>8,}"
        )
    load = os.getloadavg()
    print(f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    met = found["wall"] <= GOAL_SECONDS
    print(f"goal: wall <= {GOAL_SECONDS:.0f} s: {'met' if met else 'MISSED'}")
    print(f"goal: peak RSS <= 2 GB: {'met' if found['peak'] <= GOAL_BYTES else 'MISSED'}")
    print(f"peak RSS MB: {found['peak'] / 1024**2:,.0f}")
    print(f"wall s: {found['wall']:.1f}")


if __name__ == "__main__":
    main()
