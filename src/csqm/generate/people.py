"""Customers: segments, regions, names, addresses and their identifiers on each channel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from csqm.generate import plan as P
from csqm.generate.banks import catalog, reference
from csqm.generate.pii import bank_cards, id_numbers, mobiles, pick_strings, spaced
from csqm.generate.textkit import choose, join, num, take

SEGMENTS = ("VIP", "regular", "new", "potential")
VIP, REGULAR, NEW, POTENTIAL = range(4)
_ALPHABET = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)


@dataclass(frozen=True)
class Customers:
    """All customers as column arrays; identity ``k`` of customer ``i`` is ``ident[k][i]``."""

    n: int
    line: np.ndarray  # 0 ToC, 1 ToB
    segment: np.ndarray
    region: np.ndarray
    city: np.ndarray
    first_seen: np.ndarray  # generator seconds
    has: np.ndarray  # (n, 6) identity known to some channel, IDENTITIES order
    listed: np.ndarray  # (n, 6) identity given in customers.csv
    ident: tuple[pa.Array, ...]
    phone_spaced: pa.Array
    idno: pa.Array
    card: pa.Array
    card_spaced: pa.Array
    title: pa.Array
    name: pa.Array
    address: pa.Array
    contact_cdf: np.ndarray
    order_rate: np.ndarray  # orders per 30 days
    churn_day: np.ndarray  # day offset of the planted bad experience, -1 if none

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Customers drawn by contact propensity."""
        return np.asarray(np.searchsorted(self.contact_cdf, rng.random(size) * self.contact_cdf[-1], side="right"))


def make_customers(plan: P.Plan) -> Customers:
    """Generate the customer base of a run."""
    rng, n, ref, cat = plan.rng(1), plan.customers, reference(plan.lang), catalog()
    line = (rng.random(n) < 0.12).astype(np.int8)
    seg_p = np.where(line[:, None] == 1, [[0.3, 0.7, 0, 0]], [[0.08, 0.55, 0.22, 0.15]])
    segment = (rng.random(n)[:, None] > np.cumsum(seg_p, axis=1)).sum(axis=1).astype(np.int8)
    region = rng.choice(len(ref.region_weight), n, p=ref.region_weight / ref.region_weight.sum())
    city = _city_of(region, ref.city_region, rng)
    has = _identities(line, segment, rng)
    listed = has.copy()
    listed[:, 2] &= rng.random(n) < 0.8
    listed[:, 4] &= rng.random(n) < 0.5
    listed[:, 2] |= has[:, 2] & ~listed.any(axis=1)
    names, pinyin, title = _names(plan, line, rng)
    index = np.arange(n, dtype=np.int64)
    phone = mobiles(cat["mobile_prefixes"], index, plan.seed % 997)
    card = bank_cards(cat["card_bins"], rng, n)
    ident = (
        phone,
        join(pinyin, num(index), "@", pick_strings(cat["email_domains"], rng, n)),
        _openids(rng, n),
        join("M", num((index * 7_919 + 1_000_000_007) % 10**10, 10)),
        join("wb_" if plan.lang == "zh" else "@", pinyin, num(index)),
        join("CRM", num(10_000_001 + index, 8)),
    )
    return Customers(
        n=n,
        line=line,
        segment=segment,
        region=region,
        city=city,
        first_seen=_first_seen(plan, segment, rng),
        has=has,
        listed=listed,
        ident=ident,
        phone_spaced=spaced(phone, (3, 4, 4)),
        idno=id_numbers(ref.city_area[city], rng, plan.start),
        card=card,
        card_spaced=spaced(card, (4, 4, 4, 4)),
        title=title,
        name=names,
        address=_addresses(plan, region, city, rng),
        contact_cdf=np.cumsum(_propensity(line, segment, rng)),
        order_rate=_order_rate(line, segment, rng),
        churn_day=_churners(plan, line, segment, has, rng),
    )


