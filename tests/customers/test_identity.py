"""Identity resolution: chains, merges and CRM conflicts, on the pure resolver."""

from __future__ import annotations

from csqm.customers.identity import Resolver, new_customer_id

P1, P2, P3, P4 = ("phone", "p1"), ("phone", "p2"), ("email", "e1"), ("wechat", "w1")
CRM_A, CRM_B = ("crm_id", "ca"), ("crm_id", "cb")


def test_row_without_identifiers_has_no_customer() -> None:
    assert Resolver().resolve_row(1, []) is None


def test_identifiers_on_one_row_are_one_customer() -> None:
    r = Resolver()
    cid = r.resolve_row(1, [P1, P3])
    assert r.resolve_row(2, [P3]) == cid
    assert r.resolve_row(3, [P1]) == cid


def test_new_id_derives_from_smallest_pseudonym() -> None:
    r = Resolver()
    assert r.resolve_row(1, [P3, P1]) == new_customer_id(min(P3, P1))


def test_chain_links_everything_transitively() -> None:
    # phone p1 alone, wechat w1 alone, then p1+e1, then e1+w1: all one customer
    r = Resolver()
    a = r.resolve_row(1, [P1])
    b = r.resolve_row(2, [P4])
    assert a != b
    r.resolve_row(3, [P1, P3])
    r.resolve_row(4, [P3, P4])
    assert r.find(a) == r.find(b)
    assert len({r.current(i) for i in (P1, P3, P4)}) == 1
    assert r.final_merges() == {max(a, b): min(a, b)}


def test_stored_customer_survives_a_merge() -> None:
    r = Resolver()
    r.add_known({P2: "Czzz-stored"})
    new = r.resolve_row(1, [P1])
    merged = r.resolve_row(2, [P1, P2])
    assert merged == "Czzz-stored"
    assert r.final_merges() == {new: "Czzz-stored"}


def test_two_crm_customers_are_never_merged() -> None:
    r = Resolver()
    a = r.resolve_row(1, [CRM_A, P1])
    b = r.resolve_row(2, [CRM_B, P2])
    # a shared family phone appears with CRM B: conflict, not merge
    got = r.resolve_row(3, [CRM_B, P1])
    assert got == b
    assert r.find(a) == a and r.find(b) == b
    assert r.current(P1) == a  # the phone stays with its first owner
    assert [(c.row_key, c.customer_id, c.other_customer_id) for c in r.conflicts] == [(3, b, a)]


def test_conflict_via_chain_of_non_crm_identifiers() -> None:
    r = Resolver()
    a = r.resolve_row(1, [CRM_A, P1])
    b = r.resolve_row(2, [CRM_B, P3])
    got = r.resolve_row(3, [P1, P3])  # no CRM id on the row: linked to the first, conflict recorded
    assert got in (a, b)
    assert r.find(a) != r.find(b)
    assert len(r.conflicts) == 1


def test_customer_with_crm_joins_customer_without() -> None:
    r = Resolver()
    anon = r.resolve_row(1, [P1])
    crm = r.resolve_row(2, [CRM_A])
    r.resolve_row(3, [CRM_A, P1])
    assert r.find(anon) == r.find(crm)
    assert not r.conflicts


def test_known_crm_of_stored_customer_blocks_merge() -> None:
    r = Resolver()
    r.add_known({P1: "Cstored1", CRM_A: "Cstored1", P2: "Cstored2", CRM_B: "Cstored2"})
    r.resolve_row(1, [P1, P2])
    assert r.find("Cstored1") != r.find("Cstored2")
    assert len(r.conflicts) == 1


def test_customer_holding_a_crm_id_survives_over_a_stored_bare_one() -> None:
    r = Resolver()
    r.add_known({P1: "Caaa-bare"})  # stored, no CRM id, smaller id
    crm = r.resolve_row(1, [CRM_A])
    merged = r.resolve_row(2, [CRM_A, P1])
    assert merged == crm
    assert r.final_merges() == {"Caaa-bare": crm}
