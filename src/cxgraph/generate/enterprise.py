"""`cxgraph generate`: a synthetic Brightwater enterprise of any size, streamed, with the truth it was made from.

The catalog (teams, employees, workflows, policies, products, stock, campaigns, observations) is the sample
enterprise's, copied as is, so every rule, shape and query applies unchanged. The people and everything they
do (orders, lines, fulfilments, shipments, carrier scans, invoices, payments, refunds, service profiles,
interactions, cases, tasks, workflow instances and their histories, approvals, decisions, offer sends,
delivery signals) are generated block by block, in fixed proportions, and written as they are made: memory
does not grow with N. The same seed gives the same files; a block's content does not depend on N.

Beside the exports, `truth/` says what was generated: which customer record belongs to which person (with the
hard cases), which shipments are late by the graph's day, which offer sends the marketing guard must stop and
why, which people a signal affects, and the inconsistencies planted on purpose. The benchmark harness scores
identity resolution and the competency questions against it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cxgraph.errors import CxGraphError
from cxgraph.generate.people import (
    BLOCK,
    NOW,
    START,
    Person,
    local_day,
    make_block,
    phone_styled,
    slug,
    ts_cet,
    ts_local,
    ts_london,
    ts_utc,
    ts_z,
)
from cxgraph.generate.sinks import CsvSink, JsonArraySink, Sinks, stitch

AS_OF = datetime(2026, 11, 20, tzinfo=UTC)  # the moment rules judge (the registry's as_of, at midnight UTC)
TODAY = AS_OF.date()
OUT_OF_STOCK = "BW-10007"  # nowhere available until December (wms/inventory.csv of the catalog)
SIGNAL_SPAN = 10_000  # one carrier delay signal per this many people
EUR_RATE = Decimal("1.17")
# copied from the sample enterprise: the catalog and the exports that describe the business, not people
COPIED = ["catalog", "commerce/products.csv", "wms/inventory.csv", "stock-sheet/stock.csv",
          "observations/practices.csv", "marketing/campaigns.csv", "marketing/offers.csv"]
COPIED_SIGNALS = {"SIG-0002"}  # the WMS service anomaly: a system signal, valid for any customer base
CATEGORY_WORKFLOW = {"delivery_delay": "delivery-issue", "billing_dispute": "billing-dispute",
                     "product_fault": "product-replacement", "account": "account-recovery"}
HUBS = {"swiftparcel": "GB-WAKEFIELD-HUB", "northstar": "GB-DAVENTRY-HUB", "eurolink": "NL-VENLO-HUB",
        "celtic-courier": "IE-DUBLIN-HUB"}
HEADERS = {
    "crm/contacts.csv": ["ContactId", "FirstName", "LastName", "Email", "Phone", "MailingStreet", "MailingCity",
                         "MailingPostalCode", "MailingCountry", "HouseholdId", "LoyaltyTier", "EmailOptIn",
                         "BillingAccountNo", "CreatedDate"],
    "crm/households.csv": ["HouseholdId", "HouseholdName", "Street", "City", "PostalCode", "Country", "CreatedDate"],
    "contact-center/profiles.csv": ["ProfileId", "DisplayName", "Email", "Phone", "CrmContactId", "CreatedAt"],
    "contact-center/interactions.csv": ["InteractionId", "ProfileId", "Channel", "StartedAt", "EndedAt", "Topic",
                                        "OrderNumber", "CaseNumber", "AgentId"],
    "billing/accounts.csv": ["account_no", "holder_name", "email", "phone", "billing_street", "billing_city",
                             "billing_postcode", "billing_country", "crm_contact_id", "created_at"],
    "billing/invoices.csv": ["invoice_no", "account_no", "order_number", "issued_on", "due_on", "amount", "currency",
                             "status"],
    "billing/payments.csv": ["payment_id", "invoice_no", "account_no", "amount", "currency", "status",
                             "failure_reason", "attempted_at"],
    "billing/refunds.csv": ["refund_id", "order_number", "account_no", "amount", "currency", "status", "created_at"],
    "wms/fulfilments.csv": ["fulfilment_id", "order_number", "sku", "status", "updated_at"],
    "marketing/offer_sends.csv": ["send_id", "offer_id", "crm_contact_id", "channel", "scheduled_at", "status"],
    "approvals-sheet/approvals.csv": ["row_id", "case_number", "action", "approver", "amount", "currency",
                                      "approved_at", "note"],
}
JSON_KEYS = {
    "commerce/customers.json": "customers", "commerce/orders.json": "orders",
    "logistics/shipments.json": "shipments", "logistics/carrier_events.json": "events",
    "monitoring/signals.json": "signals", "case-management/cases.json": "result",
    "case-management/tasks.json": "result", "case-management/workflow_instances.json": "result",
    "case-management/workflow_events.json": "result", "case-management/approvals.json": "result",
    "case-management/decisions.json": "result",
}
NESTED = {"commerce/orders.json": "lines", "monitoring/signals.json": "affects"}  # record sets inside items
TRUTH = {
    "truth/records.csv": ["record", "system", "person", "hard_case"],
    "truth/late_shipments.csv": ["shipment", "order", "person", "delivered"],
    "truth/offer_sends.csv": ["send", "campaign", "person", "suppress", "reasons"],
    "truth/signal_parties.csv": ["signal", "person", "via"],
    "truth/inconsistencies.csv": ["kind", "focus", "person"],
    "truth/orders.csv": ["order", "person", "delayed", "backordered", "refunded"],
}


def money(value: Decimal) -> str:
    return f"{value:.2f}"


@dataclass
class Catalog:
    """What generation needs from the sample's catalog: prices, who works where, the workflows' steps."""

    prices: dict[str, Decimal]
    names: dict[str, str]
    staff: dict[tuple[str, str], list[str]]  # (team, role) -> employee ids
    steps: dict[str, list[tuple[str, str]]]  # workflow -> [(step id, team)] in order
    signals: list[dict[str, Any]]

    def people(self, team: str, role: str = "agent") -> list[str]:
        return self.staff.get((team, role)) or self.staff[(team, "supervisor")]


def read_catalog(sample: Path) -> Catalog:
    with (sample / "commerce/products.csv").open(encoding="utf-8") as f:
        products = list(csv.DictReader(f))
    with (sample / "catalog/employees.csv").open(encoding="utf-8") as f:
        staff: dict[tuple[str, str], list[str]] = {}
        for row in csv.DictReader(f):
            staff.setdefault((row["team_id"], row["role_id"]), []).append(row["employee_id"])
    workflows = json.loads((sample / "catalog/workflows.json").read_text(encoding="utf-8"))
    steps = {w["workflow_id"]: [(s["step_id"], s["team_id"]) for s in sorted(w["steps"], key=lambda s: s["sequence"])]
             for w in workflows["workflows"]}
    signals = json.loads((sample / "monitoring/signals.json").read_text(encoding="utf-8"))["signals"]
    return Catalog({p["sku"]: Decimal(p["list_price"]) for p in products}, {p["sku"]: p["name"] for p in products},
                   staff, steps, [s for s in signals if s["signal_id"] in COPIED_SIGNALS])


@dataclass
class Shipment:
    shipment_id: str
    carrier: str
    status: str
    promised: date
    estimated: date
    shipped: datetime
    delivered: datetime | None
    events: list[tuple[str, str, str, datetime]]
    origin: str  # the country whose clock the shipment is written in


@dataclass
class Order:
    number: str
    digits: str
    person: Person
    placed: datetime
    status: str
    currency: str
    lines: list[tuple[str, str, int, Decimal]]  # line id, sku, quantity, amount
    fulfilments: list[tuple[str, str, str, datetime]] = field(default_factory=list)  # id, sku, status, updated
    shipment: Shipment | None = None
    invoice: dict[str, str] | None = None
    payments: list[dict[str, str]] = field(default_factory=list)
    refunded: bool = False

    @property
    def total(self) -> Decimal:
        return sum((amount for *_rest, amount in self.lines), Decimal("0"))

    def late(self) -> bool:
        """Late as rules/late-delivery.rq judges, on the days the exports are written in."""
        sh = self.shipment
        if sh is None:
            return False
        promised = sh.promised.isoformat()
        if sh.delivered is not None:
            return local_day(sh.delivered, 0 if sh.origin in ("GB", "IE") else 1) > promised
        shipped = local_day(sh.shipped, 0 if sh.origin in ("GB", "IE") else 1)
        return shipped > promised or promised < TODAY.isoformat()

    @property
    def backordered(self) -> bool:
        return any(status == "backordered" for _id, _sku, status, _at in self.fulfilments)


@dataclass
class Generated:
    """What a generation wrote: rows per export, people, hard cases, seconds."""

    out: Path
    customers: int
    seed: int
    rows: dict[str, int]
    truth: dict[str, int]
    hard_cases: dict[str, int]
    seconds: float

    @property
    def source_rows(self) -> int:
        return sum(self.rows.values())


class Writer:
    """Generates one enterprise into open sinks, block after block."""

    def __init__(self, sinks: Sinks, catalog: Catalog, seed: int) -> None:
        self.catalog = catalog
        self.seed = seed
        self.csv: dict[str, CsvSink] = {rel: sinks.csv(rel, header) for rel, header in HEADERS.items()}
        self.json: dict[str, JsonArraySink] = {rel: sinks.json(rel, key, NESTED.get(rel))
                                                for rel, key in JSON_KEYS.items()}
        self.truth: dict[str, CsvSink] = {rel: sinks.csv(rel, header) for rel, header in TRUTH.items()}
        self.hard: dict[str, int] = {}
        self.pending_signal: list[tuple[str, Person]] = []  # late shipments still on their way, this span

    # ---- people and their customer records --------------------------------------------------------------
    def person_records(self, p: Person) -> None:
        phone = phone_styled(p.nsn, p.country, "national" if p.country == "GB" else "spaced")
        if p.crm:
            self.csv["crm/contacts.csv"].write({
                "ContactId": p.contact_id, "FirstName": p.first, "LastName": p.last, "Email": p.crm_email,
                "Phone": phone, "MailingStreet": p.street, "MailingCity": p.city, "MailingPostalCode": p.postcode,
                "MailingCountry": p.country, "HouseholdId": p.household if p.household else "",
                "LoyaltyTier": p.loyalty, "EmailOptIn": "true" if p.opt_in else "false",
                "BillingAccountNo": p.account_no if p.billing and p.crm_billing_ref else "",
                "CreatedDate": ts_z(p.created)})
        if p.household_head:
            self.csv["crm/households.csv"].write({
                "HouseholdId": p.household, "HouseholdName": f"{p.last} household", "Street": p.street,
                "City": p.city, "PostalCode": p.postcode, "Country": p.country,
                "CreatedDate": ts_z(p.created - timedelta(minutes=2))})
        if p.commerce:
            customer: dict[str, Any] = {
                "id": p.cus_id, "email": p.commerce_email, "phone": phone_styled(p.nsn, p.country, "e164"),
                "first_name": p.first, "last_name": p.last, "created_at": ts_london(p.created + timedelta(days=3)),
                "accepts_marketing": p.opt_in}
            if p.crm and p.commerce_ref:
                customer["crm_contact_id"] = p.contact_id
            if p.household and p.crm:
                customer["household_id"] = p.household
            self.json["commerce/customers.json"].write(customer)
        if p.billing:
            self.csv["billing/accounts.csv"].write({
                "account_no": p.account_no, "holder_name": p.billing_name, "email": p.billing_email,
                "phone": phone_styled(p.nsn, p.country, "e164").replace(" ", ""), "billing_street": p.street,
                "billing_city": p.city, "billing_postcode": p.postcode, "billing_country": p.country,
                "crm_contact_id": p.contact_id if p.crm and p.billing_ref else "",
                "created_at": ts_z(p.created + timedelta(days=3, minutes=5))})
        if p.profile:
            self.csv["contact-center/profiles.csv"].write({
                "ProfileId": p.profile_id, "DisplayName": p.name, "Email": p.email,
                "Phone": p.profile_phone or phone_styled(p.nsn, p.country, "spaced"),
                "CrmContactId": p.contact_id if p.crm and p.profile_ref else "",
                "CreatedAt": ts_utc(p.created + timedelta(days=4))})
        for system, record in p.records():
            self.truth["truth/records.csv"].write({"record": record, "system": system, "person": p.idx,
                                                   "hard_case": " ".join(p.hard)})
        for case in p.hard:
            self.hard[case] = self.hard.get(case, 0) + 1

    # ---- orders ----------------------------------------------------------------------------------------
    def unit_price(self, sku: str, currency: str) -> Decimal:
        gbp = self.catalog.prices[sku]
        return gbp if currency == "GBP" else (gbp * EUR_RATE).quantize(Decimal("1")) - Decimal("0.01")

    def orders_of(self, p: Person) -> list[Order]:
        r = p.rng
        count = r.choices([0, 1, 2, 3, 4], [8, 30, 32, 18, 12])[0]
        span = (NOW - timedelta(hours=2) - START).total_seconds()
        placed = [START + timedelta(seconds=r.uniform(0, span)) for _ in range(count)]
        if r.random() < 0.14:  # something recent: in flight, delayed or backordered now
            placed.append(NOW - timedelta(seconds=r.uniform(7_200, 12 * 86_400)))
        orders = []
        for k, when in enumerate(sorted(placed)):
            orders.append(self.order(p, k, when))
        return orders

    def order(self, p: Person, k: int, placed: datetime) -> Order:
        r = p.rng
        digits = f"{p.idx:06d}{k}"
        channel = "WEB" if r.random() < 0.6 else "APP"
        age = (NOW - placed).total_seconds() / 86_400
        recent = placed >= datetime(2026, 10, 1, tzinfo=UTC)
        skus = r.sample([s for s in self.catalog.prices if s != OUT_OF_STOCK], r.choices([1, 2, 3], [55, 32, 13])[0])
        pdays = 3 if p.country == "GB" else 4
        roll = r.random()
        if age < 0.75:
            kind = "open"
        elif age < pdays - 0.5:
            kind = "in_transit"
        elif age <= 12 and roll < 0.12:
            kind = "delayed"
        elif age <= 12 and roll < 0.16:
            kind = "backorder"
            skus = [OUT_OF_STOCK, *skus[:1]]
        elif age > 10 and roll < 0.04:
            kind = "cancelled"
        elif roll < 0.10:
            kind = "late_delivered"
        else:
            kind = "delivered"
        if not recent and OUT_OF_STOCK not in skus and r.random() < 0.02:
            skus.append(OUT_OF_STOCK)  # before October the tent was in stock
        cur = p.currency
        number = f"{channel}-1{digits}"
        lines = [(f"{number}-{i}", sku, 1, self.unit_price(sku, cur)) for i, sku in enumerate(skus, 1)]
        status = {"open": "open", "in_transit": "fulfilled", "delayed": "fulfilled", "backorder": "partially_fulfilled",
                  "cancelled": "cancelled", "late_delivered": "delivered", "delivered": "delivered"}[kind]
        order = Order(number, digits, p, placed, status, cur, lines)
        if kind == "cancelled":
            return order
        ship_time = placed + timedelta(hours=r.uniform(3, 20))
        if ship_time > NOW - timedelta(hours=1):
            ship_time = placed + (NOW - placed) / 2
        for i, (_line, sku, _q, _a) in enumerate(lines, 1):
            if kind == "open":
                status_, at = r.choice(["allocated", "picked", "packed"]), placed + timedelta(minutes=r.randint(5, 60))
            elif kind == "backorder" and sku == OUT_OF_STOCK:
                status_, at = "backordered", placed + timedelta(minutes=r.randint(10, 50))
            else:
                status_, at = "shipped", ship_time - timedelta(minutes=r.randint(5, 40))
            order.fulfilments.append((f"FUL-{digits}{i}", sku, status_, min(max(at, placed), NOW)))
        if kind != "open":
            order.shipment = self.shipment(p, order, kind, ship_time, pdays)
        self.invoice(p, order, age)
        return order

    def shipment(self, p: Person, order: Order, kind: str, shipped: datetime, pdays: int) -> Shipment:
        r = p.rng
        carrier = ("swiftparcel" if r.random() < 0.6 else "northstar") if p.country == "GB" else (
            "celtic-courier" if p.country == "IE" else "eurolink")
        origin = "GB" if p.country in ("GB", "IE") else "NL"
        promised = order.placed.date() + timedelta(days=pdays)
        delivered: datetime | None = None
        if kind == "delivered":
            delivered = shipped + timedelta(hours=r.uniform(18, 40))
            latest = datetime.combine(promised, datetime.min.time(), UTC) + timedelta(hours=17)
            delivered = min(delivered, latest, NOW - timedelta(minutes=30))
            delivered = max(delivered, shipped + timedelta(hours=4))
        elif kind == "late_delivered":
            delivered = datetime.combine(promised + timedelta(days=r.randint(1, 4)), datetime.min.time(), UTC) + \
                timedelta(hours=r.uniform(9, 16))
            delivered = min(delivered, NOW - timedelta(minutes=30))
        status = {"in_transit": "in_transit", "delayed": "delayed", "backorder": "delayed"}.get(kind, "delivered")
        if delivered is None and status == "delivered":
            status = "in_transit"
        estimated = delivered.date() if delivered else (promised + timedelta(days=5) if status == "delayed"
                                                        else promised)
        dc = "GB-LEEDS-DC" if origin == "GB" else "NL-ROTTERDAM-DC"
        hub = HUBS[carrier]
        scan = min(shipped + timedelta(hours=r.uniform(3, 8)), NOW - timedelta(minutes=20))
        events = [("PU", f"Collected from Brightwater {'Leeds' if origin == 'GB' else 'Rotterdam'} DC", dc, shipped),
                  ("IT", "Arrived at sorting hub", hub, max(scan, shipped + timedelta(minutes=30)))]
        if status == "delayed" or kind == "late_delivered":
            events.append(("DL", "Delayed: missed linehaul connection", hub,
                           min(shipped + timedelta(hours=r.uniform(20, 30)), NOW - timedelta(minutes=10))))
        depot = f"{p.country}-{slug(p.city).upper()[:10]}-DEPOT"
        if delivered is not None:
            events.append(("OD", "Out for delivery", depot, delivered - timedelta(hours=r.uniform(1, 4))))
            events.append(("DV", "Delivered", depot, delivered))
        events.sort(key=lambda e: e[3])
        return Shipment(f"SHP-{order.digits}", carrier, status, promised, estimated, shipped, delivered, events, origin)

    def invoice(self, p: Person, order: Order, age: float) -> None:
        if not p.billing:
            return
        r = p.rng
        issued = order.placed.astimezone(UTC).date()
        roll = r.random()
        kind = ("retry" if roll < 0.06 else "open" if age < 14 and roll < 0.18 else
                "overdue" if age > 30 and roll < 0.12 else "paid")
        order.invoice = {"invoice_no": f"INV-{order.digits}", "account_no": p.account_no,
                         "order_number": order.number, "issued_on": issued.isoformat(),
                         "due_on": (issued + timedelta(days=14)).isoformat(), "amount": money(order.total),
                         "currency": order.currency, "status": "paid"}
        pay = {"invoice_no": order.invoice["invoice_no"], "account_no": p.account_no, "amount": money(order.total),
               "currency": order.currency}
        first = order.placed + timedelta(seconds=r.randint(20, 90))
        if kind == "paid":
            order.payments.append({"payment_id": f"PAY-{order.digits}1", **pay, "status": "succeeded",
                                   "attempted_at": ts_z(first)})
        elif kind == "retry":
            order.payments.append({"payment_id": f"PAY-{order.digits}1", **pay, "status": "failed",
                                   "failure_reason": r.choice(["card_declined", "authentication_failed"]),
                                   "attempted_at": ts_z(first)})
            order.payments.append({"payment_id": f"PAY-{order.digits}2", **pay, "status": "succeeded",
                                   "attempted_at": ts_z(first + timedelta(hours=r.randint(2, 20)))})
        elif kind == "open":
            order.invoice["status"] = "open"
        else:
            order.invoice["status"] = "overdue"
            due = datetime.combine(issued + timedelta(days=14), datetime.min.time(), UTC) + timedelta(hours=6)
            order.payments.append({"payment_id": f"PAY-{order.digits}1", **pay, "status": "failed",
                                   "failure_reason": "insufficient_funds", "attempted_at": ts_z(due)})

    def write_order(self, order: Order) -> None:
        p = order.person
        self.json["commerce/orders.json"].write({
            "order_number": order.number, "customer_id": p.cus_id, "channel": order.number[:3].lower(),
            "placed_at": ts_london(order.placed), "status": order.status, "total": money(order.total),
            "currency": order.currency,
            **({"ship_to_household": p.household} if p.household and p.crm and p.rng.random() < 0.5 else {}),
            "lines": [{"line_id": line, "order_number": order.number, "sku": sku, "quantity": qty,
                       "amount": money(amount), "currency": order.currency}
                      for line, sku, qty, amount in order.lines]})
        for ful_id, sku, status, at in order.fulfilments:
            self.csv["wms/fulfilments.csv"].write({"fulfilment_id": ful_id, "order_number": order.number,
                                                   "sku": sku, "status": status, "updated_at": ts_z(at)})
        sh = order.shipment
        if sh is not None:
            record: dict[str, Any] = {
                "shipment_id": sh.shipment_id, "order_number": order.number, "carrier": sh.carrier,
                "tracking_number": f"TR{order.digits}{sh.carrier[:2].upper()}", "status": sh.status,
                "promised_date": sh.promised.isoformat(), "estimated_delivery_date": sh.estimated.isoformat(),
                "shipped_at": ts_local(sh.shipped, sh.origin)}
            if sh.delivered is not None:
                record["delivered_at"] = ts_local(sh.delivered, sh.origin)
            self.json["logistics/shipments.json"].write(record)
            for i, (code, text, where, at) in enumerate(sh.events, 1):
                self.json["logistics/carrier_events.json"].write({
                    "event_id": f"EVT-{order.digits}{i}", "shipment_id": sh.shipment_id, "code": code,
                    "description": text, "location": where, "occurred_at": ts_local(at, where[:2])})
            if order.late():
                self.truth["truth/late_shipments.csv"].write({"shipment": sh.shipment_id, "order": order.number,
                                                              "person": p.idx,
                                                              "delivered": "yes" if sh.delivered else "no"})
                if sh.delivered is None and order.status != "cancelled":
                    self.pending_signal.append((sh.shipment_id, p))
        if order.invoice is not None:
            self.csv["billing/invoices.csv"].write(order.invoice)
            for payment in order.payments:
                self.csv["billing/payments.csv"].write(payment)
        self.truth["truth/orders.csv"].write({"order": order.number, "person": p.idx,
                                              "delayed": "yes" if order.late() or order.backordered else "no",
                                              "backordered": "yes" if order.backordered else "no",
                                              "refunded": "yes" if order.refunded else "no"})

    # ---- service: cases, their workflows, approvals, decisions, refunds, interactions --------------------
    def case(self, p: Person, k: int, category: str, opened: datetime, *, order: Order | None = None,
             closed: datetime | None = None, severity: str = "medium", priority: str = "P3",
             by_account: bool = False, team: str = "delivery-care") -> str:
        number = f"CS00{p.idx:06d}{k}"
        record: dict[str, Any] = {"number": number}
        if by_account:
            record["billing_account"] = p.account_no
        else:
            p.profile = True  # a case is opened from a service profile
            record["profile_id"] = p.profile_id
        record.update({"category": category, "priority": priority, "severity": severity,
                       "state": "closed" if closed else "open", "opened_at": ts_cet(opened)})
        if closed:
            record["closed_at"] = ts_cet(closed)
        record["assignment_group"] = team
        if order is not None:
            record["order_number"] = order.number
            if category == "billing_dispute" and order.invoice:
                record["invoice_no"] = order.invoice["invoice_no"]
        self.json["case-management/cases.json"].write(record)
        self.json["case-management/tasks.json"].write({
            "number": f"TSK00{p.idx:06d}{k}", "case_number": number, "assignment_group": team,
            "state": "closed" if closed else "open", "short_description": f"Follow up {category.replace('_', ' ')}",
            "due_at": ts_cet(opened + timedelta(days=1))})
        if not by_account and p.profile:
            self.interaction(p, f"{k}1", opened - timedelta(minutes=15), f"Case about {category.replace('_', ' ')}",
                             self.catalog.people(team)[0], order=order.number if order else "", case=number)
        workflow = CATEGORY_WORKFLOW.get(category)
        if workflow:
            steps = self.catalog.steps[workflow]
            at = len(steps) - 1 if closed else p.rng.randint(1, len(steps) - 2)
            self.workflow(p, k, number, workflow, steps, at, opened, closed, team)
        return number

    def workflow(self, p: Person, k: int, case: str, workflow: str, steps: list[tuple[str, str]], at: int,
                 opened: datetime, closed: datetime | None, team: str) -> None:
        wfi = f"WFI-{p.idx:06d}{k}"
        started = opened + timedelta(minutes=1)
        self.json["case-management/workflow_instances.json"].write({
            "sys_id": wfi, "workflow": workflow, "current_step": steps[at][0], "case_number": case,
            "state": "completed" if closed else "running", "assignment_group": team, "started_at": ts_cet(started)})
        end = closed or min(NOW - timedelta(minutes=5), opened + timedelta(days=2))
        gap = (end - started) / (2 * (at + 1))
        moment, n = started, 0
        for i, (step, step_team) in enumerate(steps[: at + 1]):
            user = self.catalog.people(step_team)[(p.idx + i) % len(self.catalog.people(step_team))]
            transitions = ["entered", "completed"] if (closed or i < at) else ["entered"]
            for transition in transitions:
                n += 1
                self.json["case-management/workflow_events.json"].write({
                    "sys_id": f"WFE-{p.idx:06d}{k}{n:02d}", "workflow_instance": wfi, "step": step,
                    "transition": transition, "occurred_at": ts_cet(moment), "user": user})
                moment += gap

    def interaction(self, p: Person, key: str, start: datetime, topic: str, agent: str, *, order: str = "",
                    case: str = "") -> None:
        self.csv["contact-center/interactions.csv"].write({
            "InteractionId": f"INT-{p.idx:06d}{key}", "ProfileId": p.profile_id,
            "Channel": p.rng.choice(["chat", "phone", "email"]), "StartedAt": ts_utc(start),
            "EndedAt": ts_utc(start + timedelta(minutes=p.rng.randint(4, 25))), "Topic": topic,
            "OrderNumber": order, "CaseNumber": case, "AgentId": agent})

    def service(self, p: Person, orders: list[Order]) -> list[tuple[str, str]]:
        """Cases, decisions and refunds of one person; returns what makes them a no-offer customer."""
        r = p.rng
        k = 0
        severe: list[tuple[str, str]] = []
        for order in orders:
            sh = order.shipment
            if order.late() and sh is not None and sh.delivered is None and r.random() < 0.6:
                opened = max(datetime.combine(sh.promised + timedelta(days=1), datetime.min.time(), UTC)
                             + timedelta(hours=r.uniform(8, 16)), order.placed + timedelta(hours=2))
                if opened < NOW - timedelta(hours=1):
                    high = order.total > 150
                    self.case(p, k, "delivery_delay", opened, order=order, severity="high" if high else "medium",
                              priority="P2")
                    if high:
                        severe.append(("open-severe-case", f"CS00{p.idx:06d}{k}"))
                    k += 1
            elif order.late() and sh is not None and sh.delivered is not None and r.random() < 0.5:
                opened = sh.delivered - timedelta(hours=r.uniform(20, 30))
                closed = sh.delivered + timedelta(days=r.randint(1, 4))
                if closed < NOW:
                    case = self.case(p, k, "delivery_delay", opened, order=order, closed=closed)
                    self.remedy(p, k, case, order, opened)
                    k += 1
            elif order.invoice and order.invoice["status"] == "overdue" and r.random() < 0.4:
                opened = datetime.fromisoformat(order.invoice["due_on"]).replace(tzinfo=UTC) + timedelta(days=2,
                                                                                                         hours=10)
                if opened < NOW - timedelta(hours=1):
                    recent = opened > NOW - timedelta(days=20)
                    self.case(p, k, "billing_dispute", opened, order=order, by_account=True, team="billing-care",
                              closed=None if recent else opened + timedelta(days=6), priority="P3")
                    k += 1
            elif sh is not None and sh.delivered is not None and sh.delivered < NOW - timedelta(days=20) and \
                    r.random() < 0.015:
                opened = sh.delivered + timedelta(days=r.randint(5, 15))
                self.case(p, k, "product_fault", opened, order=order, closed=opened + timedelta(days=5),
                          team="tier2-escalations")
                k += 1
            if k >= 8:
                break
        if r.random() < 0.01:
            opened = NOW - timedelta(days=r.uniform(1, 20))
            number = self.case(p, k, "complaint", opened, severity="high", priority="P2", team="tier2-escalations")
            severe.append(("open-severe-case", number))
            k += 1
        elif r.random() < 0.005:
            opened = NOW - timedelta(days=r.uniform(30, 300))
            self.case(p, k, "account", opened, closed=opened + timedelta(days=1), team="tier2-escalations")
            k += 1
        if p.profile and r.random() < 0.5 and orders:
            order = r.choice(orders)
            start = min(order.placed + timedelta(days=1, hours=r.uniform(0, 8)), NOW - timedelta(hours=1))
            self.interaction(p, "00", start, "Order status question", self.catalog.people("delivery-care")[1],
                             order=order.number)
        return severe

    def remedy(self, p: Person, k: int, case: str, order: Order, opened: datetime) -> None:
        """What closed a late delivery: an automatic goodwill credit, or a refund with a supervisor's approval."""
        r = p.rng
        roll = r.random()
        agents = self.catalog.people("delivery-care")
        if roll < 0.4:
            amount = Decimal("10.00") if order.currency == "GBP" else Decimal("12.00")
            self.json["case-management/decisions.json"].write({
                "sys_id": f"DEC-{p.idx:06d}{k}", "case_number": case, "action": "goodwill_credit",
                "outcome": f"Automatic goodwill credit of {money(amount)} {order.currency} for a late delivery.",
                "decided_by": "case-management", "decided_by_kind": "system", "rule": "dr-goodwill",
                "amount": money(amount), "currency": order.currency, "decided_at": ts_cet(opened + timedelta(hours=1)),
                "used_records": [f"logistics/shipment/{order.shipment.shipment_id}"] if order.shipment else []})
        elif roll < 0.55 and p.billing and order.invoice:
            line_id, sku, _q, amount = order.lines[0]
            approver = self.catalog.people("delivery-care", "supervisor")[p.idx % 2]
            approved = opened + timedelta(hours=r.uniform(2, 6))
            apr = f"APR-{p.idx:06d}{k}"
            self.json["case-management/approvals.json"].write({
                "sys_id": apr, "case_number": case, "action": "refund", "approver": approver,
                "amount": money(amount), "currency": order.currency, "approved_at": ts_cet(approved)})
            if r.random() < 0.3:  # approved over chat as well: the shared sheet (a desire path)
                self.csv["approvals-sheet/approvals.csv"].write({
                    "row_id": f"R{p.idx:06d}{k}", "case_number": case, "action": "refund", "approver": approver,
                    "amount": money(amount), "currency": order.currency,
                    "approved_at": ts_london(approved - timedelta(minutes=40)),
                    "note": f"Approved on chat; also entered in case management ({apr})"})
            self.json["case-management/decisions.json"].write({
                "sys_id": f"DEC-{p.idx:06d}{k}", "case_number": case, "action": "refund",
                "outcome": f"Refund {money(amount)} {order.currency} for the late {self.catalog.names[sku]}.",
                "decided_by": agents[p.idx % len(agents)], "decided_by_kind": "employee",
                "rule": "dr-refund-approval" if amount > 100 else "dr-refund-delayed", "approval": apr,
                "amount": money(amount), "currency": order.currency,
                "decided_at": ts_cet(approved + timedelta(minutes=30)),
                "used_records": [f"commerce/order/{order.number}", f"commerce/order-line/{line_id}",
                                 f"case-management/approval/{apr}"]})
            self.csv["billing/refunds.csv"].write({
                "refund_id": f"RF-{order.digits}", "order_number": order.number, "account_no": p.account_no,
                "amount": money(amount), "currency": order.currency, "status": "processed",
                "created_at": ts_z(approved + timedelta(hours=1))})
            order.refunded = True

    # ---- marketing -----------------------------------------------------------------------------------
    def sends(self, p: Person, orders: list[Order], severe: list[tuple[str, str]]) -> None:
        """Offer sends of the two campaigns, and for the coming one whether the guard must stop it and why."""
        if not p.crm:
            return
        r = p.rng
        if r.random() < 0.1:
            self.csv["marketing/offer_sends.csv"].write({
                "send_id": f"SND-{p.idx:06d}0", "offer_id": "OFF-100", "crm_contact_id": p.contact_id,
                "channel": "email", "scheduled_at": ts_london(datetime(2026, 10, 1, 7, tzinfo=UTC)),
                "status": "sent" if p.opt_in else "suppressed"})
        if r.random() >= 0.3:
            return
        send = f"SND-{p.idx:06d}1"
        self.csv["marketing/offer_sends.csv"].write({
            "send_id": send, "offer_id": "OFF-101", "crm_contact_id": p.contact_id, "channel": "email",
            "scheduled_at": ts_london(datetime(2026, 11, 24, 8, tzinfo=UTC)), "status": "scheduled"})
        reasons = [] if p.opt_in else ["not-consented"]
        reasons += sorted({kind for kind, _ in severe})
        if any(o.late() and o.shipment and o.shipment.delivered is None for o in orders):
            reasons.append("late-delivery")
        failed = [pay for o in orders for pay in o.payments if pay["status"] == "failed"
                  and timedelta(0) <= AS_OF - datetime.fromisoformat(pay["attempted_at"]) < timedelta(days=30)]
        if failed:
            reasons.append("recent-failed-payment")
        self.truth["truth/offer_sends.csv"].write({"send": send, "campaign": "CMP-101", "person": p.idx,
                                                   "suppress": "yes" if reasons else "no",
                                                   "reasons": " ".join(reasons)})

    def flush_signal(self, span: int) -> None:
        """One carrier delay signal naming the late shipments still on their way in this span of people."""
        late = self.pending_signal[:12]
        self.pending_signal = []
        if not late:
            return
        signal = f"SIG-{1000 + span:04d}"
        self.json["monitoring/signals.json"].write({
            "signal_id": signal, "type": "delivery_delay", "detected_at": ts_z(NOW - timedelta(hours=4)),
            "severity": "high", "description": f"Linehaul backlog: {len(late)} Brightwater parcels delayed.",
            "raised_by": "logistics",
            "affects": [{"signal_id": signal, "kind": "shipment", "id": shipment} for shipment, _p in late]})
        for shipment, person in late:
            self.truth["truth/signal_parties.csv"].write({"signal": signal, "person": person.idx, "via": shipment})

    # ---- inconsistencies planted on purpose ------------------------------------------------------------
    def planted(self, p: Person) -> None:
        """Every 1000th person carries one of the sample's four on-purpose inconsistencies, in turn."""
        kind = (p.idx // 1000) % 4
        if kind == 0 and p.commerce:  # the shop says delivered, logistics (the system of record) in transit
            order = self.order(p, 9, NOW - timedelta(days=1, hours=5))
            if order.shipment is None:
                return
            order.status = "delivered"
            order.shipment.status, order.shipment.delivered = "in_transit", None
            order.shipment.events = [e for e in order.shipment.events if e[0] in ("PU", "IT")]
            order.shipment.estimated = order.shipment.promised
            self.write_order(order)
            focus = f"commerce/order/{order.number}"
        elif kind == 1:  # a complaint from a caller nobody identified: no profile, no billing account
            number = f"CS00{p.idx:06d}9"
            self.json["case-management/cases.json"].write({
                "number": number, "category": "complaint", "priority": "P3", "severity": "low", "state": "new",
                "opened_at": ts_cet(NOW - timedelta(hours=20)), "assignment_group": "tier2-escalations"})
            focus = f"case-management/case/{number}"
        elif kind == 2:  # a decision that names no rule
            opened = NOW - timedelta(days=40)
            case = self.case(p, 9, "account", opened, closed=opened + timedelta(days=1), team="tier2-escalations")
            self.json["case-management/decisions.json"].write({
                "sys_id": f"DEC-{p.idx:06d}9", "case_number": case, "action": "goodwill_credit",
                "outcome": "Goodwill credit; no policy rule recorded.", "decided_by": "EMP-1004",
                "decided_by_kind": "employee", "amount": "15.00", "currency": p.currency,
                "decided_at": ts_cet(opened + timedelta(hours=3)), "used_records": []})
            focus = f"decision/DEC-{p.idx:06d}9"
        else:  # a workflow instance at a step of another workflow
            opened = NOW - timedelta(days=60)
            case = self.case(p, 9, "complaint", opened, closed=opened + timedelta(days=3), team="tier2-escalations")
            self.json["case-management/workflow_instances.json"].write({
                "sys_id": f"WFI-{p.idx:06d}9", "workflow": "product-replacement",
                "current_step": "account-recovery-close", "case_number": case, "state": "completed",
                "assignment_group": "tier2-escalations", "started_at": ts_cet(opened + timedelta(minutes=3))})
            focus = f"case-management/workflow-instance/WFI-{p.idx:06d}9"
        names = ["delivered-not-shipped", "case-without-customer", "decision-without-rule", "step-of-other-workflow"]
        self.truth["truth/inconsistencies.csv"].write({"kind": names[kind], "focus": focus, "person": p.idx})

    # ---- one block ------------------------------------------------------------------------------------
    def block(self, people: list[Person]) -> None:
        for p in people:
            orders = self.orders_of(p) if p.commerce else []
            severe = self.service(p, orders)
            if p.idx % 1000 == 500:
                self.planted(p)
            for order in orders:
                self.write_order(order)
            self.sends(p, orders, severe)
            self.person_records(p)  # last: a case may have given the person a service profile


def copy_enterprise(sample: Path, out: Path) -> None:
    """The business's own descriptions, copied from the sample: they do not grow with the customers."""
    for rel in COPIED:
        source, target = sample / rel, out / rel
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def spans(customers: int, span: int = SIGNAL_SPAN) -> list[tuple[int, int]]:
    """(first person, people) of each span: the unit a worker generates, and a carrier signal's reach."""
    return [(first, min(span, customers - first)) for first in range(0, customers, span)]


@dataclass
class SpanResult:
    number: int
    people: int
    rows: dict[str, int]
    hard: dict[str, int]


def generate_span(parts: Path, catalog: Catalog, seed: int, first: int, people: int, span: int) -> SpanResult:
    """One span of people into fragment files under parts/<span>/ (run in a worker process)."""
    number = first // span
    with Sinks(parts / f"{number:06d}", fragments=True) as sinks:
        writer = Writer(sinks, catalog, seed)
        end = first + people
        for block in range(first // BLOCK, (end + BLOCK - 1) // BLOCK):
            writer.block(make_block(seed, block, end - block * BLOCK))
        writer.flush_signal(number)
        rows = sinks.counts()
    return SpanResult(number, people, rows, writer.hard)


def generate(out: Path, customers: int, seed: int, sample: Path,
             progress: Callable[[int, int], None] | None = None, workers: int | None = None,
             span: int = SIGNAL_SPAN) -> Generated:
    """Write an enterprise of `customers` people into `out` (which must be empty or absent).

    Spans of people are generated in worker processes into fragments, then stitched in order into each export,
    so the files are the same whatever the number of workers.
    """
    if customers < 1:
        raise CxGraphError("--customers must be at least 1", str(customers))
    if out.exists() and any(out.iterdir()):
        raise CxGraphError("the output folder is not empty; generate into a new folder", out)
    if not (sample / "catalog").is_dir():
        raise CxGraphError("no sample enterprise to copy the catalog from", sample)
    started = time.perf_counter()
    catalog = read_catalog(sample)
    out.mkdir(parents=True, exist_ok=True)
    copy_enterprise(sample, out)
    parts = out / ".parts"
    if span % BLOCK:
        raise CxGraphError(f"a span holds whole blocks of {BLOCK} people", str(span))
    plan = spans(customers, span)
    workers = max(1, min(workers or os.cpu_count() or 1, len(plan)))
    results: list[SpanResult] = []
    done = 0
    if workers == 1:
        for first, people in plan:
            results.append(generate_span(parts, catalog, seed, first, people, span))
            done += people
            if progress is not None:
                progress(done, customers)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(generate_span, parts, catalog, seed, first, people, span) for first, people in plan]
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                done += result.people
                if progress is not None:
                    progress(done, customers)
    results.sort(key=lambda r: r.number)
    span_dirs = [parts / f"{r.number:06d}" for r in results]
    for rel, header in {**HEADERS, **TRUTH}.items():
        stitch(out / rel, [d / rel for d in span_dirs], header=header)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    for rel, key in JSON_KEYS.items():
        first_items = tuple(encode(s) for s in catalog.signals) if rel == "monitoring/signals.json" else ()
        stitch(out / rel, [d / rel for d in span_dirs], key=key, first=first_items)
    shutil.rmtree(parts)
    counts: dict[str, int] = {}
    hard: dict[str, int] = {}
    for result in results:
        for rel, n in result.rows.items():
            counts[rel] = counts.get(rel, 0) + n
        for kind, n in result.hard.items():
            hard[kind] = hard.get(kind, 0) + n
    counts["monitoring/signals.json"] = counts.get("monitoring/signals.json", 0) + sum(
        1 + len(s.get("affects", ())) for s in catalog.signals)
    rows = {rel: n for rel, n in sorted(counts.items()) if not rel.startswith("truth/")}
    truth = {rel: n for rel, n in sorted(counts.items()) if rel.startswith("truth/")}
    hard = dict(sorted(hard.items()))
    report = Generated(out, customers, seed, rows, truth, hard, time.perf_counter() - started)
    (out / "truth/summary.json").write_text(json.dumps({
        "customers": customers, "seed": seed, "rows": rows, "truth": truth, "hard_cases": hard,
        "as_of": AS_OF.date().isoformat()}, indent=2) + "\n", encoding="utf-8")
    return report
