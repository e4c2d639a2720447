"""The till over HTTP, on both stores: one sale answers everything the POS prints, a sale
sent again answers the same, the cancel key voids a sale or a redemption exactly once, and
a quote says why points cannot pay."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.bootstrap import App
from regulars.demo.programs import BEAN_POINTS, COFFEE_STAMPS, OFFICE_CARD
from regulars.services.loyalty.verify import verify_ledger
from regulars.store.tables import ledger_transactions, outbox, till_voids

INSTANT = {  # no return window: points are spendable at once
    "code": "instant",
    "kind": "points",
    "points": {
        "earn": {"points": 10, "per_amount": 100},
        "redeem": {"min_points": 500, "max_share_percent": 50},
    },
}


def install(client: TestClient, admin: dict[str, str], *programs: dict[str, Any]) -> None:
    for program in programs:
        answer = client.post("/v1/programs", headers=admin, json=program)
        assert answer.status_code == 200, answer.text


def enrol(client: TestClient, pos: dict[str, str], member: str = "M1") -> None:
    answer = client.post("/v1/members", headers=pos, json={"member_id": member})
    assert answer.status_code == 201, answer.text


def sale(purchase_id: str, lines: list[dict[str, Any]], **head: Any) -> dict[str, Any]:
    return {
        "purchase_id": purchase_id,
        "member_id": "M1",
        "occurred_at": "2026-11-22T08:15:00+09:00",
        "store": "S01",
        "lines": lines,
        **head,
    }


def program(answer: dict[str, Any], code: str) -> dict[str, Any]:
    (found,) = [p for p in answer["loyalty"] if p["program"] == code]
    return found


COFFEES = {"product": "latte", "category": "coffee", "quantity": 6, "amount": 30000}
BEANS = {"product": "beans_250g", "category": "beans", "quantity": 1, "amount": 18000}
COUPON = {"product": "coupon", "category": "discount", "amount": -4800}


def test_one_sale_answers_everything_the_till_prints(
    client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, BEAN_POINTS, COFFEE_STAMPS, OFFICE_CARD)
    enrol(client, pos)
    body = sale("T1-1", [COFFEES, BEANS, COUPON])
    first = client.post("/v1/purchases", headers=pos, json=body)
    assert first.status_code == 201, first.text
    answer = first.json()
    # The time comes back as the till sent it: the business's time zone, with its offset.
    assert answer["occurred_at"] == "2026-11-22T08:15:00+09:00"
    assert answer["total_amount"] == 30000 + 18000 - 4800  # the coupon is a discount
    assert [line["amount"] for line in answer["lines"]] == [30000, 18000, -4800]

    points = program(answer, "bean-points")
    # 5 per 100 on coffee, doubled on beans: 1,500 + 1,800 on list prices; the member paid
    # 43,200 of 48,000, so 90 % of it (pro rata over the lines).
    assert points["points"] == (1500 + 1800) * 43200 // 48000 == 2970
    assert (points["points_pending"], points["points_available"]) == (2970, 0)
    assert points["pending_until"] == "2026-11-29T08:15:00+09:00"  # a 7-day return window
    assert (points["balance"], points["pending"], points["debt"]) == (0, 2970, 0)
    assert points["tier"] == "green"
    assert points["tier_change"] == {"from": None, "to": "green"}

    stamps = program(answer, "coffee-stamps")
    assert (stamps["stamps"], stamps["card"], stamps["stamps_to_reward"]) == (6, 0, 6)
    (voucher,) = stamps["vouchers"]
    assert voucher["name"] == "Free coffee"
    assert voucher["product"] == "americano"
    assert voucher["expires_at"] == "2027-01-21T08:15:00+09:00"  # valid 60 days
    issued = client.get("/v1/members/M1/loyalty/coffee-stamps/rewards", headers=pos).json()
    assert [r["code"] for r in issued] == [voucher["code"]]

    card = program(answer, "office-card")
    assert (card["cumulative_spend"], card["discount_percent"]) == (43200, "0")

    # The same sale again adds nothing and answers the same; so does reading it back.
    again = client.post("/v1/purchases", headers=pos, json=body)
    assert again.status_code == 200
    assert again.json() == answer
    assert client.get("/v1/purchases/T1-1", headers=pos).json() == answer
    keyed = {**pos, "Idempotency-Key": "till-1-0002"}
    other = sale("T1-2", [BEANS])
    fresh = client.post("/v1/purchases", headers=keyed, json=other)
    replay = client.post("/v1/purchases", headers=keyed, json=other)
    assert fresh.status_code == replay.status_code == 201
    assert replay.json() == fresh.json()
    assert program(fresh.json(), "bean-points")["tier_change"] is None  # green already


def test_a_sale_over_the_threshold_lifts_the_tier_at_once_and_its_void_puts_it_back(
    app: App, client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, BEAN_POINTS)
    enrol(client, pos)
    big = {"product": "espresso_machine", "category": "gear", "amount": 290000}
    client.post("/v1/purchases", headers=pos, json=sale("T-1", [big]))
    lifting = client.post("/v1/purchases", headers=pos, json=sale("T-2", [BEANS])).json()
    gold = program(lifting, "bean-points")
    assert gold["tier_change"] == {"from": "green", "to": "gold"}  # 308,000 in 12 months
    assert gold["points"] == 1800  # earned at the tier it found: gold counts from the next
    after = client.post("/v1/purchases", headers=pos, json=sale("T-3", [BEANS])).json()
    assert program(after, "bean-points")["points"] == 2700  # gold earns 1.5 times
    assert program(after, "bean-points")["tier"] == "gold"

    void = client.post("/v1/purchases/T-2/void", headers=pos, json={"reason": "wrong card"})
    assert void.status_code == 201, void.text
    undone = program(void.json(), "bean-points")
    # Without T-2 the member spent 308,000 - 18,000 + 18,000 (T-3): still gold.
    assert undone["tier_change"] is None
    assert undone["tier"] == "gold"
    again = client.post("/v1/purchases/T-3/void", headers=pos)
    assert program(again.json(), "bean-points")["tier_change"] is None  # T-3 lifted nothing
    first = client.post("/v1/purchases/T-1/void", headers=pos)
    # T-1 did not lift the tier either (it opened green): gold stays until the grace period.
    assert program(first.json(), "bean-points")["tier"] == "gold"
    with app.engine.connect() as connection:
        topics = [t for (t,) in connection.execute(select(outbox.c.topic))]
    assert topics.count("tier.changed") == 2  # none -> green, green -> gold


def test_the_void_of_the_lifting_sale_puts_the_tier_back(
    client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, BEAN_POINTS)
    enrol(client, pos)
    big = {"product": "espresso_machine", "category": "gear", "amount": 290000}
    client.post("/v1/purchases", headers=pos, json=sale("T-1", [big]))
    client.post("/v1/purchases", headers=pos, json=sale("T-2", [BEANS]))
    void = client.post("/v1/purchases/T-2/void", headers=pos).json()
    assert program(void, "bean-points")["tier_change"] == {"from": "gold", "to": "green"}
    assert program(void, "bean-points")["tier"] == "green"
    balances = client.get("/v1/members/M1/loyalty", headers=pos).json()["programs"]
    assert balances[0]["tier"] == "green"


def test_a_void_takes_back_exactly_what_the_sale_posted_once(
    app: App, client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, BEAN_POINTS, COFFEE_STAMPS, OFFICE_CARD)
    enrol(client, pos)
    before = client.post("/v1/purchases", headers=pos, json=sale("T-0", [BEANS])).json()
    posted = client.post("/v1/purchases", headers=pos, json=sale("T-1", [COFFEES])).json()
    (voucher,) = program(posted, "coffee-stamps")["vouchers"]

    void = client.post("/v1/purchases/T-1/void", headers=pos, json={"reason": "wrong member"})
    assert void.status_code == 201, void.text
    answer = void.json()
    assert answer["voided"] is True
    assert answer["reason"] == "wrong member"
    assert answer["voided_by"].startswith("api-key:")
    assert answer["total_amount"] == -30000
    points = program(answer, "bean-points")
    assert points["points"] == -program(posted, "bean-points")["points"] == -1500
    # Back to what the member held before the voided sale.
    assert points["pending"] == program(before, "bean-points")["pending"] == 1800
    stamps = program(answer, "coffee-stamps")
    assert (stamps["stamps"], stamps["card"]) == (-6, 0)
    assert stamps["vouchers_revoked"] == [voucher["code"]]
    assert program(answer, "office-card")["cumulative_spend"] == 18000
    rewards = client.get("/v1/members/M1/loyalty/coffee-stamps/rewards", headers=pos).json()
    assert [r["state"] for r in rewards] == ["revoked"]

    again = client.post("/v1/purchases/T-1/void", headers=pos, json={"reason": "twice"})
    assert again.status_code == 200
    assert again.json() == answer  # the first void's answer: nothing is taken twice
    with app.unit_of_work() as uow:
        assert verify_ledger(uow)["clean"]
    with app.engine.connect() as connection:
        audit = connection.execute(select(till_voids)).mappings().one()
    assert (audit["kind"], audit["reason"], audit["actor"]) == (
        "purchase",
        "wrong member",
        answer["voided_by"],
    )
    # A refund cannot be voided, nor a sale already refunded in part; an unknown one is 404.
    refund = {
        **sale("R-0", [{**BEANS, "amount": 9000}]),
        "kind": "refund",
        "original_purchase_id": "T-0",
    }
    assert client.post("/v1/purchases", headers=pos, json=refund).status_code == 201
    assert client.post("/v1/purchases/R-0/void", headers=pos).status_code == 409
    assert client.post("/v1/purchases/T-0/void", headers=pos).status_code == 409
    assert client.post("/v1/purchases/nope/void", headers=pos).status_code == 404


def test_voiding_a_redemption_gives_its_points_back_once(
    app: App, client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, INSTANT)
    enrol(client, pos)
    client.post("/v1/purchases", headers=pos, json=sale("T-1", [BEANS]))  # 1,800 points
    keyed = {**pos, "Idempotency-Key": "order-1"}
    body = {"member_id": "M1", "program": "instant", "points": 1000, "order_amount": 5000}
    redeemed = client.post("/v1/loyalty/redeem", headers=keyed, json=body).json()
    assert redeemed["balance"] == 800
    path = f"/v1/loyalty/redemptions/{redeemed['transaction_id']}/void"

    void = client.post(path, headers=pos, json={"reason": "customer changed their mind"})
    assert void.status_code == 201, void.text
    answer = void.json()
    assert answer["voids"] == redeemed["transaction_id"]
    assert answer["points"] == 1000
    assert answer["balance"] == 1800
    assert answer["returned"] == redeemed["lots"]  # into the very lots it drew
    lots = client.get("/v1/members/M1/loyalty/instant/lots", headers=pos).json()
    assert [lot["remaining"] for lot in lots] == [1800]
    again = client.post(path, headers=pos)
    assert again.status_code == 200
    assert again.json() == answer
    assert client.get("/v1/members/M1/loyalty", headers=pos).json()["programs"][0]["balance"] == (
        1800
    )
    history = client.get("/v1/members/M1/loyalty/instant/history", headers=pos).json()
    assert history[0]["kind"] == "void"
    assert history[0]["points"] == 1000
    assert history[0]["actor"] == answer["voided_by"]
    assert history[0]["reason"] == "customer changed their mind"
    # Not a redemption, or no such transaction: 404.
    earn = history[-1]["transaction_id"]
    assert client.post(f"/v1/loyalty/redemptions/{earn}/void", headers=pos).status_code == 404
    assert client.post("/v1/loyalty/redemptions/999999/void", headers=pos).status_code == 404
    with app.unit_of_work() as uow:
        assert verify_ledger(uow)["clean"]
    with app.engine.connect() as connection:
        kinds = [k for (k,) in connection.execute(select(ledger_transactions.c.kind))]
    assert kinds.count("void") == 1


def test_a_quote_says_why_points_cannot_pay(
    client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, INSTANT, BEAN_POINTS)
    enrol(client, pos)

    def quote(amount: int, *extra: dict[str, Any]) -> dict[str, Any]:
        lines = [{"product": "latte", "category": "coffee", "amount": amount}, *extra]
        answer = client.post(
            "/v1/loyalty/quote", headers=pos, json={"member_id": "M1", "lines": lines}
        )
        assert answer.status_code == 200, answer.text
        return {p["program"]: p for p in answer.json()["programs"]}

    assert quote(5000)["instant"]["not_redeemable"]["code"] == "no_points"
    client.post("/v1/purchases", headers=pos, json=sale("T-1", [BEANS]))  # 1,800 + pending
    bean = quote(5000)["bean-points"]
    assert bean["not_redeemable"]["code"] == "pending"  # held for the return window
    small = quote(800)["instant"]
    assert small["redeemable_points"] == 0
    assert small["not_redeemable"]["code"] == "below_minimum"  # half of 800 < 500 points
    assert "50 %" in small["not_redeemable"]["reason"]
    capped = quote(2000)["instant"]
    assert (capped["redeemable_points"], capped["redeemable_limited_by"]) == (1000, "share_cap")
    assert capped["not_redeemable"] is None
    # A coupon line in the basket is a discount: it lowers the order and what it earns.
    coupon = {"product": "coupon", "category": "discount", "amount": -1000}
    discounted = quote(5000, coupon)["instant"]
    assert discounted["points_to_earn"] == 400
    assert discounted["redeemable_points"] == 1800  # half of 4,000 covers all 1,800


def test_an_erased_members_voids_keep_no_trace(
    app: App, client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, INSTANT)
    enrol(client, pos)
    client.post("/v1/purchases", headers=pos, json=sale("T-1", [BEANS]))
    client.post("/v1/purchases/T-1/void", headers=pos, json={"reason": "M1 asked"})
    assert client.delete("/v1/members/M1", headers=admin).status_code == 204
    with app.engine.connect() as connection:
        audit = connection.execute(select(till_voids)).mappings().one()
    assert audit["reason"] == "[erased]"
    assert '"M1"' not in audit["answer"]


def test_the_till_finds_the_member_by_phone_with_their_balances(
    client: TestClient, pos: dict[str, str], admin: dict[str, str]
) -> None:
    install(client, admin, INSTANT, COFFEE_STAMPS)
    answer = client.post(
        "/v1/members", headers=pos, json={"member_id": "M1", "phone": "010-2222-3333"}
    )
    assert answer.status_code == 201, answer.text
    client.post("/v1/purchases", headers=pos, json=sale("T-1", [BEANS]))  # 1,800 points
    lookup = client.get(
        "/v1/members/lookup?phone=%2B82%2010%202222%203333&loyalty=true", headers=pos
    )
    assert lookup.status_code == 200, lookup.text
    (member,) = lookup.json()["members"]
    balances = {p["program"]: p for p in member["loyalty"]}
    assert balances["instant"]["balance"] == 1800
    assert balances["coffee-stamps"]["stamps"] == 0
    plain = client.get("/v1/members/lookup?phone=01022223333", headers=pos).json()["members"][0]
    assert "loyalty" not in plain  # only when asked: one query less for the console
