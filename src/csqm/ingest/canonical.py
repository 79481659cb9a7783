"""The canonical input format: which fields an input file of each kind may carry.

Input files carry the store's columns for their kind, except that the customer is given by one or
more *identity fields* instead of CSQM's ``customer_id``: the source system's customer key
(``customer_crm_id``), phone, e-mail, WeChat openid, member id or social handle. Ingest masks them,
pseudonymises them and resolves them to one CSQM ``customer_id`` (see ``csqm.customers``).

Naive timestamps are in the source time zone (setting ``timezone``, default Asia/Shanghai).
"""

from __future__ import annotations

from csqm.store.schema import IDENTITY_KINDS, SYSTEM_COLUMNS, table

#: input field -> identity kind
IDENTITY_FIELDS: dict[str, str] = {f"customer_{kind}": kind for kind in IDENTITY_KINDS}

#: Kinds whose rows point at a customer through identity fields.
CUSTOMER_LINKED_KINDS = (
    "customers",
    "interactions",
    "tickets",
    "surveys",
    "complaints",
    "orders",
    "kb_events",
)

#: Fields computed by ingest, never read from input.
COMPUTED_FIELDS: dict[str, tuple[str, ...]] = {
    "utterances": ("pii_kinds",),
}

#: Extra personal-data fields of the customers kind (masked, never stored in clear).
CUSTOMER_PERSONAL_FIELDS = ("customer_name", "customer_address")


def canonical_fields(kind: str) -> tuple[str, ...]:
    """All fields an input file of ``kind`` may carry, in canonical order."""
    decl = table(kind)
    skip = set(SYSTEM_COLUMNS) | set(COMPUTED_FIELDS.get(kind, ()))
    fields = [c for c in decl.column_names if c not in skip]
    if kind in CUSTOMER_LINKED_KINDS:
        fields = [f for f in fields if f != "customer_id"]
        fields += list(IDENTITY_FIELDS)
    if kind == "customers":
        fields = [f for f in fields if f != "display_name"] + list(CUSTOMER_PERSONAL_FIELDS)
    return tuple(fields)


def required_fields(kind: str) -> tuple[str, ...]:
    """Fields that must be present and non-empty in every row of ``kind``."""
    decl = table(kind)
    return tuple(
        c.name for c in decl.columns if not c.nullable and c.name not in SYSTEM_COLUMNS and c.name != "customer_id"
    )