def _city_of(region: np.ndarray, city_region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    first = np.searchsorted(city_region, region, side="left")
    count = np.searchsorted(city_region, region, side="right") - first
    return first + (rng.random(len(region)) * count).astype(np.int64)


def _identities(line: np.ndarray, segment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, tob = len(line), line == 1
    u = rng.random((n, 6))
    has = np.empty((n, 6), dtype=bool)
    has[:, 0] = u[:, 0] < np.where(tob, 1.0, 0.95)  # phone
    has[:, 1] = u[:, 1] < np.where(tob, 0.95, 0.55)  # email
    has[:, 2] = u[:, 2] < np.where(tob, 0.4, 0.75)  # wechat
    has[:, 3] = (u[:, 3] < 0.6) & ~tob & (segment != POTENTIAL)  # member id
    has[:, 4] = u[:, 4] < np.where(tob, 0.05, 0.25)  # social handle
    has[:, 5] = (segment != POTENTIAL) | (u[:, 5] < 0.4)  # CRM id
    has[:, 2] |= ~has[:, 0] & ~has[:, 5]
    return has


def _names(plan: P.Plan, line: np.ndarray, rng: np.random.Generator) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(display name in the run's language, lower-case pinyin handle, polite form of address)."""
    cat, n = catalog(), len(line)
    sur, given = cat["surnames"], cat["given"]
    weights = np.array([s[2] for s in sur], dtype=float)
    s_idx = rng.choice(len(sur), n, p=weights / weights.sum())
    g1, g2 = rng.integers(0, len(given), n), rng.integers(0, len(given), n)
    two = rng.random(n) < 0.7
    sur_zh, sur_py = pa.array([s[0] for s in sur]), pa.array([s[1] for s in sur])
    giv_zh, giv_py = pa.array([g[0] for g in given]), pa.array([g[1] for g in given])
    empty = pa.array([""] * n)
    zh = join(take(sur_zh, s_idx), take(giv_zh, g1), choose(two, take(giv_zh, g2), empty))
    given_py = join(pc.utf8_capitalize(take(giv_py, g1)), choose(two, take(giv_py, g2), empty))
    en = join(take(sur_py, s_idx), " ", given_py)
    handle = pc.utf8_lower(join(take(sur_py, s_idx), take(giv_py, g1), choose(two, take(giv_py, g2), empty)))
    male = rng.random(n) < 0.5
    if plan.lang == "zh":
        suffix = choose(line == 1, "经理", choose(male, "先生", "女士"))
        title = join(take(sur_zh, s_idx), suffix)
    else:
        honorific = choose(line == 1, "Manager ", choose(male, "Mr. ", "Ms. "))
        title = join(honorific, take(sur_py, s_idx))
    company = _companies(plan.lang, rng, n)
    person = zh if plan.lang == "zh" else en
    return choose(line == 1, company, person), handle, title


def _companies(lang: str, rng: np.random.Generator, n: int) -> pa.Array:
    parts = catalog()["company_parts"][lang]
    picked = [pick_strings(list(p), rng, n) for p in parts]
    return join(picked[0], picked[1], picked[2]) if lang == "zh" else join(picked[0], " ", picked[1], " ", picked[2])


def _addresses(plan: P.Plan, region: np.ndarray, city: np.ndarray, rng: np.random.Generator) -> pa.Array:
    ref, n = reference(plan.lang), len(region)
    street = pick_strings(catalog()["streets"][plan.lang], rng, n)
    no, room = num(rng.integers(1, 400, n)), num(rng.integers(101, 2900, n))
    prov, town = take(pa.array(ref.region_names), region), take(pa.array(ref.city_names), city)
    if plan.lang == "zh":
        same = np.array(ref.region_names)[region] == np.array(ref.city_names)[city]
        head = choose(same, join(town, "市"), join(prov, "省", town, "市"))
        return join(head, street, no, "号", room, "室")
    return join("Room ", room, ", No. ", no, " ", street, ", ", town, ", ", prov)


def _openids(rng: np.random.Generator, n: int) -> pa.Array:
    chars = _ALPHABET[rng.integers(0, len(_ALPHABET), (n, 27))]
    body = np.ascontiguousarray(chars).view("S27").ravel().astype(str)
    return join("o", pa.array(body))


def _first_seen(plan: P.Plan, segment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    back = np.select(
        [segment == NEW, segment == POTENTIAL],
        [rng.uniform(1, 90, len(segment)), rng.uniform(1, 400, len(segment))],
        rng.uniform(90, 2000, len(segment)),
    )
    return plan.t0 - (back * P.DAY).astype(np.int64)


def _propensity(line: np.ndarray, segment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    seg = np.array([1.5, 1.0, 1.1, 0.6])[segment]
    return np.asarray(rng.gamma(0.8, 1.0, len(line)) * seg * np.where(line == 1, 2.0, 1.0))


def _order_rate(line: np.ndarray, segment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rate = np.array([1.6, 0.6, 0.8, 0.0])[segment] * np.where(line == 1, 1.5, 1.0)
    return np.asarray(rate * rng.lognormal(0.0, 0.4, len(line)))


def _churners(
    plan: P.Plan, line: np.ndarray, segment: np.ndarray, has: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    eligible = np.flatnonzero((line == 0) & (segment <= REGULAR) & has[:, 5] & has[:, 0])
    count = min(round(P.CHURN_SHARE * len(eligible)), plan.interactions // 60)
    chosen = np.sort(rng.choice(eligible, size=count, replace=False))
    lo, hi = max(21, plan.days // 4), max(22, plan.days - 22)
    churn = np.full(len(line), -1, dtype=np.int64)
    churn[chosen] = rng.integers(lo, hi, count)
    return churn
