"""Slot values of one chunk: what ``{product}``, ``{order}``, ``{phone}`` … say in each conversation.

Values are per interaction, so one conversation mentions the same order number and product
throughout; the customer's identifiers come from the customer record, so personal data read out in a
call matches the customer's phone, ID number, e-mail and bank card.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from csqm.generate import plan as P
from csqm.generate.banks import catalog, reference, texts
from csqm.generate.org import Org
from csqm.generate.people import VIP, Customers
from csqm.generate.textkit import choose, join, num, slot_table, take

_PAST = 200  # day labels cover [-_PAST, days + 40)


@cache
def _day_labels(plan: P.Plan) -> pa.Array:
    return pa.array(P.day_label(plan, np.arange(-_PAST, plan.days + 40), plan.lang), type=pa.string())


def _labels(plan: P.Plan, day: np.ndarray) -> pa.Array:
    return take(_day_labels(plan), np.clip(day + _PAST, 0, _PAST + plan.days + 39))


def slot_values(
    plan: P.Plan,
    people: Customers,
    org: Org,
    cust: np.ndarray,
    product: np.ndarray,
    day: np.ndarray,
    agent: np.ndarray,
    rng: np.random.Generator,
) -> pa.Array:
    """The flat slot table of ``len(cust)`` conversations (see :func:`textkit.slot_table`)."""
    n, lang, cat = len(cust), plan.lang, catalog()
    ref = reference(lang)
    price = ref.product_price[product]
    amount = np.round(rng.uniform(0.05, 1.0, n) * price[:, 0] / 10) * 10 + 9
    courier_idx = rng.integers(0, len(cat["couriers"][lang]), n)
    courier_code = pa.array(["SF", "ZT", "YT", "JD", "YD", "ST", "EM"])
    u = rng.random(n)
    phone = choose(u < 0.75, take(people.ident[0], cust), take(people.phone_spaced, cust))
    card = choose(u < 0.6, take(people.card, cust), take(people.card_spaced, cust))
    level_idx = np.where(people.segment[cust] == VIP, rng.integers(2, 4, n), rng.integers(0, 3, n))
    numbers = pa.array([*org.agent_no().to_pylist(), ""], type=pa.string())
    agent_no = take(numbers, np.where(agent >= 0, agent, len(numbers) - 1))
    columns = {
        "product": take(pa.array(ref.product_names), product),
        "order": join("DD", num(rng.integers(2 * 10**11, 10**12, n), 12)),
        "date": _labels(plan, day - rng.integers(1, 12, n)),
        "amount": join(num(amount.astype(np.int64)), "元") if lang == "zh" else join("¥", num(amount.astype(np.int64))),
        "city": take(pa.array(ref.city_names), people.city[cust]),
        "phone": phone,
        "idno": take(people.idno, cust),
        "email": take(people.ident[1], cust),
        "card": card,
        "last4": take(pc.utf8_slice_codeunits(people.ident[0], start=7), cust),
        "agent_no": agent_no,
        "hdate": _labels(plan, day - rng.integers(20, 150, n)),
        "days": num(rng.integers(2, 8, n)),
        "courier": take(pa.array(cat["couriers"][lang]), courier_idx),
        "tracking": join(take(courier_code, courier_idx), num(rng.integers(2 * 10**11, 10**12, n), 12)),
        "title": take(people.title, cust),
        "level": take(pa.array(cat["member_levels"][lang]), level_idx),
        "points": num(rng.integers(2, 60, n) * 100),
        "time": take(pa.array(texts(lang)["times"]), rng.integers(0, len(texts(lang)["times"]), n)),
    }
    return slot_table(columns, n)
