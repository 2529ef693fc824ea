#!/usr/bin/env python3
"""Generate the cxgraph sample enterprise: Brightwater Outfitters.

Writes the exports of every source system (CRM, commerce, contact center, case management, WMS,
logistics, billing, marketing, monitoring), the enterprise's catalog, human observations, the two
shadow spreadsheets and a README naming the scenario records, under data/sample/ (or the folder given
as the first argument).

Deterministic: a fixed random seed and a fixed "now" (2026-11-20T12:00:00Z); nothing depends on the
clock or on hash ordering. The story scenarios (a)-(h) are hand-crafted constants below; filler
customers, orders and service history are generated around them.

Usage: python scripts/make_sample_data.py [OUTPUT_DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

SEED = 20261120
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
TODAY = NOW.date()
N_FILLER = 132  # filler people, after the 20 scenario people

rng = random.Random(SEED)


# ------------------------------------------------------------------------------------------------
# time helpers: every system writes its own zone convention
# ------------------------------------------------------------------------------------------------
def utc(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DDTHH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month, 31)  # March and October both have 31 days
    while d.weekday() != 6:
        d -= timedelta(days=1)
    return d


def eu_summer_time(dt: datetime) -> bool:
    """EU/UK summer time: last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC."""
    start = datetime.combine(_last_sunday(dt.year, 3), time(1, 0), UTC)
    end = datetime.combine(_last_sunday(dt.year, 10), time(1, 0), UTC)
    return start <= dt.astimezone(UTC) < end


def ts_z(dt: datetime) -> str:  # CRM, WMS, billing, monitoring
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_utc(dt: datetime) -> str:  # contact center
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def ts_london(dt: datetime) -> str:  # commerce, marketing, spreadsheets, GB/IE carrier scans
    off = 1 if eu_summer_time(dt) else 0
    return dt.astimezone(timezone(timedelta(hours=off))).isoformat(timespec="seconds")


def ts_cet(dt: datetime) -> str:  # case management (hosted in Amsterdam), EU carrier scans
    off = 2 if eu_summer_time(dt) else 1
    return dt.astimezone(timezone(timedelta(hours=off))).isoformat(timespec="seconds")


def ts_local(dt: datetime, country: str) -> str:
    return ts_london(dt) if country in ("GB", "IE") else ts_cet(dt)


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slug(text: str) -> str:
    return "".join(c for c in ascii_fold(text).lower() if c.isalnum())


# ------------------------------------------------------------------------------------------------
# catalog constants
# ------------------------------------------------------------------------------------------------
TEAMS = [
    ("delivery-care", "Delivery Care"),
    ("billing-care", "Billing Care"),
    ("tier2-escalations", "Tier 2 Escalations"),
    ("warehouse-ops", "Warehouse Operations"),
    ("store-ops", "Store Operations"),
    ("marketing-ops", "Marketing Operations"),
    ("finance-ops", "Finance Operations"),
    ("ecommerce-ops", "E-commerce Operations"),
    ("customer-data", "Customer Data Management"),
    ("service-operations", "Service Operations"),
    ("logistics-ops", "Logistics Operations"),
    ("it-operations", "IT Operations"),
]

ROLES = [
    ("agent", "Agent"),
    ("supervisor", "Supervisor"),
    ("finance_lead", "Finance lead"),
    ("warehouse_lead", "Warehouse lead"),
]

EMPLOYEES = [
    ("EMP-1001", "Priya Raman", "delivery-care", "supervisor"),
    ("EMP-1002", "Tom Hughes", "delivery-care", "agent"),
    ("EMP-1003", "Aisling Nolan", "delivery-care", "agent"),
    ("EMP-1004", "Marek Kowalski", "delivery-care", "agent"),
    ("EMP-1005", "Sarah Okafor", "delivery-care", "agent"),
    ("EMP-1006", "Mark Ellison", "delivery-care", "supervisor"),
    ("EMP-1101", "Helen Marsh", "billing-care", "supervisor"),
    ("EMP-1102", "Jamie Reid", "billing-care", "agent"),
    ("EMP-1103", "Katrin Vogel", "billing-care", "agent"),
    ("EMP-1201", "Dominic Clarke", "finance-ops", "finance_lead"),
    ("EMP-1202", "Ines Moreau", "finance-ops", "agent"),
    ("EMP-1301", "Rachel Adeyemi", "tier2-escalations", "supervisor"),
    ("EMP-1302", "Luuk van Dijk", "tier2-escalations", "agent"),
    ("EMP-1303", "Claire Fontaine", "tier2-escalations", "agent"),
    ("EMP-1401", "Gary Whitfield", "warehouse-ops", "warehouse_lead"),
    ("EMP-1402", "Joanna Pike", "warehouse-ops", "agent"),
    ("EMP-1501", "Mei Chen", "store-ops", "supervisor"),
    ("EMP-1502", "Owen Davies", "store-ops", "agent"),
    ("EMP-1503", "Ciara Flynn", "store-ops", "agent"),
    ("EMP-1601", "Nadia Haddad", "marketing-ops", "supervisor"),
    ("EMP-1602", "Ben Carter", "marketing-ops", "agent"),
]
DELIVERY_AGENTS = ["EMP-1002", "EMP-1003", "EMP-1004", "EMP-1005"]
BILLING_AGENTS = ["EMP-1102", "EMP-1103"]
TIER2_AGENTS = ["EMP-1302", "EMP-1303"]

SYSTEMS = [
    (
        "crm",
        "Brightwater CRM (Salesforce-style)",
        "official",
        "customer-data",
        "Customer relationship management: contacts (contract holders of the customer agreement and loyalty "
        "membership) and households.",
    ),
    (
        "commerce",
        "Web shop and app platform (Shopify-style)",
        "official",
        "ecommerce-ops",
        "Online storefront and mobile app: customer logins, orders, order lines and the product catalog.",
    ),
    (
        "contact-center",
        "Contact center platform",
        "official",
        "service-operations",
        "Chat, phone and e-mail contact handling: service profiles and interactions.",
    ),
    (
        "case-management",
        "Case management (ServiceNow-style)",
        "official",
        "service-operations",
        "Service cases, tasks, workflow instances, approvals and decisions.",
    ),
    (
        "wms",
        "Warehouse management system",
        "official",
        "warehouse-ops",
        "Stock positions per SKU and location, and pick/pack fulfilment of order lines.",
    ),
    (
        "logistics",
        "Carrier integration hub",
        "official",
        "logistics-ops",
        "Shipments handed to carriers and the carriers' tracking events.",
    ),
    (
        "billing",
        "Billing and payments",
        "official",
        "finance-ops",
        "Billing accounts, invoices, payment attempts and refunds.",
    ),
    (
        "marketing",
        "Marketing automation",
        "official",
        "marketing-ops",
        "Campaigns, offers and offer sends to CRM contacts.",
    ),
    (
        "monitoring",
        "Operations monitoring",
        "official",
        "it-operations",
        "Operational signals: delivery delays, payment failures, stock shortages, service anomalies.",
    ),
    (
        "approvals-sheet",
        "Supervisors' approvals sheet",
        "shadow",
        "delivery-care",
        "Shared spreadsheet where supervisors log approvals given over chat.",
    ),
    (
        "stock-sheet",
        "Store stock sheet",
        "shadow",
        "store-ops",
        "Spreadsheet of stock levels kept by the store team, refreshed by hand from a weekly WMS export.",
    ),
]

PROGRAMS = [
    ("crm-to-marketing-sync", "CRM to marketing contact sync"),
    ("commerce-to-crm-sync", "Commerce to CRM customer sync"),
    ("billing-account-sync", "Billing account sync"),
    ("contact-center-profile-sync", "Contact center profile sync"),
    ("wms-stock-feed", "WMS stock feed to the web shop"),
    ("order-release", "Order release to the warehouse"),
    ("carrier-tracking-feed", "Carrier tracking feed"),
    ("stock-sheet-export", "Weekly stock export to the store stock sheet"),
]

AUTHORITY = [
    ("auth-crm-contract-holder", "crm", "ContractHolder", "", "all customers"),
    ("auth-crm-email", "crm", "", "hasEmailAddress", "contact email, all customers"),
    ("auth-crm-marketing-consent", "crm", "", "hasMarketingConsent", "all customers"),
    ("auth-crm-household", "crm", "Household", "", "all households"),
    ("auth-billing-account", "billing", "BillingAccount", "", "all billing accounts, UK and EU"),
    ("auth-billing-invoice", "billing", "Invoice", "", "all invoices, UK and EU"),
    ("auth-commerce-identity", "commerce", "DigitalIdentity", "", "web shop and app logins"),
    ("auth-commerce-order", "commerce", "Order", "", "online orders (web and app)"),
    ("auth-commerce-product", "commerce", "Product", "", "product catalog"),
    ("auth-wms-inventory", "wms", "InventoryPosition", "", "distribution centres and stores"),
    ("auth-wms-quantity-available", "wms", "", "hasQuantityAvailable", "all locations"),
    ("auth-logistics-shipment", "logistics", "Shipment", "", "all parcels handed to carriers"),
    ("auth-case-management-case", "case-management", "Case", "", "all service cases"),
    ("auth-case-management-approval", "case-management", "Approval", "", "approvals of service actions"),
    ("auth-contact-center-service", "contact-center", "ServiceRelationship", "", "all service profiles"),
    ("auth-marketing-campaign", "marketing", "Campaign", "", "all campaigns"),
]

DATA_FLOWS = [
    ("flow-crm-marketing-contact", "crm-to-marketing-sync", "crm", "marketing", "ContractHolder", "", "nightly"),
    ("flow-crm-marketing-email", "crm-to-marketing-sync", "crm", "marketing", "", "hasEmailAddress", "nightly"),
    ("flow-crm-marketing-consent", "crm-to-marketing-sync", "crm", "marketing", "", "hasMarketingConsent", "nightly"),
    ("flow-commerce-crm-identity", "commerce-to-crm-sync", "commerce", "crm", "DigitalIdentity", "", "hourly"),
    ("flow-commerce-crm-email", "commerce-to-crm-sync", "commerce", "crm", "", "hasEmailAddress", "hourly"),
    ("flow-commerce-crm-consent", "commerce-to-crm-sync", "commerce", "crm", "", "hasMarketingConsent", "hourly"),
    ("flow-billing-crm-account", "billing-account-sync", "billing", "crm", "BillingAccount", "", "nightly"),
    ("flow-crm-billing-email", "billing-account-sync", "crm", "billing", "", "hasEmailAddress", "nightly"),
    (
        "flow-crm-contact-center-email",
        "contact-center-profile-sync",
        "crm",
        "contact-center",
        "",
        "hasEmailAddress",
        "real-time",
    ),
    (
        "flow-crm-contact-center-phone",
        "contact-center-profile-sync",
        "crm",
        "contact-center",
        "",
        "hasPhoneNumber",
        "real-time",
    ),
    (
        "flow-wms-commerce-available",
        "wms-stock-feed",
        "wms",
        "commerce",
        "",
        "hasQuantityAvailable",
        "every 15 minutes",
    ),
    ("flow-commerce-wms-order", "order-release", "commerce", "wms", "Order", "", "real-time"),
    ("flow-logistics-commerce-shipment", "carrier-tracking-feed", "logistics", "commerce", "Shipment", "", "hourly"),
    (
        "flow-wms-stock-sheet-available",
        "stock-sheet-export",
        "wms",
        "stock-sheet",
        "",
        "hasQuantityAvailable",
        "weekly",
    ),
]

CHANNELS = [
    ("chat", "Chat"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("web", "Web shop"),
    ("app", "Mobile app"),
    ("store", "Store"),
    ("sms", "SMS"),
]

CARRIERS = [
    ("swiftparcel", "Swift Parcel"),
    ("northstar", "NorthStar Logistics"),
    ("eurolink", "EuroLink Express"),
    ("celtic-courier", "Celtic Courier"),
]

ACTION_TYPES = [  # (id, name, class of the record the action creates, when there is one)
    ("refund", "Refund", "Refund"),
    ("replacement", "Replacement", ""),
    ("goodwill_credit", "Goodwill credit", ""),
    ("payment_plan", "Payment plan", ""),
    ("chargeback_reversal", "Chargeback reversal", ""),
    ("offer", "Marketing offer", ""),
    ("reship", "Reship", ""),
    ("proactive_notice", "Proactive notice", ""),
    ("exception", "Policy exception", ""),
    ("note", "Case note", ""),
    ("follow_up", "Follow-up", ""),
    ("escalation", "Escalation", ""),
]

CONTEXTS = [
    (
        "billing-dispute",
        "Billing dispute",
        "BillingAccount",
        "A disagreement about an invoice or payment: the customer is the billing account that is invoiced and pays.",
    ),
    (
        "delivery",
        "Delivery",
        "Household",
        "Getting an order to the customer: the customer is the household at the delivery address.",
    ),
    (
        "marketing",
        "Marketing",
        "ContractHolder",
        "Offers and campaigns: the customer is the CRM contact holding the agreement and the marketing consent.",
    ),
    (
        "online-account",
        "Online account",
        "DigitalIdentity",
        "Logins, passwords and online orders: the customer is the web shop / app identity.",
    ),
    (
        "service",
        "Service",
        "ServiceRelationship",
        "Contact center service: the customer is the service profile used by the agents.",
    ),
    (
        "loyalty",
        "Loyalty",
        "ContractHolder",
        "Loyalty membership and tier benefits: the customer is the CRM contract holder.",
    ),
]

CONTEXT_CATEGORIES = [  # (context, case category): a case of that category is handled in that context
    ("billing-dispute", "billing_dispute"),
    ("delivery", "delivery_delay"),
    ("online-account", "account"),
    ("service", "product_fault"),
    ("service", "complaint"),
]


def _deps(step_id: str, *systems: str) -> list[dict[str, str]]:
    return [{"step_id": step_id, "system_id": s} for s in systems]


WORKFLOW_SPECS = [
    (
        "delivery-issue",
        "Delivery issue",
        [
            ("triage", "Triage the delivery issue", "delivery-care", ["case-management", "commerce"]),
            ("check-stock", "Check stock in WMS", "delivery-care", ["wms"]),
            ("contact-carrier", "Contact the carrier", "delivery-care", ["logistics"]),
            ("decide-remedy", "Decide remedy (refund, replacement or reship)", "delivery-care", ["case-management"]),
            ("approve-remedy", "Approve remedy", "delivery-care", ["case-management"]),
            ("execute-remedy", "Execute refund or replacement", "delivery-care", ["billing", "wms"]),
        ],
    ),
    (
        "billing-dispute",
        "Billing dispute",
        [
            ("verify-account", "Verify the billing account", "billing-care", ["billing", "crm"]),
            ("review-payments", "Review invoice and payments", "billing-care", ["billing"]),
            ("approve-adjustment", "Approve adjustment above threshold", "finance-ops", ["case-management"]),
            ("adjust-invoice", "Adjust the invoice", "billing-care", ["billing"]),
            ("close", "Close the dispute", "billing-care", ["case-management"]),
        ],
    ),
    (
        "product-replacement",
        "Faulty product replacement",
        [
            ("triage", "Triage the product fault", "tier2-escalations", ["case-management", "commerce"]),
            ("check-stock", "Check replacement stock", "warehouse-ops", ["wms"]),
            ("pick", "Pick and pack the replacement", "warehouse-ops", ["wms"]),
            ("reship", "Reship the replacement", "warehouse-ops", ["wms", "logistics"]),
            ("close", "Close the case", "tier2-escalations", ["case-management"]),
        ],
    ),
    (
        "account-recovery",
        "Online account recovery",
        [
            ("verify-identity", "Verify the customer's identity", "tier2-escalations", ["crm", "commerce"]),
            ("reset-access", "Reset login access", "tier2-escalations", ["commerce"]),
            ("close", "Close the case", "tier2-escalations", ["case-management"]),
        ],
    ),
]


def step_id(workflow: str, step: str) -> str:
    return f"{workflow}-{step}"


WORKFLOW_STEPS: dict[str, list[str]] = {w: [step_id(w, s[0]) for s in steps] for w, _, steps in WORKFLOW_SPECS}
STEP_SYSTEMS: dict[str, list[str]] = {step_id(w, s[0]): s[3] for w, _, steps in WORKFLOW_SPECS for s in steps}
CATEGORY_WORKFLOW = {
    "delivery_delay": "delivery-issue",
    "billing_dispute": "billing-dispute",
    "product_fault": "product-replacement",
    "account": "account-recovery",
}


def _rule(
    rule_id: str,
    policy_id: str,
    name: str,
    category: str | None,
    condition: str,
    *,
    allows: list[str] = (),
    forbids: list[str] = (),
    threshold: str | None = None,
    approval_role: str | None = None,
    requires_inventory: bool = False,
    query: str | None = None,
    value: str | None = None,
    channel: str | None = None,
    precedence: int | None = None,
) -> dict[str, Any]:
    """A policy rule; `query` names its condition query (rules/conditions/<query>.rq), `value` the threshold
    that query compares with when it is not an amount of money."""
    rule: dict[str, Any] = {"rule_id": rule_id, "policy_id": policy_id, "name": name}
    if category:
        rule["category"] = category
    rule["condition"] = condition
    if query is not None:
        rule["condition_query"] = query
    if value is not None:
        rule["threshold"] = value
    if channel is not None:
        rule["channel"] = channel
    if precedence is not None:
        rule["precedence"] = precedence
    if threshold is not None:
        rule["threshold_amount"] = threshold
    rule["allows"] = [{"rule_id": rule_id, "action": a} for a in allows]
    rule["forbids"] = [{"rule_id": rule_id, "action": a} for a in forbids]
    if approval_role:
        rule["approval_role"] = approval_role
    rule["requires_available_inventory"] = requires_inventory
    return rule


POLICIES = [
    {
        "policy_id": "delivery-recovery",
        "name": "Delivery recovery policy",
        "description": "How Delivery Care recovers a late or incomplete delivery: refund, replacement, reship, "
        "goodwill credit or an exception, and who must approve. Thresholds apply in the order's currency (GBP or EUR).",
        "scope_query": "order-itself",
        "rules": [
            _rule(
                "dr-refund-delayed",
                "delivery-recovery",
                "Refund allowed for delayed orders",
                "delivery_delay",
                "shipment.status in ('delayed','exception') or fulfilment.status = 'backordered'",
                allows=["refund"],
                query="order-delayed",
            ),
            _rule(
                "dr-refund-approval",
                "delivery-recovery",
                "Refund above 100 needs supervisor approval",
                "delivery_delay",
                "action = 'refund' and amount > threshold_amount",
                allows=["refund"],
                threshold="100.00",
                approval_role="supervisor",
                query="order-delayed-value-above",
            ),
            _rule(
                "dr-replacement-stock",
                "delivery-recovery",
                "Replacement only from available inventory",
                "delivery_delay",
                "inventory.available >= line.quantity at a location that can ship to the customer",
                allows=["replacement", "reship"],
                requires_inventory=True,
                query="order-delayed-lines-in-stock",
            ),
            _rule(
                "dr-no-replacement-out-of-stock",
                "delivery-recovery",
                "No replacement of a line that no location has in stock",
                "delivery_delay",
                "inventory.available < line.quantity at every location, as the system of record for available "
                "quantities says",
                forbids=["replacement", "reship"],
                requires_inventory=True,
                query="order-delayed-line-out-of-stock",
            ),
            _rule(
                "dr-goodwill",
                "delivery-recovery",
                "Goodwill credit for a late delivery",
                "delivery_delay",
                "shipment.estimated_delivery_date > shipment.promised_date and amount <= 20",
                allows=["goodwill_credit"],
                query="order-shipment-late",
            ),
            _rule(
                "dr-no-refund-on-time",
                "delivery-recovery",
                "No delay refund for an on-time delivery",
                "delivery_delay",
                "shipment.status = 'delivered' and delivered_on <= shipment.promised_date",
                forbids=["refund", "goodwill_credit"],
                query="order-delivered-on-time",
            ),
            _rule(
                "dr-no-second-refund",
                "delivery-recovery",
                "No second refund of an order already refunded; beyond it, only an exception",
                "delivery_delay",
                "refund.order = order and refund.status = 'processed' and refund.created_at <= now",
                forbids=["refund"],
                query="order-refunded",
            ),
            _rule(
                "dr-exception",
                "delivery-recovery",
                "An exception to the policy for a delayed order needs supervisor approval",
                "delivery_delay",
                "shipment.status in ('delayed','exception') or fulfilment.status = 'backordered'",
                allows=["exception"],
                approval_role="supervisor",
                query="order-delayed",
            ),
        ],
    },
    {
        "policy_id": "product-fault",
        "name": "Faulty product policy",
        "description": "Faulty products are replaced from available stock; refunded when no stock is available.",
        "rules": [
            _rule(
                "pf-replacement",
                "product-fault",
                "Replace a faulty product from available stock",
                "product_fault",
                "inventory.available >= 1 for the product",
                allows=["replacement", "reship"],
                requires_inventory=True,
            ),
            _rule(
                "pf-refund",
                "product-fault",
                "Refund a faulty product when no stock; above 100 needs supervisor",
                "product_fault",
                "inventory.available = 0 or customer declines replacement",
                allows=["refund"],
                threshold="100.00",
                approval_role="supervisor",
            ),
        ],
    },
    {
        "policy_id": "billing-dispute",
        "name": "Billing dispute policy",
        "description": "Invoice adjustments and payment arrangements in a billing dispute. Thresholds apply in the "
        "invoice's currency.",
        "rules": [
            _rule(
                "bd-adjustment",
                "billing-dispute",
                "Adjustment up to 250 by the billing agent",
                "billing_dispute",
                "adjustment.amount <= 250",
                allows=["goodwill_credit"],
            ),
            _rule(
                "bd-adjustment-approval",
                "billing-dispute",
                "Adjustment above 250 needs finance lead approval",
                "billing_dispute",
                "adjustment.amount > threshold_amount",
                allows=["goodwill_credit", "refund"],
                threshold="250.00",
                approval_role="finance_lead",
            ),
            _rule(
                "bd-payment-plan",
                "billing-dispute",
                "Payment plan after two failed payments",
                "billing_dispute",
                "count(payment where payment.invoice = case.invoice and payment.status = 'failed') >= 2",
                allows=["payment_plan"],
            ),
            _rule(
                "bd-no-reversal",
                "billing-dispute",
                "No chargeback reversal while the invoice is disputed",
                "billing_dispute",
                "invoice.status = 'disputed'",
                forbids=["chargeback_reversal"],
            ),
        ],
    },
    {
        "policy_id": "case-handling",
        "name": "Case handling policy",
        "description": "What anyone handling a case, a person or an assistant, may do on any case: add a note, "
        "schedule a follow-up; an escalation needs a supervisor.",
        "rules": [
            _rule("ch-note", "case-handling", "A note may be added to any case", None, "always", allows=["note"]),
            _rule("ch-follow-up", "case-handling", "A follow-up may be scheduled on any case", None, "always",
                  allows=["follow_up"]),
            _rule("ch-escalation", "case-handling", "An escalation needs a supervisor", None, "always",
                  allows=["escalation"], approval_role="supervisor"),
        ],
    },
    {
        "policy_id": "case-triage",
        "name": "Case triage policy",
        "description": "Which team handles a case and at what priority, from the customer's history, the case's "
        "dependencies and its urgency. Its rules are the triage rules of catalog/triage_rules.csv.",
        "rules": [],
    },
    {
        "policy_id": "marketing-contact",
        "name": "Marketing contact policy",
        "description": "When a customer may receive a marketing offer. Applies to offer sends, not to a case category.",
        "scope_query": "campaign-sends",
        "rules": [
            _rule(
                "mk-consent",
                "marketing-contact",
                "Offers only with marketing consent",
                None,
                "contract_holder.marketing_consent = true",
                allows=["offer"],
                query="send-consented",
            ),
            _rule(
                "mk-no-consent",
                "marketing-contact",
                "No offers without marketing consent",
                None,
                "contract_holder.marketing_consent is not true in the system of record for consent",
                forbids=["offer"],
                query="send-not-consented",
            ),
            _rule(
                "mk-no-offer-severe-case",
                "marketing-contact",
                "No offers while a severe case is open",
                None,
                "exists case of the customer with case.state in ('new','open','pending') and case.severity in "
                "('high','critical')",
                forbids=["offer"],
                query="send-open-severe-case",
            ),
            _rule(
                "mk-no-offer-late-delivery",
                "marketing-contact",
                "No offers while a delivery is late",
                None,
                "exists shipment of an order of the customer with shipment.status in ('delayed','exception')",
                forbids=["offer"],
                query="send-late-delivery",
            ),
            _rule(
                "mk-no-offer-failed-payment",
                "marketing-contact",
                "No offers after a recent failed payment",
                None,
                "exists payment from a billing account of the customer that failed less than {threshold} days "
                "before the graph's day",
                forbids=["offer"],
                query="send-recent-failed-payment",
                value="30",
            ),
        ],
    },
    {
        "policy_id": "proactive-outreach",
        "name": "Proactive outreach policy",
        "description": "Whom to tell, and how, when a signal affects customers: a notice on a channel they can be "
        "reached on, unless they are already in touch.",
        "scope_query": "signal-affected-parties",
        "rules": [
            _rule(
                "po-notice-email",
                "proactive-outreach",
                "Tell an affected customer by e-mail",
                None,
                "the customer's e-mail address and marketing consent in the system of record for each",
                allows=["proactive_notice"],
                query="party-reachable-by-email",
                channel="email",
                precedence=10,
            ),
            _rule(
                "po-notice-phone",
                "proactive-outreach",
                "Call an affected customer",
                None,
                "a phone number of the customer on any record",
                allows=["proactive_notice"],
                query="party-reachable-by-phone",
                channel="phone",
                precedence=20,
            ),
            _rule(
                "po-already-in-touch",
                "proactive-outreach",
                "No notice to a customer already in touch",
                None,
                "an interaction of the customer started at or after the signal was detected",
                forbids=["proactive_notice"],
                query="party-in-touch-since-signal",
            ),
        ],
    },
]

# Triage rules (catalog/triage_rules.csv): each names a condition query of the project (rules/conditions/*.rq)
# that the engine evaluates with the rule's threshold; routing rules choose the team (lowest precedence wins),
# priority rules the priority (the highest wins).
TRIAGE_RULES = [
    ("tr-late-delivery", "Late delivery goes to Delivery Care",
     "The case's order has a shipment that is late: it arrived, was shipped, or is still not delivered after the "
     "day promised.", "case-shipment-late", "", "delivery-care", "P2", "10"),
    ("tr-failed-payment", "A failed payment goes to Billing Care",
     "A billing account of the case's customer has a payment that failed.", "case-payment-failed", "",
     "billing-care", "P2", "20"),
    ("tr-repeat-contact", "A customer with several open cases is a priority",
     "The case's customer has at least {threshold} open cases (this one included).", "case-open-cases", "2", "",
     "P2", ""),
    ("tr-resolution-at-risk", "A case near its resolution target is urgent",
     "Fewer than {threshold} hours are left, as of the graph's day, before the resolution target of the case's "
     "priority.", "case-resolution-hours-left", "24", "", "P1", ""),
]

TRIAGE_EXPECTED = [
    ("CS0010421", "delivery-care", "P1", ["tr-late-delivery", "tr-resolution-at-risk"]),
    ("CS0012001", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0012002", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0013001", None, None, []),
    ("CS0013002", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0013003", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0018812", "billing-care", "P1", ["tr-failed-payment", "tr-resolution-at-risk"]),
    ("CS0020023", None, None, []),
    ("CS0020024", "billing-care", "P1", ["tr-failed-payment", "tr-resolution-at-risk"]),
    ("CS0020025", None, None, []),
    ("CS0020026", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0020027", "billing-care", "P2", ["tr-failed-payment"]),
    ("CS0030001", None, None, []),
]

SLAS = [("sla-p1", "P1", 1, 8), ("sla-p2", "P2", 4, 24), ("sla-p3", "P3", 8, 72), ("sla-p4", "P4", 24, 120)]

KNOWLEDGE_ARTICLES = [
    (
        "KB-0001",
        "Handling a delayed delivery",
        "delivery_delay",
        "delivery-issue",
        "Check the shipment's carrier events and the WMS stock, contact the carrier, then offer the remedy the "
        "delivery recovery policy allows.",
    ),
    (
        "KB-0002",
        "Refund or replacement for a late order",
        "delivery_delay",
        "delivery-issue",
        "A replacement needs available WMS stock at a shipping location; otherwise refund. Refunds above 100 need "
        "supervisor approval recorded in case management.",
    ),
    (
        "KB-0003",
        "Carrier exceptions and what they mean",
        "delivery_delay",
        "delivery-issue",
        "EX and DL tracking codes, expected re-delivery times per carrier, and when to open a carrier claim.",
    ),
    (
        "KB-0004",
        "Working a billing dispute",
        "billing_dispute",
        "billing-dispute",
        "Verify the billing account holder, review the invoice's payment attempts, and get finance lead approval "
        "for adjustments above 250.",
    ),
    (
        "KB-0005",
        "Offering a payment plan",
        "billing_dispute",
        "billing-dispute",
        "A payment plan can be offered after two failed payments on the same invoice.",
    ),
    (
        "KB-0006",
        "Replacing a faulty product",
        "product_fault",
        "product-replacement",
        "Confirm the fault, check replacement stock in the WMS, then pick, pack and reship.",
    ),
    (
        "KB-0007",
        "Helping a customer back into their online account",
        "account",
        "account-recovery",
        "Verify identity against the CRM contact before resetting the web shop login.",
    ),
]

# ------------------------------------------------------------------------------------------------
# products and locations
# ------------------------------------------------------------------------------------------------
PRODUCTS = [
    ("BW-10001", "Trailhead Daypack 22L", "packs", "49.00"),
    ("BW-10002", "Summit Pack 45L", "packs", "119.00"),
    ("BW-10003", "Expedition Pack 65L", "packs", "179.00"),
    ("BW-10004", "Fellside 1 Tent", "tents", "139.00"),
    ("BW-10005", "Fellside 2 Tent", "tents", "169.00"),
    ("BW-10006", "Basecamp 4 Family Tent", "tents", "329.00"),
    ("BW-10007", "Ridgeway 3-Season Tent", "tents", "189.00"),
    ("BW-10008", "Stormline Bivvy Bag", "tents", "59.00"),
    ("BW-10009", "Down Sleeping Bag -5C", "sleeping", "199.00"),
    ("BW-10010", "Synthetic Sleeping Bag 0C", "sleeping", "89.00"),
    ("BW-10011", "Self-Inflating Mat", "sleeping", "59.00"),
    ("BW-10012", "Ultralight Air Mat", "sleeping", "99.00"),
    ("BW-10013", "Camp Pillow", "sleeping", "19.00"),
    ("BW-10014", "Trekking Poles (pair)", "accessories", "45.00"),
    ("BW-10015", "Headlamp 400", "accessories", "29.00"),
    ("BW-10016", "Insulated Bottle 750ml", "accessories", "24.00"),
    ("BW-10017", "Merino Base Layer Top", "clothing", "59.00"),
    ("BW-10018", "Merino Base Layer Leggings", "clothing", "55.00"),
    ("BW-10019", "Fleece Midlayer", "clothing", "65.00"),
    ("BW-10020", "Softshell Jacket", "jackets", "119.00"),
    ("BW-10021", "Ridgeline Insulated Jacket", "jackets", "149.00"),
    ("BW-10022", "Stormproof Waterproof Jacket", "jackets", "179.00"),
    ("BW-10023", "Waterproof Overtrousers", "clothing", "69.00"),
    ("BW-10024", "Down Gilet", "jackets", "99.00"),
    ("BW-10025", "Hiking Boots Mid GTX", "footwear", "139.00"),
    ("BW-10026", "Trail Running Shoes", "footwear", "109.00"),
    ("BW-10027", "Insulated Winter Boots", "footwear", "159.00"),
    ("BW-10028", "Hiking Socks (3 pack)", "footwear", "21.00"),
    ("BW-10029", "Gaiters", "accessories", "29.00"),
    ("BW-10030", "Compact Camp Stove", "cooking", "49.00"),
    ("BW-10031", "Cookset 2-Person", "cooking", "39.00"),
    ("BW-10032", "Gas Canister 230g", "cooking", "7.50"),
    ("BW-10033", "Water Filter", "accessories", "39.00"),
    ("BW-10034", "Climbing Harness", "climbing", "59.00"),
    ("BW-10035", "Climbing Helmet", "climbing", "65.00"),
    ("BW-10036", "Chalk Bag", "climbing", "15.00"),
    ("BW-10037", "Dynamic Rope 60m", "climbing", "149.00"),
    ("BW-10038", "Merino Beanie", "accessories", "18.00"),
    ("BW-10039", "Insulated Gloves", "accessories", "35.00"),
    ("BW-10040", "Baseplate Compass", "accessories", "25.00"),
]
PRODUCT = {p[0]: p for p in PRODUCTS}
OUT_OF_STOCK_SKU = "BW-10007"  # the backordered tent of scenario (a)
LOCATIONS = ["DC-LEEDS", "DC-ROTTERDAM", "STORE-LONDON", "STORE-MANCHESTER", "STORE-DUBLIN"]
EUR_RATE = Decimal("1.17")


def unit_price(sku: str, currency: str) -> Decimal:
    gbp = Decimal(PRODUCT[sku][3])
    if currency == "GBP":
        return gbp
    return (gbp * EUR_RATE).quantize(Decimal("1")) - Decimal("0.01")


def currency_of(country: str) -> str:
    return "GBP" if country == "GB" else "EUR"


def dc_of(country: str) -> str:
    return "DC-LEEDS" if country == "GB" else "DC-ROTTERDAM"


# ------------------------------------------------------------------------------------------------
# people
# ------------------------------------------------------------------------------------------------
COUNTRY_CC = {"GB": "44", "IE": "353", "DE": "49", "FR": "33", "NL": "31"}


@dataclass
class Person:
    idx: int
    first: str
    last: str
    country: str
    city: str
    street: str
    postcode: str
    email: str
    key: str = ""  # scenario tag
    crm: bool = True
    commerce: bool = True
    billing: bool = True
    profile: bool = False
    cus_id: str = ""
    household: str | None = None
    commerce_household: bool = False
    loyalty: str = "none"
    opt_in: bool = False
    commerce_ref: bool = True
    billing_ref: bool = True
    profile_ref: bool = True
    crm_billing_account: str | None = None  # CRM BillingAccountNo
    commerce_email: str | None = None  # raw value in commerce
    billing_email: str | None = None  # raw value in billing
    profile_email: str | None = None
    pays_through: str | None = None  # billing account paying this person's orders (household payer)
    phone_styles: dict[str, str] = field(default_factory=dict)
    crm_created: datetime | None = None
    commerce_created: datetime | None = None
    billing_created: datetime | None = None
    profile_created: datetime | None = None
    no_crm_phone: bool = False

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def contact_id(self) -> str:
        return f"003{100 + self.idx:07d}"

    @property
    def profile_id(self) -> str:
        return f"SP-{200100 + self.idx}"

    @property
    def account_no(self) -> str:
        return f"BA-{500100 + self.idx}"

    @property
    def paying_account(self) -> str:
        return self.pays_through or self.account_no

    @property
    def currency(self) -> str:
        return currency_of(self.country)

    def nsn(self) -> str:
        i = self.idx
        return {
            "GB": f"7700900{i:03d}",
            "IE": f"85555{i:04d}",
            "DE": f"1515550{i:04d}",
            "FR": f"63998{i:04d}",
            "NL": f"65550{i:04d}",
        }[self.country]

    def phone(self, style: str) -> str:
        n, c = self.nsn(), self.country
        if style == "e164":
            return f"+{COUNTRY_CC[c]}{n}"
        if style == "national":
            return "0" + n
        if style == "intl_spaced":
            if c == "GB":
                return f"+44 {n[:4]} {n[4:]}"
            if c == "IE":
                return f"+353 {n[:2]} {n[2:5]} {n[5:]}"
            if c == "DE":
                return f"+49 {n[:3]} {n[3:]}"
            if c == "FR":
                return f"+33 {n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:]}"
            return f"+31 {n[0]} {n[1:]}"
        if style == "national_spaced":
            if c == "GB":
                return f"0{n[:4]} {n[4:]}"
            if c == "IE":
                return f"0{n[:2]} {n[2:5]} {n[5:]}"
            if c == "DE":
                return f"0{n[:3]} {n[3:]}"
            if c == "FR":
                return f"0{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:]}"
            return f"0{n[0]} {n[1:]}"
        raise ValueError(style)


# The 20 scenario people. idx fixes every system id: CRM 003{100+idx:07d}, profile SP-{200100+idx},
# billing account BA-{500100+idx}. cus_ ids are hand-picked.
# fmt: off
SCENARIO_PEOPLE: list[dict[str, Any]] = [
    # (a) delayed order
    dict(idx=1, key="a", first="Ann", last="Rees", country="GB", city="Cardiff", street="27 Heol Hir",
         postcode="CF14 5AA", email="ann.rees@example.com", cus_id="cus_arees001", profile=True,
         loyalty="silver", opt_in=True, billing_email="Ann.Rees@Example.com ", crm_billing_account="BA-500101",
         crm_created=utc("2023-04-18T09:12:44")),
    # (b) billing dispute: three different e-mails; commerce and billing linked through crm_contact_id and phone
    dict(idx=2, key="b", first="Daniel", last="Byrne", country="IE", city="Dublin",
         street="14 Grosvenor Road, Rathgar", postcode="D06 F2X9", email="daniel.byrne@example.com",
         cus_id="cus_dbyrn002", profile=True, loyalty="bronze", opt_in=False,
         commerce_email="danny.byrne@example.org", billing_email="accounts.byrne@example.net",
         crm_created=utc("2024-02-02T14:03:10")),
    # (c) household HH-30001: Jonas is the contract holder, Lena's billing account pays
    dict(idx=3, key="c", first="Jonas", last="Keller", country="DE", city="Berlin", street="Kastanienallee 41",
         postcode="10435", email="jonas.keller@example.net", cus_id="cus_jkell003", profile=True,
         household="HH-30001", commerce_household=True, loyalty="gold", opt_in=True, billing=False,
         crm_billing_account="BA-500104", pays_through="BA-500104", crm_created=utc("2022-09-30T16:45:00")),
    dict(idx=4, key="c", first="Lena", last="Keller", country="DE", city="Berlin", street="Kastanienallee 41",
         postcode="10435", email="lena.keller@example.net", cus_id="cus_lkell004", household="HH-30001",
         commerce_household=True, loyalty="none", opt_in=False, crm_created=utc("2022-10-02T10:20:31")),
    # (h) CRM has the new e-mail, commerce still the old one
    dict(idx=5, key="h", first="Sophie", last="Martin", country="FR", city="Lyon",
         street="18 rue Juliette Récamier", postcode="69006", email="sophie.martin@example.org",
         cus_id="cus_smart005", loyalty="silver", opt_in=True, commerce_email="sophie.dupont@example.com",
         crm_created=utc("2023-06-11T08:30:00")),
    # (d) the six customers behind the NorthStar delayed shipments
    dict(idx=6, key="d", first="Oliver", last="Bennett", country="GB", city="Leeds", street="9 Cardigan Road",
         postcode="LS6 3AG", email="oliver.bennett@example.com", cus_id="cus_obenn006", profile=True,
         loyalty="bronze", opt_in=True),
    dict(idx=7, key="d", first="Chloe", last="Harris", country="GB", city="Sheffield",
         street="52 Crookesmoor Road", postcode="S10 1BA", email="chloe.harris@example.net",
         cus_id="cus_charr007", loyalty="none", opt_in=True),
    dict(idx=8, key="d", first="Rhys", last="Morgan", country="GB", city="Swansea", street="3 Uplands Crescent",
         postcode="SA2 0PB", email="rhys.morgan@example.org", cus_id="cus_rmorg008", profile=True,
         loyalty="silver", opt_in=False),
    dict(idx=9, key="d", first="Hannah", last="Wright", country="GB", city="Nottingham",
         street="71 Mansfield Road", postcode="NG5 2BB", email="hannah.wright@example.com",
         cus_id="cus_hwrig009", profile=True, loyalty="none", opt_in=True),
    dict(idx=10, key="d", first="Callum", last="Fraser", country="GB", city="Edinburgh",
         street="16 Marchmont Crescent", postcode="EH9 1HN", email="callum.fraser@example.net",
         cus_id="cus_cfras010", loyalty="gold", opt_in=True),
    dict(idx=11, key="d", first="Isla", last="Campbell", country="GB", city="Glasgow",
         street="204 Great Western Road", postcode="G4 9EJ", email="isla.campbell@example.org",
         cus_id="cus_icamp011", loyalty="none", opt_in=False),
    # (e) Winter Gear Sale targets with a recent service failure
    dict(idx=12, key="e", first="Emma", last="de Vries", country="NL", city="Utrecht", street="Oudegracht 212",
         postcode="3511 NR", email="emma.devries@example.com", cus_id="cus_edevr012", profile=True,
         loyalty="silver", opt_in=True),
    dict(idx=13, key="e", first="Lucas", last="Dubois", country="FR", city="Grenoble",
         street="7 rue Félix Poulat", postcode="38000", email="lucas.dubois@example.net", cus_id="cus_ldubo013",
         profile=True, loyalty="gold", opt_in=True),
    dict(idx=14, key="e", first="Aoife", last="Kelly", country="IE", city="Galway", street="22 Shantalla Road",
         postcode="H91 X2C4", email="aoife.kelly@example.org", cus_id="cus_akell014", loyalty="bronze", opt_in=True),
    dict(idx=15, key="e", first="Finn", last="Becker", country="DE", city="Hamburg", street="Eppendorfer Weg 88",
         postcode="20259", email="finn.becker@example.com", cus_id="cus_fbeck015", loyalty="none", opt_in=True),
    # (f) refunds approved over chat and logged in the approvals sheet
    dict(idx=16, key="f", first="Gareth", last="Price", country="GB", city="Bristol", street="40 Gloucester Road",
         postcode="BS7 8AE", email="gareth.price@example.net", cus_id="cus_gpric016", profile=True,
         loyalty="silver", opt_in=False),
    dict(idx=17, key="f", first="Saoirse", last="Walsh", country="IE", city="Cork", street="5 Summerhill North",
         postcode="T23 K7P2", email="saoirse.walsh@example.com", cus_id="cus_swals017", profile=True,
         loyalty="none", opt_in=True),
    # (g) open cases whose workflow instances wait on WMS-dependent steps
    dict(idx=18, key="g", first="Niamh", last="O'Brien", country="IE", city="Dublin", street="61 Clontarf Road",
         postcode="D03 W9R1", email="niamh.obrien@example.org", cus_id="cus_nobri018", profile=True,
         loyalty="bronze", opt_in=False),
    dict(idx=19, key="g", first="Pieter", last="Jansen", country="NL", city="Rotterdam",
         street="Nieuwe Binnenweg 150", postcode="3015 BG", email="pieter.jansen@example.net",
         cus_id="cus_pjans019", profile=True, loyalty="silver", opt_in=False),
    dict(idx=20, key="g", first="Amélie", last="Laurent", country="FR", city="Annecy",
         street="12 avenue de Chevêne", postcode="74000", email="amelie.laurent@example.com",
         cus_id="cus_alaur020", profile=True, loyalty="none", opt_in=False),
]
# fmt: on

FIRST_NAMES = {
    "GB": "Amelia|Harry|Jack|Thomas|Grace|James|Emily|William|Lucy|George|Freya|Samuel|Alice|Joseph|Ella|Matthew|"
    "Charlotte|Ethan|Holly|Ryan|Megan|Liam|Ruby|Adam|Zara|Kieran|Bethany|Nathan|Imogen|Rory|Eleanor|Connor|Abigail|"
    "Ffion|Dylan|Mhairi|Euan|Priya|Arjun|Aisha",
    "IE": "Ciarán|Seán|Conor|Róisín|Darragh|Siobhán|Eoin|Orla|Cian|Caoimhe|Fionn|Sinéad|Oisín|Clodagh|Pádraig|Méabh",
    "DE": "Lukas|Anna|Maximilian|Marie|Felix|Paul|Mia|Hannes|Leon|Emilia|Elias|Lea|Jürgen|Katharina|Tobias|Sabine|"
    "Matthias|Julia",
    "FR": "Louis|Camille|Hugo|Chloé|Arthur|Léa|Jules|Manon|Gabriel|Inès|Raphaël|Juliette|Théo|Zoé|Antoine|Hélène|"
    "Mathieu|Élise",
    "NL": "Daan|Sanne|Sem|Lotte|Julia|Bram|Fleur|Thijs|Anouk|Jesse|Eva|Ruben|Lisa|Stijn|Femke|Joris|Iris|Noor",
}
LAST_NAMES = {
    "GB": "Smith|Jones|Taylor|Brown|Williams|Wilson|Evans|Thomas|Roberts|Johnson|Walker|Wood|Thompson|White|Hall|"
    "Green|Edwards|Lewis|Clarke|Jackson|Turner|Hill|Moore|Cooper|Ward|Morris|King|Baker|Harrison|Phillips|Mitchell|"
    "Patel|Khan|Shaw|Lloyd|Ellis|Palmer|MacLeod|Jenkins|Owen",
    "IE": "Murphy|O'Sullivan|Ryan|Doyle|Lynch|Murray|Quinn|McLoughlin|Carroll|Connolly|Daly|Kennedy|Brennan|"
    "Gallagher|McCarthy|O'Connor",
    "DE": "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Schulz|Hoffmann|Schäfer|Koch|Bauer|Richter|Klein|Wolf|"
    "Schröder|Neumann|Zimmermann",
    "FR": "Bernard|Petit|Robert|Richard|Durand|Leroy|Moreau|Simon|Lefebvre|Michel|Garcia|David|Bertrand|Roux|Vincent|"
    "Fournier|Morel|Girard",
    "NL": "de Jong|van den Berg|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|Peters|Hendriks|"
    "van Leeuwen|Dekker|Brouwer|de Wit|Kok",
}
CITIES = {
    "GB": [
        ("Leeds", ["LS6", "LS8", "LS17"]),
        ("Manchester", ["M20", "M21", "M14"]),
        ("Bristol", ["BS6", "BS7"]),
        ("Cardiff", ["CF11", "CF23"]),
        ("Edinburgh", ["EH10", "EH4"]),
        ("Glasgow", ["G12", "G41"]),
        ("Sheffield", ["S10", "S11"]),
        ("York", ["YO10", "YO31"]),
        ("Brighton", ["BN1", "BN2"]),
        ("Norwich", ["NR2"]),
        ("Kendal", ["LA9"]),
        ("Inverness", ["IV2"]),
        ("London", ["SE22", "N16", "E8"]),
        ("Keswick", ["CA12"]),
    ],
    "IE": [
        ("Dublin", ["D04", "D06", "D07", "D08", "D09"]),
        ("Cork", ["T12"]),
        ("Galway", ["H91"]),
        ("Limerick", ["V94"]),
        ("Kilkenny", ["R95"]),
    ],
    "DE": [
        ("Berlin", ["10115", "10245", "10437", "10827", "12047"]),
        ("Hamburg", ["20095", "22765"]),
        ("München", ["80331", "81667"]),
        ("Köln", ["50667", "50733"]),
        ("Freiburg im Breisgau", ["79098", "79102"]),
        ("Leipzig", ["04109"]),
        ("Dresden", ["01067"]),
    ],
    "FR": [
        ("Paris", ["75011", "75018"]),
        ("Lyon", ["69003", "69007"]),
        ("Grenoble", ["38000", "38100"]),
        ("Annecy", ["74000"]),
        ("Bordeaux", ["33000"]),
        ("Toulouse", ["31000"]),
        ("Nantes", ["44000"]),
        ("Chamonix-Mont-Blanc", ["74400"]),
    ],
    "NL": [
        ("Amsterdam", ["1012", "1016", "1072"]),
        ("Utrecht", ["3511", "3581"]),
        ("Rotterdam", ["3011", "3021"]),
        ("Eindhoven", ["5611"]),
        ("Groningen", ["9711"]),
        ("Haarlem", ["2011"]),
    ],
}
STREETS = {
    "GB": [
        "Victoria Road",
        "Church Street",
        "Mill Lane",
        "Park Avenue",
        "Station Road",
        "Highfield Grove",
        "Queens Road",
        "Albert Terrace",
        "Grange Close",
        "Meadow Way",
        "Beech Grove",
        "Windsor Street",
    ],
    "IE": ["Griffith Avenue", "Sandymount Road", "Ranelagh Road", "Seaview Terrace", "College Road", "Ash Park"],
    "DE": [
        "Lindenstraße",
        "Hauptstraße",
        "Gartenweg",
        "Schillerstraße",
        "Goethestraße",
        "Bergstraße",
        "Waldweg",
        "Bahnhofstraße",
    ],
    "FR": [
        "rue des Lilas",
        "rue de la République",
        "rue Victor Hugo",
        "rue du Moulin",
        "rue des Alpes",
        "avenue Jean Jaurès",
    ],
    "NL": ["Prinsengracht", "Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsweg", "Lindenlaan"],
}
DOMAINS = ["example.com", "example.net", "example.org"]
LETTERS_GB = "ABDEFGHJLNPQRSTUWXYZ"


def make_address(country: str) -> tuple[str, str, str]:
    city, codes = rng.choice(CITIES[country])
    code = rng.choice(codes)
    street = rng.choice(STREETS[country])
    n = rng.randint(1, 180)
    if country == "GB":
        postcode = f"{code} {rng.randint(1, 9)}{rng.choice(LETTERS_GB)}{rng.choice(LETTERS_GB)}"
        line = f"{n} {street}"
    elif country == "IE":
        chars = "ACDEFHKNPRTVWXY0123456789"
        postcode = f"{code} {rng.choice('ACDEFHKNPRTVWXY')}{''.join(rng.choice(chars) for _ in range(3))}"
        line = f"{n} {street}"
    elif country == "DE":
        postcode = code
        line = f"{street} {n}"
    elif country == "FR":
        postcode = code
        line = f"{n} {street}"
    else:
        postcode = f"{code} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
        line = f"{street} {n}"
    return city, line, postcode


def make_email(first: str, last: str, taken: set[str]) -> str:
    f, l_ = slug(first), slug(last)
    patterns = [f"{f}.{l_}", f"{f}{l_}", f"{f[0]}.{l_}", f"{f}.{l_}{rng.randint(10, 99)}", f"{f}_{l_}"]
    while True:
        local = rng.choice(patterns)
        email = f"{local}@{rng.choice(DOMAINS)}"
        if email not in taken:
            taken.add(email)
            return email
        patterns.append(f"{f}.{l_}{rng.randint(100, 999)}")


def cus_id(taken: set[str]) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    while True:
        value = "cus_" + "".join(rng.choice(alphabet) for _ in range(8))
        if value not in taken:
            taken.add(value)
            return value


def rand_dt(start: datetime, end: datetime) -> datetime:
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randint(0, max(span, 0)))


def daytime(dt: datetime, lo: int = 8, hi: int = 20) -> datetime:
    """Move a random instant into the hours [lo, hi) of its day (UTC), never after now."""
    if not lo <= dt.hour < hi:
        dt = dt.replace(hour=lo + dt.hour % (hi - lo))
    return min(dt, NOW - timedelta(minutes=50 + dt.minute))


def build_people() -> list[Person]:
    people: list[Person] = []
    emails: set[str] = set()
    cus_ids: set[str] = set()
    names: set[tuple[str, str]] = set()
    for spec in SCENARIO_PEOPLE:
        p = Person(**spec)
        people.append(p)
        emails.add(p.email)
        cus_ids.add(p.cus_id)
        names.add((p.first, p.last))
    countries = ["GB"] * 50 + ["IE"] * 12 + ["DE"] * 14 + ["FR"] * 12 + ["NL"] * 12
    idx = len(people)
    n_households = 0
    while idx < len(SCENARIO_PEOPLE) + N_FILLER:
        idx += 1
        country = rng.choice(countries)
        while True:
            first, last = rng.choice(FIRST_NAMES[country].split("|")), rng.choice(LAST_NAMES[country].split("|"))
            if (first, last) not in names:
                names.add((first, last))
                break
        city, street, postcode = make_address(country)
        p = Person(
            idx=idx,
            first=first,
            last=last,
            country=country,
            city=city,
            street=street,
            postcode=postcode,
            email=make_email(first, last, emails),
        )
        p.cus_id = cus_id(cus_ids)
        people.append(p)
        # a household partner now and then (same address, often same surname)
        if n_households < 10 and rng.random() < 0.16 and idx < len(SCENARIO_PEOPLE) + N_FILLER:
            n_households += 1
            hh = f"HH-{30001 + n_households}"
            idx += 1
            while True:
                pfirst = rng.choice(FIRST_NAMES[country].split("|"))
                plast = last if rng.random() < 0.7 else rng.choice(LAST_NAMES[country].split("|"))
                if (pfirst, plast) not in names:
                    names.add((pfirst, plast))
                    break
            q = Person(
                idx=idx,
                first=pfirst,
                last=plast,
                country=country,
                city=city,
                street=street,
                postcode=postcode,
                email=make_email(pfirst, plast, emails),
            )
            q.cus_id = cus_id(cus_ids)
            people.append(q)
            p.household = q.household = hh
            p.commerce_household = rng.random() < 0.8
            q.commerce_household = rng.random() < 0.6
    # filler attributes
    filler = [p for p in people if not p.key]
    crm_only = filler[5::16][:8]  # store loyalty members without an online account
    guests = filler[11::16][:8]  # online guests never synced to the CRM
    for p in filler:
        p.loyalty = rng.choices(["none", "bronze", "silver", "gold"], [45, 25, 20, 10])[0]
        p.opt_in = rng.random() < 0.62
        p.profile = rng.random() < 0.45
        p.commerce_ref = rng.random() < 0.85
        p.billing_ref = rng.random() < 0.88
        p.profile_ref = rng.random() < 0.8
        p.no_crm_phone = rng.random() < 0.06
        if p in crm_only:
            p.commerce = p.billing = False
            p.profile = rng.random() < 0.6
        if p in guests:
            p.crm = False
            p.household = None
            p.commerce_household = False
            p.loyalty = "none"
        if not p.commerce:
            p.commerce_household = False
        if p.billing and p.crm and p.loyalty != "none" and rng.random() < 0.7:
            p.crm_billing_account = p.account_no
        r = rng.random()
        if r < 0.2:
            p.billing_email = p.email.split("@")[0].title() + "@" + p.email.split("@")[1].title()
        elif r < 0.25:
            p.billing_email = p.email.upper()
        if rng.random() < 0.1:
            local, dom = p.email.split("@")
            p.commerce_email = local.capitalize() + "@" + dom
    # two filler billing e-mails with a trailing blank, like Ann Rees's (scenario a)
    for p in [q for q in filler if q.billing][7:9]:
        p.billing_email = (p.billing_email or p.email) + " "
    # phone formats differ per system; commerce and the contact center store no country, so they write
    # GB numbers in national format and other countries' numbers with their calling code
    for p in people:
        crm_style = "intl_spaced" if rng.random() < 0.8 else "national_spaced"
        commerce_style = "national" if rng.random() < 0.85 else "e164"
        home = p.country == "GB"
        p.phone_styles = {
            "crm": crm_style,
            "commerce": commerce_style if home else "e164",
            "billing": "e164",
            "contact-center": "national_spaced" if home else "intl_spaced",
        }
    return people


# ------------------------------------------------------------------------------------------------
# operations: orders, fulfilments, shipments, invoices, payments
# ------------------------------------------------------------------------------------------------
@dataclass
class Line:
    line_id: str
    sku: str
    qty: int
    amount: Decimal
    currency: str
    ful_id: str | None = None
    ful_status: str | None = None
    ful_updated: datetime | None = None


@dataclass
class Shipment:
    shipment_id: str
    order: Order
    carrier: str
    tracking: str
    status: str
    promised: date
    estimated: date
    shipped: datetime
    delivered: datetime | None = None
    events: list[tuple[str, str, str, datetime]] = field(default_factory=list)  # code, description, location, when
    explicit_events: bool = False
    event_ids: list[str] | None = None


@dataclass
class Payment:
    payment_id: str
    amount: Decimal
    status: str
    failure: str
    attempted: datetime


@dataclass
class Invoice:
    invoice_no: str
    account_no: str
    order_number: str | None
    issued: date
    due: date
    amount: Decimal
    currency: str
    status: str
    payments: list[Payment] = field(default_factory=list)


@dataclass
class Order:
    number: str
    person: Person
    channel: str
    placed: datetime
    status: str
    currency: str
    lines: list[Line]
    household: str | None = None
    shipment: Shipment | None = None
    invoice: Invoice | None = None

    @property
    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0"))

    @property
    def digits(self) -> str:
        return self.number.split("-")[1]


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def next(self) -> int:
        self.value += 1
        return self.value


FUL_COUNTER = Counter(600000)
ORDERS: list[Order] = []
ORDER_BY_NO: dict[str, Order] = {}
TRACKING_TAKEN: set[str] = set()


def carrier_for(country: str) -> str:
    if country == "GB":
        return "swiftparcel" if rng.random() < 0.6 else "northstar"
    if country == "IE":
        return "celtic-courier"
    return "eurolink"


def tracking_for(carrier: str, digits: str) -> str:
    value = {
        "swiftparcel": f"SP{digits}{rng.randint(1000, 9999)}GB",
        "northstar": f"NS00{digits}{rng.randint(100000, 999999)}",
        "eurolink": f"EL{digits}{rng.randint(100, 999)}NL",
        "celtic-courier": f"CC{digits}{rng.randint(1000, 9999)}IE",
    }[carrier]
    TRACKING_TAKEN.add(value)
    return value


HUBS = {
    "swiftparcel": "GB-WAKEFIELD-HUB",
    "northstar": "GB-DAVENTRY-HUB",
    "eurolink": "NL-VENLO-HUB",
    "celtic-courier": "IE-DUBLIN-HUB",
}


def depot(p: Person) -> str:
    return f"{p.country}-{slug(p.city).upper()[:12]}-DEPOT"


def business_time(day: date, hour_from: int = 8, hour_to: int = 19) -> datetime:
    return datetime.combine(day, time(rng.randint(hour_from, hour_to - 1), rng.randint(0, 59), rng.randint(0, 59)), UTC)


def promised_days(country: str) -> int:
    return 3 if country == "GB" else 4


def add_order(
    p: Person,
    number: str,
    placed: datetime,
    items: list[tuple[str, int]],
    kind: str,
    *,
    carrier: str | None = None,
    household: bool | None = None,
    ship_day_offset: int = 1,
    delivered_after_days: int | None = None,
    ful_ids: list[str] | None = None,
    promised: date | None = None,
    estimated: date | None = None,
    shipped: datetime | None = None,
    events: list[tuple[str, str, str, datetime]] | None = None,
    invoice_kind: str = "paid",
    backorder_skus: tuple[str, ...] = (),
) -> Order:
    """kind: delivered | late_delivered | in_transit | out_for_delivery | delayed | open | stuck | cancelled |
    partial_backorder (shipped lines in a delayed shipment, the backorder_skus lines backordered)."""
    assert number not in ORDER_BY_NO, number
    cur = p.currency
    lines = [Line(f"{number}-{i}", sku, q, unit_price(sku, cur) * q, cur) for i, (sku, q) in enumerate(items, 1)]
    channel = "web" if number.startswith("WEB") else "app"
    hh = p.household if (p.commerce_household and (household if household is not None else True)) else None
    status = {
        "delivered": "delivered",
        "late_delivered": "delivered",
        "in_transit": "fulfilled",
        "out_for_delivery": "fulfilled",
        "delayed": "fulfilled",
        "open": "open",
        "stuck": "open",
        "cancelled": "cancelled",
        "partial_backorder": "partially_fulfilled",
    }[kind]
    order = Order(number, p, channel, placed, status, cur, lines, hh)
    ORDERS.append(order)
    ORDER_BY_NO[number] = order
    if kind == "cancelled":
        return order
    # fulfilment (WMS)
    ship_day = (placed + timedelta(days=ship_day_offset)).date()
    ship_time = shipped or business_time(ship_day, 9, 17)
    if ship_time <= placed:
        ship_time = placed + timedelta(hours=3)
    if ship_time > NOW - timedelta(hours=2):
        ship_time = placed + (NOW - placed) / 2
    for i, ln in enumerate(lines):
        ln.ful_id = ful_ids[i] if ful_ids else f"FUL-{FUL_COUNTER.next()}"
        if kind in ("open", "stuck"):
            ln.ful_status = "allocated" if kind == "stuck" else rng.choice(["allocated", "picked", "packed"])
            ln.ful_updated = placed + timedelta(minutes=rng.randint(5, 240))
        elif ln.sku in backorder_skus:
            ln.ful_status = "backordered"
            ln.ful_updated = placed + timedelta(minutes=rng.randint(10, 50))
        else:
            ln.ful_status = "shipped"
            ln.ful_updated = max(ship_time - timedelta(minutes=rng.randint(5, 40)), placed + timedelta(minutes=2))
    for ln in lines:
        if ln.ful_updated and ln.ful_updated > NOW:
            ln.ful_updated = NOW - timedelta(minutes=5)
    # shipment (logistics)
    if kind not in ("open", "stuck"):
        car = carrier or carrier_for(p.country)
        prom = promised or (placed.date() + timedelta(days=promised_days(p.country)))
        if kind in ("delivered", "late_delivered"):
            days = delivered_after_days if delivered_after_days is not None else rng.randint(1, 2)
            if kind == "delivered":
                days = min(days, (prom - ship_time.date()).days) if (prom - ship_time.date()).days >= 1 else 1
            deliv = business_time(ship_time.date() + timedelta(days=days), 9, 18)
            if deliv > NOW - timedelta(hours=1):
                deliv = NOW - timedelta(hours=rng.randint(1, 3), minutes=rng.randint(0, 59))
            if deliv <= ship_time + timedelta(hours=4):
                deliv = ship_time + timedelta(hours=4)
            est = estimated or deliv.date()
            sh_status = "delivered"
        elif kind == "out_for_delivery":
            deliv, est, sh_status = None, estimated or TODAY, "out_for_delivery"
        elif kind == "in_transit":
            deliv, est, sh_status = None, estimated or prom, "in_transit"
        else:  # delayed, partial_backorder
            deliv, est, sh_status = None, estimated or (prom + timedelta(days=5)), "delayed"
        sh = Shipment(
            f"SHP-{order.digits}", order, car, tracking_for(car, order.digits), sh_status, prom, est, ship_time, deliv
        )
        if events is not None:
            sh.events, sh.explicit_events = events, True
        order.shipment = sh
        if kind == "late_delivered":
            order.shipment.events = default_events(sh, late=True)
            order.shipment.explicit_events = True
    # invoice and payments (billing)
    add_invoice(order, invoice_kind)
    return order


def default_events(sh: Shipment, late: bool = False) -> list[tuple[str, str, str, datetime]]:
    p = sh.order.person
    dc = dc_of(p.country)
    pu_loc = "GB-LEEDS-DC" if dc == "DC-LEEDS" else "NL-ROTTERDAM-DC"
    t_it = min(sh.shipped + timedelta(hours=rng.randint(4, 8)), NOW - timedelta(minutes=30))
    ev = [
        ("PU", f"Collected from Brightwater {dc.split('-')[1].title()} DC", pu_loc, sh.shipped),
        ("IT", "Arrived at sorting hub", HUBS[sh.carrier], t_it),
    ]
    if late:
        ev.append(
            (
                "DL",
                "Delayed: missed linehaul connection",
                HUBS[sh.carrier],
                sh.shipped + timedelta(hours=rng.randint(20, 30)),
            )
        )
    if sh.status in ("out_for_delivery", "delivered"):
        day = sh.delivered.date() if sh.delivered else TODAY
        od = max(datetime.combine(day, time(7, rng.randint(0, 50)), UTC), t_it + timedelta(hours=1))
        if sh.delivered:
            od = min(od, sh.delivered - timedelta(minutes=30))
        od = min(od, NOW - timedelta(minutes=10))
        ev.append(("OD", "Out for delivery", depot(p), od))
    if sh.status == "delivered" and sh.delivered:
        ev.append(("DV", "Delivered", depot(p), sh.delivered))
    return ev


INVOICES: list[Invoice] = []


def add_invoice(order: Order, kind: str) -> None:
    """kind: paid | paid_after_retry | open | overdue | none | explicit (caller fills)."""
    if kind == "none":
        return
    placed = order.placed
    inv = Invoice(
        f"INV-{order.digits}0",
        order.person.paying_account,
        order.number,
        placed.astimezone(UTC).date(),
        placed.astimezone(UTC).date() + timedelta(days=14),
        order.total,
        order.currency,
        "paid",
    )
    order.invoice = inv
    INVOICES.append(inv)
    pay = f"PAY-{order.digits}"
    if kind == "paid":
        inv.payments.append(
            Payment(f"{pay}1", inv.amount, "succeeded", "", placed + timedelta(seconds=rng.randint(20, 90)))
        )
    elif kind == "paid_after_retry":
        inv.payments.append(
            Payment(
                f"{pay}1",
                inv.amount,
                "failed",
                rng.choice(["card_declined", "authentication_failed"]),
                placed + timedelta(seconds=rng.randint(20, 90)),
            )
        )
        inv.payments.append(
            Payment(f"{pay}2", inv.amount, "succeeded", "", placed + timedelta(hours=rng.randint(2, 20)))
        )
    elif kind == "open":
        inv.status = "open"
    elif kind == "overdue":
        inv.status = "overdue"
        inv.payments.append(
            Payment(f"{pay}1", inv.amount, "failed", "insufficient_funds", datetime.combine(inv.due, time(6, 0), UTC))
        )
    elif kind == "explicit":
        pass


# ------------------------------------------------------------------------------------------------
# the scenario orders (explicit)
# ------------------------------------------------------------------------------------------------
def scenario_orders(P: dict[int, Person]) -> None:
    # (a) Ann Rees: an older delivered order, then WEB-104211 (jacket shipped but delayed, tent backordered)
    add_order(
        P[1],
        "WEB-103880",
        utc("2026-08-14T18:21:05"),
        [("BW-10014", 1), ("BW-10028", 2)],
        "delivered",
        carrier="swiftparcel",
    )
    a_ship = utc("2026-11-07T16:05:00")
    add_order(
        P[1],
        "WEB-104211",
        utc("2026-11-06T19:42:10"),
        [("BW-10021", 1), ("BW-10007", 1)],
        "partial_backorder",
        carrier="swiftparcel",
        ful_ids=["FUL-104211", "FUL-104212"],
        backorder_skus=("BW-10007",),
        shipped=a_ship,
        promised=date(2026, 11, 10),
        estimated=date(2026, 11, 24),
        events=[
            ("PU", "Collected from Brightwater Leeds DC", "GB-LEEDS-DC", a_ship),
            ("IT", "Arrived at sorting hub", "GB-WAKEFIELD-HUB", utc("2026-11-07T23:40:00")),
            (
                "DL",
                "Delayed: missed linehaul connection, new delivery date to follow",
                "GB-WAKEFIELD-HUB",
                utc("2026-11-09T07:15:00"),
            ),
            (
                "EX",
                "Exception: parcel mis-sorted and returned to hub for re-routing",
                "GB-CARDIFF-DEPOT",
                utc("2026-11-11T10:30:00"),
            ),
            ("IT", "Re-routed, in transit to delivery depot", "GB-WAKEFIELD-HUB", utc("2026-11-17T05:50:00")),
        ],
    )
    ORDER_BY_NO["WEB-104211"].lines[1].ful_updated = utc("2026-11-06T20:05:00")
    # (b) Daniel Byrne: older paid order; APP-108812 invoiced (pay later), two failed payments, disputed
    add_order(P[2], "WEB-106600", utc("2026-05-02T11:10:45"), [("BW-10011", 1), ("BW-10015", 1)], "delivered")
    o = add_order(
        P[2],
        "APP-108812",
        utc("2026-10-27T20:15:33"),
        [("BW-10006", 1), ("BW-10013", 1)],
        "delivered",
        delivered_after_days=2,
        invoice_kind="explicit",
    )
    inv = o.invoice
    inv.status = "disputed"
    inv.payments = [
        Payment("PAY-1088121", inv.amount, "failed", "insufficient_funds", utc("2026-11-10T06:00:12")),
        Payment("PAY-1088122", inv.amount, "failed", "card_declined", utc("2026-11-13T06:00:08")),
    ]
    # (c) Keller household: both order to HH-30001; Lena's account BA-500104 pays for both
    add_order(P[3], "WEB-105552", utc("2026-03-08T09:55:00"), [("BW-10002", 1)], "delivered")
    add_order(P[4], "WEB-105551", utc("2026-10-18T17:02:19"), [("BW-10019", 1), ("BW-10038", 2)], "delivered")
    add_order(P[3], "APP-105550", utc("2026-11-02T21:44:07"), [("BW-10009", 1), ("BW-10012", 1)], "delivered")
    # (h) Sophie Martin
    add_order(P[5], "WEB-109001", utc("2026-09-12T10:03:51"), [("BW-10017", 1), ("BW-10018", 1)], "delivered")
    add_order(P[5], "WEB-109002", utc("2026-11-10T13:27:40"), [("BW-10039", 1)], "delivered")
    # (d) six NorthStar shipments stuck behind the Daventry hub backlog
    d_orders = [
        (6, "WEB-130101", "2026-11-13T18:02:11", [("BW-10022", 1)]),
        (7, "APP-130102", "2026-11-13T20:45:30", [("BW-10025", 1), ("BW-10028", 1)]),
        (8, "WEB-130103", "2026-11-14T07:31:02", [("BW-10010", 1)]),
        (9, "APP-130104", "2026-11-14T09:12:48", [("BW-10021", 1)]),
        (10, "WEB-130105", "2026-11-14T12:40:15", [("BW-10030", 1), ("BW-10031", 1), ("BW-10032", 3)]),
        (11, "WEB-130106", "2026-11-14T15:05:59", [("BW-10027", 1)]),
    ]
    add_order(P[8], "WEB-130003", utc("2026-09-25T19:18:26"), [("BW-10026", 1)], "delivered", carrier="swiftparcel")
    for i, (pi, no, placed, items) in enumerate(d_orders):
        pl = utc(placed)
        shipped = utc("2026-11-14T16:10:00") if i < 2 else utc("2026-11-15T11:20:00")
        hub_in = shipped + timedelta(hours=6, minutes=15 * i)
        add_order(
            P[pi],
            no,
            pl,
            items,
            "delayed",
            carrier="northstar",
            shipped=shipped,
            promised=pl.date() + timedelta(days=3),
            estimated=date(2026, 11, 21) if i < 3 else date(2026, 11, 22),
            events=[
                ("PU", "Collected from Brightwater Leeds DC", "GB-LEEDS-DC", shipped),
                ("IT", "Arrived at sorting hub", "GB-DAVENTRY-HUB", hub_in),
                (
                    "DL",
                    "Delayed: sorting backlog at NorthStar Daventry hub",
                    "GB-DAVENTRY-HUB",
                    utc("2026-11-16T21:00:00") + timedelta(minutes=7 * i),
                ),
            ],
        )
    # (e) late deliveries of two Winter Gear Sale targets
    ship = utc("2026-11-12T14:30:00")
    add_order(
        P[14],
        "WEB-140201",
        utc("2026-11-11T08:44:19"),
        [("BW-10024", 1), ("BW-10039", 1)],
        "delayed",
        carrier="celtic-courier",
        shipped=ship,
        promised=date(2026, 11, 15),
        estimated=date(2026, 11, 23),
        events=[
            ("PU", "Collected from Brightwater Rotterdam DC", "NL-ROTTERDAM-DC", ship),
            ("IT", "Arrived at sorting hub", "IE-DUBLIN-HUB", utc("2026-11-14T09:10:00")),
            (
                "DL",
                "Delayed: weather disruption on the Irish Sea crossing",
                "IE-DUBLIN-HUB",
                utc("2026-11-15T08:05:00"),
            ),
        ],
    )
    ship = utc("2026-11-13T10:15:00")
    add_order(
        P[15],
        "APP-140202",
        utc("2026-11-12T16:20:02"),
        [("BW-10003", 1)],
        "delayed",
        carrier="eurolink",
        shipped=ship,
        promised=date(2026, 11, 16),
        estimated=date(2026, 11, 24),
        events=[
            ("PU", "Collected from Brightwater Rotterdam DC", "NL-ROTTERDAM-DC", ship),
            ("IT", "Arrived at sorting hub", "NL-VENLO-HUB", utc("2026-11-13T17:40:00")),
            (
                "EX",
                "Exception: address label damaged, parcel held for relabelling",
                "NL-VENLO-HUB",
                utc("2026-11-15T06:25:00"),
            ),
            ("DL", "Delayed: awaiting relabelling", "NL-VENLO-HUB", utc("2026-11-16T12:00:00")),
        ],
    )
    # (e) severe open cases' orders
    add_order(P[12], "APP-120011", utc("2026-10-30T19:05:44"), [("BW-10027", 1)], "delivered")
    add_order(P[13], "WEB-120012", utc("2026-11-05T12:12:12"), [("BW-10034", 1), ("BW-10036", 1)], "delivered")
    # (f) two late deliveries refunded after a supervisor's approval over chat
    add_order(
        P[16],
        "WEB-122100",
        utc("2026-10-20T08:30:10"),
        [("BW-10020", 1), ("BW-10029", 1)],
        "late_delivered",
        carrier="swiftparcel",
        delivered_after_days=8,
        promised=date(2026, 10, 23),
    )
    add_order(
        P[17],
        "WEB-122110",
        utc("2026-10-22T21:15:36"),
        [("BW-10022", 1)],
        "late_delivered",
        delivered_after_days=9,
        promised=date(2026, 10, 26),
    )
    # (g) orders behind the open cases at WMS-dependent steps
    add_order(P[18], "WEB-131001", utc("2026-11-12T10:48:03"), [("BW-10009", 1)], "stuck")
    add_order(P[19], "APP-131002", utc("2026-10-15T18:36:21"), [("BW-10030", 1), ("BW-10032", 2)], "delivered")
    add_order(P[20], "WEB-131003", utc("2026-10-20T09:14:55"), [("BW-10025", 1)], "delivered")


FILLER_START = utc("2025-06-01T00:00")


def filler_orders(people: list[Person]) -> None:
    counter = Counter(150000)
    start = utc("2025-06-01T00:00:00")
    for p in people:
        if p.key or not p.commerce:
            continue
        n = rng.choices([1, 2, 3, 4], [22, 36, 27, 15])[0]
        dates = [daytime(rand_dt(start, NOW - timedelta(hours=2)), 7, 23) for _ in range(n)]
        if rng.random() < 0.09:  # something in flight right now
            dates.append(daytime(rand_dt(NOW - timedelta(days=3), NOW - timedelta(hours=2)), 7, 23))
        dates.sort()
        for placed in dates:
            no_digits = counter.next()
            channel = "WEB" if rng.random() < 0.6 else "APP"
            number = f"{channel}-{no_digits}"
            age = (NOW - placed).total_seconds() / 86400
            skus = rng.sample(
                [s for s in PRODUCT if not (s == OUT_OF_STOCK_SKU and placed > utc("2026-10-01T00:00"))],
                rng.choices([1, 2, 3], [50, 35, 15])[0],
            )
            items = [
                (s, rng.choice([2, 3]) if s in ("BW-10028", "BW-10032", "BW-10038") and rng.random() < 0.4 else 1)
                for s in skus
            ]
            pdays = promised_days(p.country)
            if age < 0.75:
                kind = "open"
            elif age < pdays - 0.5:
                kind = "out_for_delivery" if age > pdays - 1.6 else "in_transit"
            elif age > 10 and rng.random() < 0.05:
                kind = "cancelled"
            else:
                kind = "delivered"
            inv_kind = "paid"
            if kind != "cancelled":
                r = rng.random()
                if r < 0.06:
                    inv_kind = "paid_after_retry"
                elif age < 14 and r < 0.18:
                    inv_kind = "open"
                elif age > 30 and r < 0.085:
                    inv_kind = "overdue"
            add_order(
                p,
                number,
                placed,
                items,
                kind,
                invoice_kind=inv_kind,
                ship_day_offset=0 if placed.hour < 12 and kind != "open" else 1,
            )


def make_late(order: Order, extra_days: int) -> None:
    """Turn a delivered order into a late delivery (for closed delivery_delay cases in the filler)."""
    sh = order.shipment
    assert sh and sh.status == "delivered"
    sh.delivered = business_time(sh.promised + timedelta(days=extra_days), 10, 18)
    sh.estimated = sh.delivered.date()
    sh.events = default_events(sh, late=True)
    sh.explicit_events = True


# ------------------------------------------------------------------------------------------------
# service: profiles, interactions, cases, tasks, workflow instances, approvals, decisions, refunds
# ------------------------------------------------------------------------------------------------
INTERACTIONS: list[dict[str, str]] = []
CASES: list[dict[str, Any]] = []
TASKS: list[dict[str, Any]] = []
WFIS: list[dict[str, Any]] = []
APPROVALS: list[dict[str, Any]] = []
DECISIONS: list[dict[str, Any]] = []
REFUNDS: list[dict[str, str]] = []
INT_COUNTER = Counter(2000000)
CASE_COUNTER = Counter(20000)
TASK_COUNTER = Counter(20000)
WFI_COUNTER = Counter(20000)
APR_COUNTER = Counter(20000)
DEC_COUNTER = Counter(20000)
FIRST_CONTACT: dict[int, datetime] = {}


def add_interaction(
    p: Person,
    channel: str,
    start: datetime,
    minutes: int,
    topic: str,
    agent: str,
    *,
    order: str = "",
    case: str = "",
    iid: str | None = None,
) -> str:
    assert p.profile, p.name
    iid = iid or f"INT-{INT_COUNTER.next()}"
    INTERACTIONS.append(
        {
            "InteractionId": iid,
            "ProfileId": p.profile_id,
            "Channel": channel,
            "StartedAt": ts_utc(start),
            "EndedAt": ts_utc(start + timedelta(minutes=minutes)),
            "Topic": topic,
            "OrderNumber": order,
            "CaseNumber": case,
            "AgentId": agent,
            "_start": start,
        }
    )
    FIRST_CONTACT[p.idx] = min(FIRST_CONTACT.get(p.idx, start), start)
    return iid


def add_case(
    number: str,
    p: Person,
    category: str,
    priority: str,
    severity: str,
    state: str,
    opened: datetime,
    team: str,
    *,
    closed: datetime | None = None,
    order: str = "",
    invoice: str = "",
    by_account: bool = False,
) -> dict[str, Any]:
    case: dict[str, Any] = {"number": number}
    if by_account:
        case["billing_account"] = p.paying_account
    else:
        assert p.profile, p.name
        case["profile_id"] = p.profile_id
    case.update(
        {"category": category, "priority": priority, "severity": severity, "state": state, "opened_at": ts_cet(opened)}
    )
    if closed:
        case["closed_at"] = ts_cet(closed)
    case["assignment_group"] = team
    if order:
        case["order_number"] = order
    if invoice:
        case["invoice_no"] = invoice
    case["_person"] = p
    case["_opened"] = opened
    CASES.append(case)
    return case


def add_task(case: str, team: str, state: str, text: str, due: datetime, number: str | None = None) -> str:
    number = number or f"TSK00{TASK_COUNTER.next()}"
    TASKS.append(
        {
            "number": number,
            "case_number": case,
            "assignment_group": team,
            "state": state,
            "short_description": text,
            "due_at": ts_cet(due),
        }
    )
    return number


def add_wfi(
    case: str, workflow: str, step: str, state: str, team: str, started: datetime, sys_id: str | None = None
) -> str:
    sys_id = sys_id or f"WFI-{WFI_COUNTER.next()}"
    assert step in WORKFLOW_STEPS[workflow], step
    WFIS.append(
        {
            "sys_id": sys_id,
            "workflow": workflow,
            "current_step": step,
            "case_number": case,
            "state": state,
            "assignment_group": team,
            "started_at": ts_cet(started),
        }
    )
    return sys_id


def add_approval(
    case: str, action: str, approver: str, amount: Decimal, currency: str, when: datetime, sys_id: str | None = None
) -> str:
    sys_id = sys_id or f"APR-{APR_COUNTER.next()}"
    APPROVALS.append(
        {
            "sys_id": sys_id,
            "case_number": case,
            "action": action,
            "approver": approver,
            "amount": money(amount),
            "currency": currency,
            "approved_at": ts_cet(when),
        }
    )
    return sys_id


def add_decision(
    case: str,
    action: str,
    outcome: str,
    by: str,
    kind: str,
    rule: str,
    amount: Decimal,
    currency: str,
    when: datetime,
    used: list[str],
    approval: str | None = None,
    sys_id: str | None = None,
) -> str:
    sys_id = sys_id or f"DEC-{DEC_COUNTER.next()}"
    d: dict[str, Any] = {
        "sys_id": sys_id,
        "case_number": case,
        "action": action,
        "outcome": outcome,
        "decided_by": by,
        "decided_by_kind": kind,
        "rule": rule,
    }
    if approval:
        d["approval"] = approval
    d.update({"amount": money(amount), "currency": currency, "decided_at": ts_cet(when), "used_records": used})
    DECISIONS.append(d)
    return sys_id


def add_refund(
    order: Order, amount: Decimal, when: datetime, status: str = "processed", refund_id: str | None = None
) -> str:
    refund_id = refund_id or f"RF-{order.digits}"
    REFUNDS.append(
        {
            "refund_id": refund_id,
            "order_number": order.number,
            "account_no": order.invoice.account_no if order.invoice else order.person.paying_account,
            "amount": money(amount),
            "currency": order.currency,
            "status": status,
            "created_at": ts_z(when),
        }
    )
    return refund_id


def wfi_step_last(workflow: str) -> str:
    return WORKFLOW_STEPS[workflow][-1]


def scenario_service(P: dict[int, Person]) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    # ---- (a) Ann Rees: chat, case, delivery-issue workflow, supervisor approval, decision, refund
    a = P[1]
    add_interaction(
        a,
        "chat",
        utc("2026-11-12T10:14:00"),
        16,
        "Where is my order WEB-104211? Jacket late, tent not shipped",
        "EMP-1002",
        order="WEB-104211",
        case="CS0010421",
        iid="INT-1042111",
    )
    add_case(
        "CS0010421",
        a,
        "delivery_delay",
        "P2",
        "medium",
        "open",
        utc("2026-11-12T10:31:00"),
        "delivery-care",
        order="WEB-104211",
    )
    add_task(
        "CS0010421",
        "delivery-care",
        "closed",
        "Contact Swift Parcel about delayed shipment SHP-104211",
        utc("2026-11-13T17:00:00"),
        number="TSK0010421",
    )
    add_task(
        "CS0010421",
        "delivery-care",
        "closed",
        "Check WMS stock for BW-10007 (backordered on FUL-104212)",
        utc("2026-11-13T17:00:00"),
        number="TSK0010422",
    )
    add_task(
        "CS0010421",
        "delivery-care",
        "open",
        "Confirm refund RF-104211 reached the customer; chase jacket delivery",
        utc("2026-11-21T17:00:00"),
        number="TSK0010423",
    )
    add_wfi(
        "CS0010421",
        "delivery-issue",
        "delivery-issue-execute-remedy",
        "running",
        "delivery-care",
        utc("2026-11-12T10:32:00"),
        sys_id="WFI-10421",
    )
    add_interaction(
        a,
        "phone",
        utc("2026-11-18T13:55:00"),
        9,
        "Asks for refund of backordered tent on WEB-104211",
        "EMP-1002",
        order="WEB-104211",
        case="CS0010421",
        iid="INT-1042112",
    )
    order = ORDER_BY_NO["WEB-104211"]
    tent = order.lines[1]
    add_approval("CS0010421", "refund", "EMP-1001", tent.amount, "GBP", utc("2026-11-18T14:20:00"), sys_id="APR-10421")
    add_decision(
        "CS0010421",
        "refund",
        "Refund 189.00 GBP for the backordered Ridgeway 3-Season Tent (line WEB-104211-2); replacement not "
        "possible: BW-10007 available 0 at DC-LEEDS until 2026-12-15. Jacket shipment SHP-104211 continues.",
        "EMP-1002",
        "employee",
        "dr-refund-approval",
        tent.amount,
        "GBP",
        utc("2026-11-18T14:35:00"),
        [
            "commerce/order/WEB-104211",
            "commerce/order-line/WEB-104211-2",
            "wms/fulfilment/FUL-104212",
            "wms/inventory/BW-10007-DC-LEEDS",
            "logistics/shipment/SHP-104211",
            "case-management/approval/APR-10421",
        ],
        approval="APR-10421",
        sys_id="DEC-10421",
    )
    add_refund(order, tent.amount, utc("2026-11-19T09:00:00"), refund_id="RF-104211")
    ids["a"] = {"order": "WEB-104211"}
    # ---- (b) Daniel Byrne: billing dispute waiting for finance lead approval
    b = P[2]
    add_interaction(
        b,
        "phone",
        utc("2026-11-14T09:40:00"),
        22,
        "Disputes invoice INV-1088120: tent returned, still charged; two payments failed",
        "EMP-1102",
        order="APP-108812",
        case="CS0018812",
        iid="INT-1088121",
    )
    add_case(
        "CS0018812",
        b,
        "billing_dispute",
        "P2",
        "medium",
        "open",
        utc("2026-11-14T10:05:00"),
        "billing-care",
        order="APP-108812",
        invoice="INV-1088120",
        by_account=True,
    )
    inv = ORDER_BY_NO["APP-108812"].invoice
    add_task(
        "CS0018812",
        "billing-care",
        "closed",
        "Verify billing account BA-500102 holder",
        utc("2026-11-15T17:00:00"),
        number="TSK0018812",
    )
    add_task(
        "CS0018812",
        "billing-care",
        "closed",
        "Review failed payments PAY-1088121 and PAY-1088122",
        utc("2026-11-16T17:00:00"),
        number="TSK0018813",
    )
    add_task(
        "CS0018812",
        "finance-ops",
        "open",
        f"Finance lead approval needed: adjustment of {money(inv.amount)} EUR on INV-1088120 (above 250)",
        utc("2026-11-21T17:00:00"),
        number="TSK0018814",
    )
    add_wfi(
        "CS0018812",
        "billing-dispute",
        "billing-dispute-approve-adjustment",
        "waiting",
        "billing-care",
        utc("2026-11-14T10:06:00"),
        sys_id="WFI-18812",
    )
    # ---- (c) Jonas Keller asks about loyalty points (contract holder), no case
    add_interaction(
        P[3],
        "phone",
        utc("2026-10-05T15:02:00"),
        7,
        "Loyalty points for gold tier after household orders",
        "EMP-1303",
        iid="INT-1055501",
    )
    # ---- (d) two of the six customers contact the business after the delay, four do not
    add_interaction(
        P[8],
        "email",
        utc("2026-10-02T13:20:00"),
        12,
        "Return request: trail shoes too small",
        "EMP-1003",
        order="WEB-130003",
        iid="INT-1300031",
    )
    add_interaction(
        P[6],
        "chat",
        utc("2026-11-17T09:12:00"),
        11,
        "Parcel for WEB-130101 shows delayed, new date?",
        "EMP-1004",
        order="WEB-130101",
        iid="INT-1301011",
    )
    add_interaction(
        P[9],
        "phone",
        utc("2026-11-18T16:40:00"),
        8,
        "Delivery of APP-130104 delayed at NorthStar hub",
        "EMP-1005",
        order="APP-130104",
        iid="INT-1301041",
    )
    # ---- (e) two targets with an open severe case
    add_interaction(
        P[12],
        "chat",
        utc("2026-11-16T11:20:00"),
        18,
        "Winter boots sole separated after a week",
        "EMP-1302",
        order="APP-120011",
        case="CS0012001",
        iid="INT-1200111",
    )
    add_case(
        "CS0012001",
        P[12],
        "product_fault",
        "P2",
        "high",
        "open",
        utc("2026-11-16T11:45:00"),
        "tier2-escalations",
        order="APP-120011",
    )
    add_task(
        "CS0012001", "tier2-escalations", "open", "Assess photos of the sole separation", utc("2026-11-20T17:00:00")
    )
    add_wfi(
        "CS0012001",
        "product-replacement",
        "product-replacement-triage",
        "running",
        "tier2-escalations",
        utc("2026-11-16T11:46:00"),
        sys_id="WFI-12001",
    )
    add_interaction(
        P[13],
        "phone",
        utc("2026-11-18T08:05:00"),
        31,
        "Formal complaint: harness buckle slipped during a climb (safety)",
        "EMP-1303",
        order="WEB-120012",
        case="CS0012002",
        iid="INT-1200121",
    )
    add_case(
        "CS0012002",
        P[13],
        "complaint",
        "P1",
        "critical",
        "open",
        utc("2026-11-18T08:40:00"),
        "tier2-escalations",
        order="WEB-120012",
    )
    add_task(
        "CS0012002",
        "tier2-escalations",
        "open",
        "Quarantine harness batch and call the customer back",
        utc("2026-11-18T16:40:00"),
    )
    add_task(
        "CS0012002", "tier2-escalations", "pending", "Supplier safety report for BW-10034", utc("2026-11-25T17:00:00")
    )
    # ---- (f) refunds approved over chat, logged in the approvals sheet only
    g = P[16]
    add_interaction(
        g,
        "chat",
        utc("2026-10-27T12:02:00"),
        14,
        "Softshell for a trip arrived late on WEB-122100? still not here",
        "EMP-1003",
        order="WEB-122100",
        case="CS0012210",
        iid="INT-1221001",
    )
    add_case(
        "CS0012210",
        g,
        "delivery_delay",
        "P3",
        "medium",
        "closed",
        utc("2026-10-27T12:20:00"),
        "delivery-care",
        closed=utc("2026-11-02T10:00:00"),
        order="WEB-122100",
    )
    add_task(
        "CS0012210", "delivery-care", "closed", "Contact Swift Parcel about SHP-122100", utc("2026-10-28T17:00:00")
    )
    add_wfi(
        "CS0012210",
        "delivery-issue",
        "delivery-issue-execute-remedy",
        "completed",
        "delivery-care",
        utc("2026-10-27T12:21:00"),
        sys_id="WFI-12210",
    )
    o = ORDER_BY_NO["WEB-122100"]
    add_decision(
        "CS0012210",
        "refund",
        "Refund 119.00 GBP for the softshell jacket delivered after the customer's trip; approved by the "
        "supervisor over chat (approvals sheet R0002), no approval recorded in case management.",
        "EMP-1003",
        "employee",
        "dr-refund-approval",
        o.lines[0].amount,
        "GBP",
        utc("2026-10-30T11:20:00"),
        ["commerce/order/WEB-122100", "logistics/shipment/SHP-122100", "approvals-sheet/approval/R0002"],
        sys_id="DEC-12210",
    )
    add_refund(o, o.lines[0].amount, utc("2026-10-30T15:00:00"))
    s = P[17]
    add_interaction(
        s,
        "chat",
        utc("2026-10-29T19:31:00"),
        12,
        "Jacket on WEB-122110 four days late",
        "EMP-1005",
        order="WEB-122110",
        case="CS0012211",
        iid="INT-1221101",
    )
    add_case(
        "CS0012211",
        s,
        "delivery_delay",
        "P3",
        "medium",
        "closed",
        utc("2026-10-29T19:45:00"),
        "delivery-care",
        closed=utc("2026-11-04T09:30:00"),
        order="WEB-122110",
    )
    add_task("CS0012211", "delivery-care", "closed", "Chase Celtic Courier for SHP-122110", utc("2026-10-30T17:00:00"))
    add_wfi(
        "CS0012211",
        "delivery-issue",
        "delivery-issue-execute-remedy",
        "completed",
        "delivery-care",
        utc("2026-10-29T19:46:00"),
        sys_id="WFI-12211",
    )
    o = ORDER_BY_NO["WEB-122110"]
    add_refund(o, o.lines[0].amount, utc("2026-11-03T10:00:00"))
    # ---- (g) open cases sitting at WMS-dependent steps
    add_interaction(
        P[18],
        "email",
        utc("2026-11-19T08:10:00"),
        6,
        "Order WEB-131001 not dispatched after a week",
        "EMP-1004",
        order="WEB-131001",
        case="CS0013001",
        iid="INT-1310011",
    )
    add_case(
        "CS0013001",
        P[18],
        "delivery_delay",
        "P3",
        "medium",
        "open",
        utc("2026-11-19T08:30:00"),
        "delivery-care",
        order="WEB-131001",
    )
    add_task(
        "CS0013001",
        "delivery-care",
        "open",
        "Check why FUL for WEB-131001 is still allocated in the WMS",
        utc("2026-11-20T17:00:00"),
    )
    add_wfi(
        "CS0013001",
        "delivery-issue",
        "delivery-issue-check-stock",
        "running",
        "delivery-care",
        utc("2026-11-19T08:31:00"),
        sys_id="WFI-13001",
    )
    add_interaction(
        P[19],
        "phone",
        utc("2026-11-17T14:00:00"),
        10,
        "Camp stove from APP-131002 will not ignite",
        "EMP-1302",
        order="APP-131002",
        case="CS0013002",
        iid="INT-1310021",
    )
    add_case(
        "CS0013002",
        P[19],
        "product_fault",
        "P3",
        "medium",
        "open",
        utc("2026-11-17T14:15:00"),
        "tier2-escalations",
        order="APP-131002",
    )
    add_task(
        "CS0013002", "warehouse-ops", "open", "Pick replacement BW-10030 at DC-ROTTERDAM", utc("2026-11-20T15:00:00")
    )
    add_decision(
        "CS0013002",
        "replacement",
        "Replace the faulty Compact Camp Stove from DC-ROTTERDAM stock.",
        "EMP-1302",
        "employee",
        "pf-replacement",
        unit_price("BW-10030", "EUR"),
        "EUR",
        utc("2026-11-18T09:30:00"),
        ["commerce/order/APP-131002", "wms/inventory/BW-10030-DC-ROTTERDAM"],
        sys_id="DEC-13002",
    )
    add_wfi(
        "CS0013002",
        "product-replacement",
        "product-replacement-pick",
        "running",
        "tier2-escalations",
        utc("2026-11-17T14:16:00"),
        sys_id="WFI-13002",
    )
    add_interaction(
        P[20],
        "chat",
        utc("2026-11-10T17:45:00"),
        15,
        "Boots from WEB-131003 leak at the seam",
        "EMP-1303",
        order="WEB-131003",
        case="CS0013003",
        iid="INT-1310031",
    )
    add_case(
        "CS0013003",
        P[20],
        "product_fault",
        "P3",
        "medium",
        "pending",
        utc("2026-11-10T18:00:00"),
        "tier2-escalations",
        order="WEB-131003",
    )
    add_task(
        "CS0013003", "warehouse-ops", "pending", "Reship replacement BW-10025 via EuroLink", utc("2026-11-19T17:00:00")
    )
    add_decision(
        "CS0013003",
        "replacement",
        "Replace the leaking Hiking Boots Mid GTX; reship from DC-ROTTERDAM.",
        "EMP-1303",
        "employee",
        "pf-replacement",
        unit_price("BW-10025", "EUR"),
        "EUR",
        utc("2026-11-12T10:00:00"),
        ["commerce/order/WEB-131003", "wms/inventory/BW-10025-DC-ROTTERDAM"],
        sys_id="DEC-13003",
    )
    add_wfi(
        "CS0013003",
        "product-replacement",
        "product-replacement-reship",
        "waiting",
        "tier2-escalations",
        utc("2026-11-10T18:01:00"),
        sys_id="WFI-13003",
    )
    return ids


def filler_service(people: list[Person]) -> None:
    filler = [p for p in people if not p.key]
    with_profile = [p for p in filler if p.profile]
    used: list[int] = []

    def orders_of(p: Person, pred) -> list[Order]:
        return [o for o in ORDERS if o.person is p and pred(o)]

    def pick(cands: list[Person], pred) -> tuple[Person, Any]:
        pool = [c for c in cands if c.idx not in used]
        rng.shuffle(pool)
        for c in pool:
            got = pred(c)
            if got:
                used.append(c.idx)
                return c, got
        raise RuntimeError("no candidate")

    def old_delivered(
        p: Person, before: datetime, after: datetime = FILLER_START, min_first_line: Decimal = Decimal("0")
    ):
        os_ = orders_of(
            p,
            lambda o: (
                o.shipment
                and o.shipment.status == "delivered"
                and after < o.placed < before
                and o.lines[0].amount > min_first_line
            ),
        )
        return os_[0] if os_ else None

    # closed delivery delays on old late deliveries
    for i in range(6):
        p, o = pick(
            with_profile,
            lambda c, big=(i == 0): old_delivered(
                c, utc("2026-09-15T00:00"), min_first_line=Decimal("100") if big else Decimal("0")
            ),
        )
        make_late(o, rng.randint(2, 4))
        opened = datetime.combine(
            o.shipment.promised + timedelta(days=1), time(rng.randint(8, 16), rng.randint(0, 59)), UTC
        )
        closed = opened + timedelta(days=rng.randint(2, 6), hours=rng.randint(1, 6))
        num = f"CS00{CASE_COUNTER.next()}"
        agent = rng.choice(DELIVERY_AGENTS)
        add_interaction(
            p,
            rng.choice(["chat", "phone"]),
            opened - timedelta(minutes=14),
            rng.randint(5, 20),
            f"Order {o.number} not delivered on the promised date",
            agent,
            order=o.number,
            case=num,
        )
        add_case(
            num,
            p,
            "delivery_delay",
            rng.choice(["P3", "P3", "P4"]),
            rng.choice(["low", "medium"]),
            "closed",
            opened,
            "delivery-care",
            closed=closed,
            order=o.number,
        )
        add_task(
            num,
            "delivery-care",
            "closed",
            f"Contact carrier about {o.shipment.shipment_id}",
            opened + timedelta(days=1),
        )
        add_wfi(
            num,
            "delivery-issue",
            wfi_step_last("delivery-issue"),
            "completed",
            "delivery-care",
            opened + timedelta(minutes=1),
        )
        if i == 0:  # a refund above 100 with a proper approval in case management
            line = o.lines[0]
            apr = add_approval(num, "refund", "EMP-1006", line.amount, o.currency, opened + timedelta(days=1, hours=2))
            add_decision(
                num,
                "refund",
                f"Refund {money(line.amount)} {o.currency} for the late {PRODUCT[line.sku][1]}.",
                agent,
                "employee",
                "dr-refund-approval",
                line.amount,
                o.currency,
                opened + timedelta(days=1, hours=3),
                [
                    f"commerce/order/{o.number}",
                    f"logistics/shipment/{o.shipment.shipment_id}",
                    f"case-management/approval/{apr}",
                ],
                approval=apr,
            )
            add_refund(o, line.amount, opened + timedelta(days=2))
        elif i in (1, 2):
            amt = Decimal("10.00") if o.currency == "GBP" else Decimal("12.00")
            add_decision(
                num,
                "goodwill_credit",
                f"Automatic goodwill credit of {money(amt)} {o.currency} for a late delivery.",
                "case-management",
                "system",
                "dr-goodwill",
                amt,
                o.currency,
                opened + timedelta(hours=1),
                [f"logistics/shipment/{o.shipment.shipment_id}"],
            )
    # closed product faults
    for i in range(5):
        p, o = pick(
            with_profile,
            lambda c, big=(i == 3): old_delivered(
                c, utc("2026-10-01T00:00"), min_first_line=Decimal("100") if big else Decimal("0")
            ),
        )
        opened = daytime(o.shipment.delivered + timedelta(days=rng.randint(5, 25), hours=rng.randint(0, 5)))
        closed = opened + timedelta(days=rng.randint(3, 10))
        num = f"CS00{CASE_COUNTER.next()}"
        line = o.lines[0]
        agent = rng.choice(TIER2_AGENTS)
        add_interaction(
            p,
            rng.choice(["chat", "email", "phone"]),
            opened - timedelta(minutes=20),
            rng.randint(6, 25),
            f"Fault with {PRODUCT[line.sku][1]}",
            agent,
            order=o.number,
            case=num,
        )
        add_case(
            num,
            p,
            "product_fault",
            "P3",
            rng.choice(["low", "medium", "high"]),
            "closed",
            opened,
            "tier2-escalations",
            closed=closed,
            order=o.number,
        )
        add_task(num, "warehouse-ops", "closed", f"Reship replacement {line.sku}", opened + timedelta(days=2))
        add_wfi(
            num,
            "product-replacement",
            wfi_step_last("product-replacement"),
            "completed",
            "tier2-escalations",
            opened + timedelta(minutes=1),
        )
        if i < 3:
            add_decision(
                num,
                "replacement",
                f"Replace the faulty {PRODUCT[line.sku][1]} from stock.",
                agent,
                "employee",
                "pf-replacement",
                line.amount,
                o.currency,
                opened + timedelta(hours=5),
                [f"commerce/order/{o.number}", f"wms/inventory/{line.sku}-{dc_of(p.country)}"],
            )
        elif i == 3:  # customer declined a replacement: refund above 100 approved by the tier 2 supervisor
            apr = add_approval(num, "refund", "EMP-1301", line.amount, o.currency, opened + timedelta(days=1))
            add_decision(
                num,
                "refund",
                f"Refund {money(line.amount)} {o.currency}: customer declined a replacement {PRODUCT[line.sku][1]}.",
                agent,
                "employee",
                "pf-refund",
                line.amount,
                o.currency,
                opened + timedelta(days=1, hours=1),
                [
                    f"commerce/order/{o.number}",
                    f"commerce/order-line/{line.line_id}",
                    f"case-management/approval/{apr}",
                ],
                approval=apr,
            )
            add_refund(o, line.amount, opened + timedelta(days=2))
    # closed billing disputes
    billing_people = [p for p in filler if p.billing and p.profile]
    for i in range(4):

        def has_invoice(c: Person, big: bool = i == 0):
            invs = [
                o
                for o in ORDERS
                if o.person is c
                and o.invoice
                and o.invoice.status == "paid"
                and o.placed < utc("2026-10-01T00:00")
                and (o.total > 250 if big else o.total <= 250)
            ]
            return invs[0] if invs else None

        p, o = pick(billing_people, has_invoice)
        opened = datetime.combine(o.invoice.issued + timedelta(days=rng.randint(3, 20)), time(10, 15), UTC)
        closed = opened + timedelta(days=rng.randint(4, 12))
        num = f"CS00{CASE_COUNTER.next()}"
        agent = rng.choice(BILLING_AGENTS)
        add_interaction(
            p,
            "phone",
            opened - timedelta(minutes=10),
            rng.randint(8, 25),
            f"Query about invoice {o.invoice.invoice_no}",
            agent,
            order=o.number,
            case=num,
        )
        add_case(
            num,
            p,
            "billing_dispute",
            "P3",
            "medium",
            "closed",
            opened,
            "billing-care",
            closed=closed,
            order=o.number,
            invoice=o.invoice.invoice_no,
            by_account=True,
        )
        add_task(
            num, "billing-care", "closed", f"Review payments on {o.invoice.invoice_no}", opened + timedelta(days=2)
        )
        add_wfi(
            num,
            "billing-dispute",
            wfi_step_last("billing-dispute"),
            "completed",
            "billing-care",
            opened + timedelta(minutes=1),
        )
        if i == 0:
            amt = o.total
            apr = add_approval(num, "goodwill_credit", "EMP-1201", amt, o.currency, opened + timedelta(days=2))
            add_decision(
                num,
                "goodwill_credit",
                f"Credit note of {money(amt)} {o.currency} on {o.invoice.invoice_no}.",
                agent,
                "employee",
                "bd-adjustment-approval",
                amt,
                o.currency,
                opened + timedelta(days=2, hours=1),
                [
                    f"billing/invoice/{o.invoice.invoice_no}",
                    f"billing/account/{o.invoice.account_no}",
                    f"case-management/approval/{apr}",
                ],
                approval=apr,
            )
        elif i == 1:
            amt = (o.total * Decimal("0.2")).quantize(Decimal("0.01"))
            add_decision(
                num,
                "goodwill_credit",
                f"Partial credit of {money(amt)} {o.currency} on {o.invoice.invoice_no}.",
                agent,
                "employee",
                "bd-adjustment",
                amt,
                o.currency,
                opened + timedelta(days=1),
                [f"billing/invoice/{o.invoice.invoice_no}"],
            )
    # closed account cases
    for i in range(4):
        p, _ = pick([c for c in with_profile if c.commerce], lambda c: True)
        opened = daytime(rand_dt(utc("2025-09-01T00:00"), utc("2026-10-15T00:00")))
        num = f"CS00{CASE_COUNTER.next()}"
        agent = rng.choice(TIER2_AGENTS)
        add_interaction(
            p,
            rng.choice(["chat", "phone"]),
            opened - timedelta(minutes=8),
            rng.randint(5, 15),
            "Cannot log in to the web shop account",
            agent,
            case=num,
        )
        add_case(
            num,
            p,
            "account",
            "P4",
            "low",
            "closed",
            opened,
            "tier2-escalations",
            closed=opened + timedelta(days=1, hours=rng.randint(0, 8)),
        )
        add_task(
            num, "tier2-escalations", "closed", "Reset web shop login after identity check", opened + timedelta(days=1)
        )
        if i == 3:  # the customer got back in by themselves
            add_wfi(
                num,
                "account-recovery",
                "account-recovery-verify-identity",
                "cancelled",
                "tier2-escalations",
                opened + timedelta(minutes=1),
            )
        else:
            add_wfi(
                num,
                "account-recovery",
                wfi_step_last("account-recovery"),
                "completed",
                "tier2-escalations",
                opened + timedelta(minutes=1),
            )
    # closed complaints
    for _ in range(3):
        p, o = pick(with_profile, lambda c: old_delivered(c, utc("2026-10-15T00:00")))
        opened = daytime(o.placed + timedelta(days=rng.randint(3, 12), hours=2))
        num = f"CS00{CASE_COUNTER.next()}"
        agent = rng.choice(TIER2_AGENTS)
        add_interaction(
            p,
            rng.choice(["email", "phone"]),
            opened - timedelta(minutes=30),
            rng.randint(10, 30),
            rng.choice(
                ["Complaint about packaging waste", "Complaint about store staff", "Complaint about delivery driver"]
            ),
            agent,
            order=o.number,
            case=num,
        )
        add_case(
            num,
            p,
            "complaint",
            "P3",
            rng.choice(["low", "medium", "high"]),
            "closed",
            opened,
            "tier2-escalations",
            closed=opened + timedelta(days=rng.randint(2, 9)),
            order=o.number,
        )
        add_task(num, "tier2-escalations", "closed", "Reply to complaint", opened + timedelta(days=2))
    # a few open, non-severe cases at steps that do not depend on the WMS
    open_specs = [
        ("account", "P4", "low", "account-recovery-verify-identity", "running"),
        ("account", "P3", "low", "account-recovery-reset-access", "waiting"),
        ("billing_dispute", "P3", "medium", "billing-dispute-review-payments", "running"),
        ("complaint", "P4", "low", None, None),
        ("product_fault", "P3", "medium", "product-replacement-triage", "running"),
    ]
    for cat, prio, sev, step, wstate in open_specs:
        opened = daytime(rand_dt(utc("2026-11-13T08:00"), utc("2026-11-20T10:00")))
        num = f"CS00{CASE_COUNTER.next()}"
        if cat == "billing_dispute":

            def recent_invoice(c: Person):
                invs = [
                    o
                    for o in ORDERS
                    if o.person is c
                    and o.invoice
                    and o.invoice.status == "paid"
                    and utc("2026-09-01T00:00") < o.placed < utc("2026-11-01T00:00")
                    and o.total <= 250
                ]
                return invs[0] if invs else None

            p, o = pick(billing_people, recent_invoice)
            o.invoice.status = "disputed"
            add_interaction(
                p,
                "phone",
                opened - timedelta(minutes=12),
                14,
                f"Charged twice for {o.number}?",
                rng.choice(BILLING_AGENTS),
                order=o.number,
                case=num,
            )
            add_case(
                num,
                p,
                cat,
                prio,
                sev,
                "open",
                opened,
                "billing-care",
                order=o.number,
                invoice=o.invoice.invoice_no,
                by_account=True,
            )
            team = "billing-care"
        elif cat == "account":
            p, _ = pick([c for c in with_profile if c.commerce], lambda c: True)
            add_interaction(
                p,
                "chat",
                opened - timedelta(minutes=9),
                7,
                "Password reset e-mail never arrives",
                rng.choice(TIER2_AGENTS),
                case=num,
            )
            add_case(num, p, cat, prio, sev, "open", opened, "tier2-escalations")
            team = "tier2-escalations"
        else:
            p, o = pick(with_profile, lambda c: old_delivered(c, utc("2026-11-10T00:00"), utc("2026-09-01T00:00")))
            add_interaction(
                p,
                "email",
                opened - timedelta(minutes=40),
                5,
                "Zip on the pack broke" if cat == "product_fault" else "Unhappy with returns process",
                rng.choice(TIER2_AGENTS),
                order=o.number,
                case=num,
            )
            add_case(
                num,
                p,
                cat,
                prio,
                sev,
                "new" if cat == "complaint" else "open",
                opened,
                "tier2-escalations",
                order=o.number,
            )
            team = "tier2-escalations"
        add_task(num, team, "open", f"Work the {cat.replace('_', ' ')} case", opened + timedelta(days=2))
        if step:
            wf = step.split("-")[0] + "-" + step.split("-")[1]
            add_wfi(num, wf, step, wstate, team, opened + timedelta(minutes=1))
    # returns refunded (no case)
    returns = [
        o
        for o in ORDERS
        if not o.person.key
        and o.shipment
        and o.shipment.status == "delivered"
        and o.invoice
        and o.invoice.status == "paid"
        and o.placed < utc("2026-10-20T00:00")
        and not any(r["order_number"] == o.number for r in REFUNDS)
    ]
    rng.shuffle(returns)
    for o in returns[:7]:
        line = o.lines[-1]
        add_refund(o, line.amount, o.shipment.delivered + timedelta(days=rng.randint(6, 20)))
    # general, unlinked interactions
    topics = [
        ("Order status question", True),
        ("Returns: how to send back an item", True),
        ("Product advice: tent sizing", False),
        ("Store stock question", False),
        ("Change of delivery address", True),
        ("Loyalty points balance", False),
        ("Size exchange for boots", True),
        ("Invoice copy requested", True),
    ]
    profiled = [p for p in people if p.profile and not p.key]
    for p in profiled:
        for _ in range(rng.choice([0, 1, 1, 2])):
            topic, order_related = rng.choice(topics)
            orders = [o for o in ORDERS if o.person is p and o.placed < NOW - timedelta(days=1)]
            if order_related and orders:
                o = rng.choice(orders)
                start = daytime(o.placed + timedelta(days=rng.randint(1, 12), hours=rng.randint(1, 6)))
                start = min(start, NOW - timedelta(hours=3))
                onum = o.number
            else:
                start = daytime(rand_dt(utc("2025-07-01T00:00"), NOW - timedelta(hours=3)))
                onum = ""
            add_interaction(
                p,
                rng.choice(["chat", "phone", "email"]),
                start,
                rng.randint(3, 18),
                topic,
                rng.choice(DELIVERY_AGENTS + TIER2_AGENTS),
                order=onum,
            )


# ------------------------------------------------------------------------------------------------
# inventory and the stock sheet
# ------------------------------------------------------------------------------------------------
WMS_OVERRIDES = {
    ("BW-10007", "DC-LEEDS"): (0, 0, "2026-12-15"),
    ("BW-10007", "DC-ROTTERDAM"): (0, 0, "2026-12-08"),
    ("BW-10007", "STORE-LONDON"): (0, 0, ""),
    ("BW-10007", "STORE-MANCHESTER"): (0, 0, ""),
    ("BW-10007", "STORE-DUBLIN"): (0, 0, ""),
    ("BW-10021", "DC-LEEDS"): (38, 35, ""),
    ("BW-10021", "STORE-DUBLIN"): (4, 4, ""),
    ("BW-10027", "STORE-LONDON"): (1, 1, "2026-11-27"),
    ("BW-10009", "DC-ROTTERDAM"): (22, 21, ""),
    ("BW-10030", "DC-ROTTERDAM"): (41, 40, ""),
    ("BW-10025", "DC-ROTTERDAM"): (17, 16, ""),
}
# the store team's sheet: rows that DISAGREE with the WMS (the rest copy the WMS value)
STOCK_SHEET_DISAGREE = {
    ("BW-10007", "DC-LEEDS"): 3,
    ("BW-10007", "STORE-MANCHESTER"): 2,
    ("BW-10027", "STORE-LONDON"): 6,
    ("BW-10021", "STORE-DUBLIN"): 0,
}
STOCK_SHEET_KEYS = [
    (sku, loc)
    for loc in ["STORE-LONDON", "STORE-MANCHESTER", "STORE-DUBLIN"]
    for sku in ["BW-10007", "BW-10021", "BW-10022", "BW-10025", "BW-10027", "BW-10039"]
] + [("BW-10007", "DC-LEEDS"), ("BW-10021", "DC-LEEDS"), ("BW-10027", "DC-LEEDS")]


def inventory_rows() -> list[dict[str, str]]:
    rows = []
    for sku, _, _, _ in PRODUCTS:
        for loc in LOCATIONS:
            if (sku, loc) in WMS_OVERRIDES:
                on_hand, avail, nxt = WMS_OVERRIDES[(sku, loc)]
            else:
                on_hand = rng.randint(8, 140) if loc.startswith("DC") else rng.randint(0, 14)
                avail = max(0, on_hand - rng.randint(0, min(6, on_hand)))
                nxt = (TODAY + timedelta(days=rng.randint(5, 30))).isoformat() if avail < 3 else ""
            updated = rand_dt(utc("2026-11-19T22:00"), utc("2026-11-20T08:30"))
            rows.append(
                {
                    "sku": sku,
                    "location": loc,
                    "on_hand": str(on_hand),
                    "available": str(avail),
                    "next_receipt_date": nxt,
                    "updated_at": ts_z(updated),
                }
            )
    return rows


def stock_sheet_rows(inventory: list[dict[str, str]]) -> list[dict[str, str]]:
    wms = {(r["sku"], r["location"]): r for r in inventory}
    rows = []
    for sku, loc in STOCK_SHEET_KEYS:
        avail = STOCK_SHEET_DISAGREE.get((sku, loc), int(wms[(sku, loc)]["available"]))
        rows.append(
            {"sku": sku, "location": loc, "available": str(avail), "updated_at": ts_london(utc("2026-11-16T08:30:00"))}
        )
    return rows


# ------------------------------------------------------------------------------------------------
# marketing, signals, observations, approvals sheet
# ------------------------------------------------------------------------------------------------
def marketing(people: list[Person]) -> tuple[list, list, list, dict[str, Any]]:
    campaigns = [
        {"campaign_id": "CMP-100", "name": "Autumn Trail Days", "starts_on": "2026-10-01", "ends_on": "2026-10-14"},
        {"campaign_id": "CMP-101", "name": "Winter Gear Sale", "starts_on": "2026-11-24", "ends_on": "2026-12-14"},
    ]
    offers = [
        {
            "offer_id": "OFF-100",
            "campaign_id": "CMP-100",
            "name": "15% off hiking footwear",
            "description": "15% off all hiking boots and trail shoes for loyalty members, 1-14 October.",
        },
        {
            "offer_id": "OFF-101",
            "campaign_id": "CMP-101",
            "name": "Winter Gear Sale: 20% off insulated jackets and boots",
            "description": "20% off insulated jackets, down gilets and winter boots, 24 November to 14 December.",
        },
        {
            "offer_id": "OFF-102",
            "campaign_id": "CMP-101",
            "name": "Free next-day delivery on winter orders",
            "description": "Free next-day delivery on Winter Gear Sale orders over 75 (app only); not yet scheduled.",
        },
    ]
    case_people = [c["_person"].idx for c in CASES]
    failed_recently = [
        o.person.idx
        for o in ORDERS
        if o.invoice
        and any(pm.status == "failed" and pm.attempted > NOW - timedelta(days=90) for pm in o.invoice.payments)
    ]
    late_people = [
        o.person.idx
        for o in ORDERS
        if o.shipment and (o.shipment.status in ("delayed", "exception") or o.shipment.estimated > o.shipment.promised)
    ]
    clean = [
        p
        for p in people
        if not p.key
        and p.crm
        and p.opt_in
        and p.idx not in case_people
        and p.idx not in failed_recently
        and p.idx not in late_people
    ]
    sends: list[dict[str, str]] = []
    n = Counter(100000)
    # CMP-100 (past): sent, or suppressed for contacts without consent
    autumn = rng.sample(clean, 26) + rng.sample([p for p in people if not p.key and p.crm and not p.opt_in], 4)
    autumn.sort(key=lambda p: p.idx)
    for p in autumn:
        sends.append(
            {
                "send_id": f"SND-{n.next()}",
                "offer_id": "OFF-100",
                "crm_contact_id": p.contact_id,
                "channel": "email" if rng.random() < 0.8 else "app",
                "scheduled_at": ts_london(utc("2026-10-01T07:00:00")),
                "status": "sent" if p.opt_in else "suppressed",
            }
        )
    # CMP-101 (upcoming): 25 targets incl. 2 with an open severe case and 2 with a late delivery
    n = Counter(101000)
    severe = [12, 13]
    late = [14, 15]
    others = sorted(rng.sample(clean, 21), key=lambda p: p.idx)
    P = {p.idx: p for p in people}
    targets = [P[i] for i in severe + late] + others
    winter_ids = []
    for p in targets:
        sid = f"SND-{n.next()}"
        winter_ids.append(sid)
        chan = "app" if p.commerce and rng.random() < 0.3 else ("sms" if rng.random() < 0.1 else "email")
        sends.append(
            {
                "send_id": sid,
                "offer_id": "OFF-101",
                "crm_contact_id": p.contact_id,
                "channel": chan,
                "scheduled_at": ts_london(utc("2026-11-24T08:00:00")),
                "status": "scheduled",
            }
        )
    info = {"targets": targets, "severe": [P[i] for i in severe], "late": [P[i] for i in late], "others": others}
    return campaigns, offers, sends, info


def signals() -> list[dict[str, Any]]:
    def sig(sid: str, typ: str, when: str, severity: str, desc: str, by: str, affects: list[tuple[str, str]]):
        return {
            "signal_id": sid,
            "type": typ,
            "detected_at": ts_z(utc(when)),
            "severity": severity,
            "description": desc,
            "raised_by": by,
            "affects": [{"signal_id": sid, "kind": k, "id": i} for k, i in affects],
        }

    return [
        sig(
            "SIG-0001",
            "delivery_delay",
            "2026-11-17T07:30:00",
            "high",
            "NorthStar Logistics: sorting backlog at the Daventry hub; 6 Brightwater parcels delayed 3-4 days.",
            "logistics",
            [("shipment", f"SHP-{d}") for d in ["130101", "130102", "130103", "130104", "130105", "130106"]],
        ),
        sig(
            "SIG-0002",
            "service_anomaly",
            "2026-11-20T08:45:00",
            "high",
            "WMS degraded: stock and pick APIs time out (p95 latency above 30 s) since 08:40 UTC.",
            "monitoring",
            [("system", "wms")],
        ),
        sig(
            "SIG-0003",
            "payment_failure",
            "2026-11-13T06:05:00",
            "medium",
            "Second failed payment on invoice INV-1088120 (billing account BA-500102).",
            "billing",
            [("billing_account", "BA-500102")],
        ),
        sig(
            "SIG-0004",
            "inventory_shortage",
            "2026-11-06T20:06:00",
            "medium",
            "BW-10007 Ridgeway 3-Season Tent out of stock at every location; next receipt 2026-12-08 (Rotterdam), "
            "2026-12-15 (Leeds).",
            "wms",
            [("product", "BW-10007"), ("order", "WEB-104211")],
        ),
    ]


PRACTICES = [
    (
        "OBS-001",
        "informal_approval",
        "delivery-issue-approve-remedy",
        "delivery-care",
        "approvals-sheet",
        "EMP-1201",
        "2026-11-05",
        "weekly",
        "Supervisors approve refunds over chat with the agent and log them in the shared approvals sheet instead of "
        "recording the approval in case management.",
    ),
    (
        "OBS-002",
        "shadow_data_use",
        "delivery-issue-check-stock",
        "store-ops",
        "stock-sheet",
        "EMP-1401",
        "2026-10-22",
        "daily",
        "The store team checks the store stock sheet rather than the WMS before promising a replacement; they trust "
        "the sheet because WMS store counts lag behind shelf reality.",
    ),
    (
        "OBS-003",
        "skipped_step",
        "delivery-issue-contact-carrier",
        "delivery-care",
        "",
        "EMP-1006",
        "2026-11-09",
        "often",
        "When tracking already shows a DL or EX event, agents skip contacting the carrier and go straight to the "
        "remedy.",
    ),
    (
        "OBS-004",
        "workaround",
        "billing-dispute-review-payments",
        "billing-care",
        "",
        "EMP-1101",
        "2026-10-28",
        "weekly",
        "Agents read failure reasons in the payment provider's dashboard because billing only shows the final status.",
    ),
    (
        "OBS-005",
        "shadow_data_use",
        "product-replacement-check-stock",
        "store-ops",
        "stock-sheet",
        "EMP-1401",
        "2026-11-12",
        "weekly",
        "Store staff answer replacement-stock questions from the stock sheet when the WMS is slow.",
    ),
]

APPROVALS_SHEET = [
    (
        "R0001",
        "CS0010421",
        "refund",
        "EMP-1001",
        "189.00",
        "GBP",
        "2026-11-18T14:18:00",
        "Approved on chat with Tom H.; also entered in case management (APR-10421)",
    ),
    (
        "R0002",
        "CS0012210",
        "refund",
        "EMP-1001",
        "119.00",
        "GBP",
        "2026-10-30T11:05:00",
        "Approved on chat, jacket arrived after customer's trip; not entered in case management",
    ),
    (
        "R0003",
        "CS0012211",
        "refund",
        "EMP-1006",
        None,
        "EUR",
        "2026-11-02T16:40:00",
        "OK'd on chat, Celtic Courier late; CM approval form was down",
    ),
]


# ------------------------------------------------------------------------------------------------
# writers
# ------------------------------------------------------------------------------------------------
def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]] | list[tuple]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            if isinstance(r, dict):
                w.writerow(["" if r.get(h) is None else r.get(h) for h in header])
            else:
                w.writerow(["" if v is None else v for v in r])
    return len(rows)


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------------------
# inconsistencies on purpose: one or two records per consistency shape (shapes/consistency.ttl) that
# the story did not exercise yet. Added after every random draw, with fixed values and no rng call, so
# that every other record stays exactly as it was; none touches a scenario person.
# ------------------------------------------------------------------------------------------------
ON_PURPOSE_ORDER_PERSON = 28  # Thomas Owen (GB, London): no case, no offer send, not in any scenario


def on_purpose_inconsistencies(P: dict[int, Person]) -> None:
    # (1) WEB-160001: the web shop shows "delivered" (a carrier-feed update for a mistyped tracking number)
    # while logistics, the system of record for shipments, still has SHP-160001 in transit.
    p = P[ON_PURPOSE_ORDER_PERSON]
    placed = utc("2026-11-18T09:41:12")
    sku = "BW-10019"
    line = Line("WEB-160001-1", sku, 1, unit_price(sku, p.currency), p.currency)
    line.ful_id, line.ful_status, line.ful_updated = "FUL-160001", "shipped", utc("2026-11-19T13:20:00")
    order = Order("WEB-160001", p, "web", placed, "delivered", p.currency, [line])
    shipped = utc("2026-11-19T14:05:00")
    promised = date(2026, 11, 21)
    tracking = "SP1600017340GB"
    order.shipment = Shipment("SHP-160001", order, "swiftparcel", tracking, "in_transit", promised, promised, shipped)
    order.shipment.events = [
        ("PU", "Collected from Brightwater Leeds DC", "GB-LEEDS-DC", shipped),
        ("IT", "Arrived at sorting hub", HUBS["swiftparcel"], utc("2026-11-19T20:30:00")),
    ]
    order.shipment.explicit_events = True
    ORDERS.append(order)
    ORDER_BY_NO[order.number] = order
    invoice = Invoice(
        "INV-1600010", p.paying_account, order.number, placed.date(), placed.date() + timedelta(days=14),
        order.total, order.currency, "paid",
    )
    invoice.payments.append(Payment("PAY-1600011", order.total, "succeeded", "", placed + timedelta(seconds=45)))
    order.invoice = invoice
    INVOICES.append(invoice)
    # (2) CS0030001: a complaint logged from a caller who was not identified: no profile, no billing account.
    CASES.append(
        {
            "number": "CS0030001",
            "category": "complaint",
            "priority": "P3",
            "severity": "low",
            "state": "new",
            "opened_at": ts_cet(utc("2026-11-19T15:40:00")),
            "assignment_group": "tier2-escalations",
            "_person": None,
            "_opened": utc("2026-11-19T15:40:00"),
        }
    )
    # (3) two decisions that cannot be explained: DEC-30001 names no rule, DEC-30002 names no records.
    DECISIONS.append(
        {
            "sys_id": "DEC-30001",
            "case_number": "CS0020004",
            "action": "goodwill_credit",
            "outcome": "Goodwill credit of 15.00 EUR for the late delivery of APP-150262; no policy rule recorded.",
            "decided_by": "EMP-1004",
            "decided_by_kind": "employee",
            "amount": "15.00",
            "currency": "EUR",
            "decided_at": ts_cet(utc("2025-10-09T09:20:00")),
            "used_records": ["commerce/order/APP-150262", "logistics/shipment/SHP-150262"],
        }
    )
    DECISIONS.append(
        {
            "sys_id": "DEC-30002",
            "case_number": "CS0020005",
            "action": "goodwill_credit",
            "outcome": "Automatic goodwill credit of 12.00 GBP for a late delivery; "
            "the records it used were not exported.",
            "decided_by": "case-management",
            "decided_by_kind": "system",
            "rule": "dr-goodwill",
            "amount": "12.00",
            "currency": "GBP",
            "decided_at": ts_cet(utc("2025-12-29T08:05:00")),
        }
    )
    # (4) WFI-30001: a complaint moved into the product-replacement workflow by hand and closed at
    # "Close the case" of the account-recovery workflow (the same step name in another workflow).
    WFIS.append(
        {
            "sys_id": "WFI-30001",
            "workflow": "product-replacement",
            "current_step": "account-recovery-close",
            "case_number": "CS0020020",
            "state": "completed",
            "assignment_group": "tier2-escalations",
            "started_at": ts_cet(utc("2025-06-09T11:05:00")),
        }
    )


# ------------------------------------------------------------------------------------------------
# workflow histories (case-management/workflow_events.json): every transition of every workflow instance,
# the documented step it entered or completed, when and by whom, as case management logs them. Most
# instances follow their workflow's documented order; the departures below are the desire paths of
# competency question 11. Built from records the story already has (cases, interactions, approvals,
# decisions, refunds) after every random draw and with no rng call, so no other file changes.
# ------------------------------------------------------------------------------------------------
# instances whose history leaves out a documented step: agents skip contacting the carrier when tracking
# already shows a delay (OBS-003); WFI-12211's refund was approved over chat only (approvals sheet R0003,
# "CM approval form was down"); WFI-20016 reset a login without the identity check, which nobody observed.
HISTORY_SKIPS = {
    "WFI-12211": ["delivery-issue-approve-remedy"],
    "WFI-20002": ["delivery-issue-contact-carrier"],
    "WFI-20004": ["delivery-issue-contact-carrier"],
    "WFI-20005": ["delivery-issue-contact-carrier"],
    "WFI-20016": ["account-recovery-verify-identity"],
}
# The steps each instance completed, in the order it completed them, with hand-set times (UTC) where the
# story fixes them, and the step it stands at. WFI-12210 reorders: the refund was executed on the
# supervisor's chat approval (approvals sheet R0002), and the approval step was completed in case
# management only when the case was closed, three days after execute-remedy.
HISTORY_PLANS: dict[str, tuple[list[tuple[str, str]], str | None]] = {
    "WFI-10421": ([("triage", "2026-11-12T10:50"), ("check-stock", "2026-11-13T09:30"),
                   ("contact-carrier", "2026-11-13T15:10"), ("decide-remedy", "2026-11-18T14:12"),
                   ("approve-remedy", "2026-11-18T14:20")], "execute-remedy"),
    "WFI-12001": ([], "triage"),
    "WFI-12210": ([("triage", "2026-10-27T12:40"), ("check-stock", "2026-10-27T16:05"),
                   ("contact-carrier", "2026-10-28T11:30"), ("decide-remedy", "2026-10-30T11:20"),
                   ("execute-remedy", "2026-10-30T15:00"), ("approve-remedy", "2026-11-02T09:55")], None),
    "WFI-12211": ([("triage", "2026-10-29T20:00"), ("check-stock", "2026-10-30T09:15"),
                   ("contact-carrier", "2026-10-30T14:00"), ("decide-remedy", "2026-11-02T16:30"),
                   ("execute-remedy", "2026-11-03T10:00")], None),
    "WFI-13001": ([("triage", "2026-11-19T08:45")], "check-stock"),
    "WFI-13002": ([("triage", "2026-11-18T09:30"), ("check-stock", "2026-11-18T11:00")], "pick"),
    "WFI-13003": ([("triage", "2026-11-12T10:00"), ("check-stock", "2026-11-12T14:00"),
                   ("pick", "2026-11-13T11:00")], "reship"),
    "WFI-18812": ([("verify-account", "2026-11-14T15:30"), ("review-payments", "2026-11-16T11:00")],
                  "approve-adjustment"),
    "WFI-20019": ([], "verify-identity"),  # cancelled: the customer got back in by themselves
    "WFI-20020": ([], "verify-identity"),
    "WFI-20021": ([("verify-identity", "2026-11-16T15:00")], "reset-access"),
    "WFI-20022": ([("verify-account", "2026-11-18T16:00")], "review-payments"),
    "WFI-20023": ([], "triage"),
    # moved into product-replacement by hand after triage; the move is not in the history
    "WFI-30001": ([("triage", "2025-06-09T15:05")], None),
}
# who completes a step: the step's team; agents are the case's (its first interaction's agent)
STEP_PERFORMERS = {"delivery-issue-approve-remedy": "EMP-1006", "billing-dispute-approve-adjustment": "EMP-1201",
                   "warehouse-ops": "EMP-1402"}


def _spread(start: datetime, end: datetime, steps: list[str], anchors: dict[str, datetime]) -> list[datetime]:
    """Completion times of `steps` done in this order from `start`: anchored steps at their time, the others
    evenly between their known neighbours, the last one at `end` unless anchored; whole minutes."""
    known = {-1: start, len(steps) - 1: end} | {steps.index(s): t for s, t in anchors.items() if s in steps}
    times = []
    for i in range(len(steps)):
        lo = max(k for k in known if k <= i)
        hi = min(k for k in known if k >= i)
        t = known[lo] if lo == hi else known[lo] + (known[hi] - known[lo]) * (i - lo) / (hi - lo)
        times.append(t.replace(second=0, microsecond=0))
    return times


def workflow_events() -> list[dict[str, str]]:
    step_team = {step_id(w, s[0]): s[2] for w, _, steps in WORKFLOW_SPECS for s in steps}
    cases = {c["number"]: c for c in CASES}
    agent: dict[str, str] = {}
    for i in sorted(INTERACTIONS, key=lambda r: (r["_start"], r["InteractionId"])):
        if i["CaseNumber"]:
            agent.setdefault(i["CaseNumber"], i["AgentId"])
    approvals = {x["case_number"]: x for x in APPROVALS}
    events: list[dict[str, str]] = []
    for wfi in sorted(WFIS, key=lambda r: r["sys_id"]):
        sys_id, workflow, case = wfi["sys_id"], wfi["workflow"], wfi["case_number"]
        start = datetime.fromisoformat(wfi["started_at"]).astimezone(UTC)
        approval = approvals.get(case)

        def performer(step: str, case: str = case, approval: dict[str, Any] | None = approval) -> str:
            if approval and step.endswith(("-approve-remedy", "-approve-adjustment")):
                return str(approval["approver"])  # the approver of the case's approval in case management
            return STEP_PERFORMERS.get(step) or STEP_PERFORMERS.get(step_team[step]) or agent[case]

        if sys_id in HISTORY_PLANS:
            plan, current = HISTORY_PLANS[sys_id]
            done = [(step_id(workflow, s), utc(t)) for s, t in plan]
            at = step_id(workflow, current) if current else None
        else:
            assert wfi["state"] == "completed" and wfi["current_step"] == wfi_step_last(workflow), sys_id
            steps = [s for s in WORKFLOW_STEPS[workflow] if s not in HISTORY_SKIPS.get(sys_id, [])]
            anchors = {s: datetime.fromisoformat(approval["approved_at"]).astimezone(UTC)
                       for s in steps if approval and s.endswith(("-approve-remedy", "-approve-adjustment"))}
            end = datetime.fromisoformat(cases[case]["closed_at"]).astimezone(UTC) - timedelta(minutes=20)
            done, at = list(zip(steps, _spread(start, end, steps, anchors), strict=True)), None
        # WFI-12210: the supervisor who approved over chat (R0002) completed the approval step at closing
        performers = {"delivery-issue-approve-remedy": "EMP-1001"} if sys_id == "WFI-12210" else {}
        transitions: list[tuple[str, str, datetime, str]] = []
        moved_by, since = agent[case], start
        for step, when in done:
            assert since <= when <= NOW, (sys_id, step)
            by = performers.get(step) or performer(step)
            transitions += [(step, "entered", since, moved_by), (step, "completed", when, by)]
            moved_by, since = by, when
        if at:
            transitions.append((at, "entered", since, moved_by))
        for k, (step, transition, when, by) in enumerate(transitions, 1):
            events.append({"sys_id": f"WFE-{sys_id[4:]}{k:02d}", "workflow_instance": sys_id, "step": step,
                           "transition": transition, "occurred_at": ts_cet(when), "user": by})
    return events


PRACTICE_KIND_LABELS = {"workaround": "workaround", "skipped_step": "skipped step", "reordered_step": "reordered step",
                        "informal_approval": "informal approval", "shadow_data_use": "shadow data use"}
# what the shadow spreadsheets hold (their mappings' classes), for the system of record of that kind of record
SHADOW_RECORD_CLASS = {"approvals-sheet": "Approval", "stock-sheet": "InventoryPosition"}


def desire_paths(events: list[dict[str, str]], inventory: list[dict[str, str]],
                 stock: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Competency question 11 computed here, in plain Python, from what the generator wrote: per workflow, step
    and kind of departure, the instances and records that show it and the observation that reports it (what
    queries/desire-paths.rq and desire-paths-evidence.rq answer; tests/test_questions.py compares the two)."""
    position = {step_id(w, s[0]): i for w, _, steps in WORKFLOW_SPECS for i, s in enumerate(steps, 1)}
    workflow_of = {wfi["sys_id"]: wfi["workflow"] for wfi in WFIS}
    found: dict[tuple[str, str, str], dict[str, Any]] = {}

    def departure(workflow: str, step: str, kind: str) -> dict[str, Any]:
        return found.setdefault((workflow, step, kind), {"instances": set(), "evidence": [], "observation": None})

    history: dict[str, list[dict[str, str]]] = {}
    for e in events:
        history.setdefault(e["workflow_instance"], []).append(e)
    for sys_id, evs in sorted(history.items()):
        steps = WORKFLOW_STEPS[workflow_of[sys_id]]
        own = [(datetime.fromisoformat(e["occurred_at"]), e) for e in evs if e["step"] in steps]
        done = {e["step"]: t for t, e in own if e["transition"] == "completed"}
        for step in steps:
            later = sorted((t, e["sys_id"], e) for t, e in own if position[e["step"]] > position[step])
            if step not in done and later:  # skipped: never completed, yet the instance went on past it
                d = departure(workflow_of[sys_id], step, "skipped step")
                d["instances"].add(sys_id)
                d["evidence"].append(later[0][1])
            if step in done and any(position[s] > position[step] and t < done[step] for s, t in done.items()):
                d = departure(workflow_of[sys_id], step, "reordered step")  # completed after a later step
                d["instances"].add(sys_id)
                d["evidence"].append(next(e["sys_id"] for t, e in own
                                          if e["step"] == step and e["transition"] == "completed"))
    authority = {concept: system for _, system, concept, _, _ in AUTHORITY if concept}
    approved_in_cm = {(x["case_number"], x["action"]) for x in APPROVALS}
    wms = {(r["sku"], r["location"]): r["available"] for r in inventory}
    for pid, kind, step, _team, src, by, on, freq, _ in sorted(PRACTICES):
        workflow = next(w for w, steps in WORKFLOW_STEPS.items() if step in steps)
        d = departure(workflow, step, PRACTICE_KIND_LABELS[kind])
        sor = authority[SHADOW_RECORD_CLASS[src]] if src else ""
        d["observation"] = d["observation"] or {"id": pid, "by": by, "on": on, "frequency": freq, "source": src,
                                                "sor": sor}
        if src == "approvals-sheet":  # approvals the system of record does not hold, for this workflow's cases
            for row, case, action, *_ in APPROVALS_SHEET:
                shown = [w["sys_id"] for w in WFIS if w["case_number"] == case and w["workflow"] == workflow]
                if (case, action) not in approved_in_cm and shown:
                    d["instances"].update(shown)
                    d["evidence"].append(row)
        if src == "stock-sheet":  # stock the sheet shows that the system of record does not
            d["evidence"] += [f"{r['sku']}-{r['location']}" for r in stock if r["available"] != wms[(r["sku"],
                                                                                                    r["location"])]]
    of = {w: sum(1 for wfi in WFIS if wfi["workflow"] == w) for w in WORKFLOW_STEPS}
    return [{"workflow": w, "step": s, "departure": k, "of": of[w], **d}
            for (w, s, k), d in sorted(found.items(), key=lambda kv: (kv[0][0], position[kv[0][1]], kv[0][2]))]


def strip_private(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=str(Path(__file__).resolve().parent.parent / "data" / "sample"))
    out = Path(ap.parse_args().out)

    people = build_people()
    P = {p.idx: p for p in people}
    scenario_orders(P)
    filler_orders(people)
    scenario_service(P)
    filler_service(people)
    inventory = inventory_rows()
    campaigns, offers, sends, mk = marketing(people)

    # creation times: before every use of the record
    first_order: dict[int, datetime] = {}
    for o in ORDERS:
        first_order[o.person.idx] = min(first_order.get(o.person.idx, o.placed), o.placed)
    for p in people:
        fo = first_order.get(p.idx, NOW - timedelta(days=rng.randint(30, 400)))
        p.commerce_created = p.commerce_created or fo - timedelta(days=rng.randint(0, 200), minutes=rng.randint(3, 600))
        if p.commerce_created.date() != fo.date():
            p.commerce_created = daytime(p.commerce_created, 7, 23)
        if p.crm_created is None:
            base = fo if not p.commerce else p.commerce_created
            p.crm_created = daytime(base - timedelta(days=rng.randint(1, 300), hours=rng.randint(1, 20)))
        p.billing_created = fo - timedelta(minutes=rng.randint(1, 30))
        fc = FIRST_CONTACT.get(p.idx, NOW - timedelta(days=rng.randint(5, 300)))
        p.profile_created = fc - timedelta(minutes=rng.randint(1, 5), days=rng.choice([0, 0, 30, 120]))
    P[4].billing_created = min(first_order[3], first_order[4]) - timedelta(days=3)
    on_purpose_inconsistencies(P)

    # ---- crm
    households: dict[str, list[Person]] = {}
    for p in people:
        if p.household and p.crm:
            households.setdefault(p.household, []).append(p)
    hh_rows = []
    for hh in sorted(households):
        members = households[hh]
        m0 = members[0]
        surnames = sorted({m.last for m in members})
        hh_rows.append(
            {
                "HouseholdId": hh,
                "HouseholdName": f"{' / '.join(surnames)} household",
                "Street": m0.street,
                "City": m0.city,
                "PostalCode": m0.postcode,
                "Country": m0.country,
                "CreatedDate": ts_z(min(m.crm_created for m in members) + timedelta(minutes=2)),
            }
        )
    contacts = []
    for p in people:
        if not p.crm:
            continue
        contacts.append(
            {
                "ContactId": p.contact_id,
                "FirstName": p.first,
                "LastName": p.last,
                "Email": p.email,
                "Phone": "" if p.no_crm_phone else p.phone(p.phone_styles["crm"]),
                "MailingStreet": p.street,
                "MailingCity": p.city,
                "MailingPostalCode": p.postcode,
                "MailingCountry": p.country,
                "HouseholdId": p.household or "",
                "LoyaltyTier": p.loyalty,
                "EmailOptIn": "true" if p.opt_in else "false",
                "BillingAccountNo": p.crm_billing_account or "",
                "CreatedDate": ts_z(p.crm_created),
            }
        )
    counts: dict[str, str] = {}
    counts["crm/contacts.csv"] = str(write_csv(out / "crm/contacts.csv", list(contacts[0]), contacts))
    counts["crm/households.csv"] = str(write_csv(out / "crm/households.csv", list(hh_rows[0]), hh_rows))

    # ---- commerce
    customers = []
    for p in people:
        if not p.commerce:
            continue
        c: dict[str, Any] = {
            "id": p.cus_id,
            "email": p.commerce_email or p.email,
            "phone": p.phone(p.phone_styles["commerce"]),
            "first_name": p.first,
            "last_name": p.last,
            "created_at": ts_london(p.commerce_created),
            "accepts_marketing": p.opt_in if p.crm else rng.random() < 0.5,
        }
        if p.crm and p.commerce_ref:
            c["crm_contact_id"] = p.contact_id
        if p.commerce_household and p.household:
            c["household_id"] = p.household
        customers.append(c)
    write_json(out / "commerce/customers.json", {"customers": customers})
    counts["commerce/customers.json"] = f"{len(customers)} customers"
    orders_sorted = sorted(ORDERS, key=lambda o: (o.placed, o.number))
    orders_json = []
    for o in orders_sorted:
        rec: dict[str, Any] = {
            "order_number": o.number,
            "customer_id": o.person.cus_id,
            "channel": o.channel,
            "placed_at": ts_london(o.placed),
            "status": o.status,
            "total": money(o.total),
            "currency": o.currency,
        }
        if o.household:
            rec["ship_to_household"] = o.household
        rec["lines"] = [
            {
                "line_id": ln.line_id,
                "order_number": o.number,
                "sku": ln.sku,
                "quantity": ln.qty,
                "amount": money(ln.amount),
                "currency": ln.currency,
            }
            for ln in o.lines
        ]
        orders_json.append(rec)
    write_json(out / "commerce/orders.json", {"orders": orders_json})
    n_lines = sum(len(o.lines) for o in ORDERS)
    counts["commerce/orders.json"] = f"{len(orders_json)} orders, {n_lines} lines"
    counts["commerce/products.csv"] = str(
        write_csv(
            out / "commerce/products.csv",
            ["sku", "name", "category", "list_price", "currency"],
            [(s, n, c, pr, "GBP") for s, n, c, pr in PRODUCTS],
        )
    )

    # ---- contact center
    profiles = []
    for p in people:
        if not p.profile:
            continue
        profiles.append(
            {
                "ProfileId": p.profile_id,
                "DisplayName": p.name,
                "Email": p.profile_email or p.email,
                "Phone": p.phone(p.phone_styles["contact-center"]),
                "CrmContactId": p.contact_id if p.crm and p.profile_ref else "",
                "CreatedAt": ts_utc(p.profile_created),
            }
        )
    counts["contact-center/profiles.csv"] = str(
        write_csv(out / "contact-center/profiles.csv", list(profiles[0]), profiles)
    )
    inter = sorted(INTERACTIONS, key=lambda r: (r["_start"], r["InteractionId"]))
    counts["contact-center/interactions.csv"] = str(
        write_csv(
            out / "contact-center/interactions.csv",
            [
                "InteractionId",
                "ProfileId",
                "Channel",
                "StartedAt",
                "EndedAt",
                "Topic",
                "OrderNumber",
                "CaseNumber",
                "AgentId",
            ],
            inter,
        )
    )

    # ---- case management
    cases = sorted(CASES, key=lambda c: c["number"])
    write_json(out / "case-management/cases.json", {"result": strip_private(cases)})
    counts["case-management/cases.json"] = f"{len(cases)} cases"
    for name, rows, key in [
        ("tasks", TASKS, "number"),
        ("workflow_instances", WFIS, "sys_id"),
        ("approvals", APPROVALS, "sys_id"),
        ("decisions", DECISIONS, "sys_id"),
    ]:
        rows = sorted(rows, key=lambda r: r[key])
        write_json(out / f"case-management/{name}.json", {"result": rows})
        counts[f"case-management/{name}.json"] = f"{len(rows)} {name.replace('_', ' ')}"
    histories = workflow_events()
    write_json(out / "case-management/workflow_events.json", {"result": histories})
    counts["case-management/workflow_events.json"] = f"{len(histories)} workflow events"

    # ---- wms
    counts["wms/inventory.csv"] = str(write_csv(out / "wms/inventory.csv", list(inventory[0]), inventory))
    fuls = []
    for o in orders_sorted:
        for ln in o.lines:
            if ln.ful_id:
                fuls.append(
                    {
                        "fulfilment_id": ln.ful_id,
                        "order_number": o.number,
                        "sku": ln.sku,
                        "status": ln.ful_status,
                        "updated_at": ts_z(ln.ful_updated),
                    }
                )
    fuls.sort(key=lambda r: r["fulfilment_id"])
    counts["wms/fulfilments.csv"] = str(write_csv(out / "wms/fulfilments.csv", list(fuls[0]), fuls))

    # ---- logistics
    shipments, events = [], []
    for o in orders_sorted:
        sh = o.shipment
        if not sh:
            continue
        evs = sh.events if sh.explicit_events else default_events(sh)
        delivered = [(loc, when) for code, _desc, loc, when in evs if code == "DV"]
        shipments.append(
            {
                "shipment_id": sh.shipment_id,
                "order_number": o.number,
                "carrier": sh.carrier,
                "tracking_number": sh.tracking,
                "status": sh.status,
                "promised_date": sh.promised.isoformat(),
                "estimated_delivery_date": sh.estimated.isoformat(),
                "shipped_at": ts_local(
                    sh.shipped, "GB" if sh.shipped and dc_of(o.person.country) == "DC-LEEDS" else "NL"
                ),
                # the carrier feed's delivery time (its DV event), on delivered shipments only
                **({"delivered_at": ts_local(delivered[-1][1], delivered[-1][0][:2])} if delivered else {}),
            }
        )
        for i, (code, desc, loc, when) in enumerate(sorted(evs, key=lambda e: e[3]), 1):
            assert when <= NOW, (sh.shipment_id, when)
            events.append(
                {
                    "event_id": f"EVT-{sh.shipment_id[4:]}{i}",
                    "shipment_id": sh.shipment_id,
                    "code": code,
                    "description": desc,
                    "location": loc,
                    "occurred_at": ts_local(when, loc[:2]),
                }
            )
    write_json(out / "logistics/shipments.json", {"shipments": shipments})
    write_json(out / "logistics/carrier_events.json", {"events": events})
    counts["logistics/shipments.json"] = f"{len(shipments)} shipments"
    counts["logistics/carrier_events.json"] = f"{len(events)} events"

    # ---- billing
    accounts = []
    for p in people:
        if not p.billing:
            continue
        accounts.append(
            {
                "account_no": p.account_no,
                "holder_name": p.name,
                "email": p.billing_email or p.email,
                "phone": p.phone(p.phone_styles["billing"]),
                "billing_street": p.street,
                "billing_city": p.city,
                "billing_postcode": p.postcode,
                "billing_country": p.country,
                "crm_contact_id": p.contact_id if p.crm and p.billing_ref else "",
                "created_at": ts_z(p.billing_created),
            }
        )
    counts["billing/accounts.csv"] = str(write_csv(out / "billing/accounts.csv", list(accounts[0]), accounts))
    invs = sorted(INVOICES, key=lambda i: i.invoice_no)
    counts["billing/invoices.csv"] = str(
        write_csv(
            out / "billing/invoices.csv",
            ["invoice_no", "account_no", "order_number", "issued_on", "due_on", "amount", "currency", "status"],
            [
                (
                    i.invoice_no,
                    i.account_no,
                    i.order_number or "",
                    i.issued.isoformat(),
                    i.due.isoformat(),
                    money(i.amount),
                    i.currency,
                    i.status,
                )
                for i in invs
            ],
        )
    )
    pays = [
        (
            pm.payment_id,
            i.invoice_no,
            i.account_no,
            money(pm.amount),
            i.currency,
            pm.status,
            pm.failure,
            ts_z(pm.attempted),
        )
        for i in invs
        for pm in i.payments
    ]
    counts["billing/payments.csv"] = str(
        write_csv(
            out / "billing/payments.csv",
            [
                "payment_id",
                "invoice_no",
                "account_no",
                "amount",
                "currency",
                "status",
                "failure_reason",
                "attempted_at",
            ],
            pays,
        )
    )
    refunds = sorted(REFUNDS, key=lambda r: r["refund_id"])
    counts["billing/refunds.csv"] = str(write_csv(out / "billing/refunds.csv", list(refunds[0]), refunds))

    # ---- marketing
    counts["marketing/campaigns.csv"] = str(write_csv(out / "marketing/campaigns.csv", list(campaigns[0]), campaigns))
    counts["marketing/offers.csv"] = str(write_csv(out / "marketing/offers.csv", list(offers[0]), offers))
    counts["marketing/offer_sends.csv"] = str(write_csv(out / "marketing/offer_sends.csv", list(sends[0]), sends))

    # ---- monitoring
    sigs = signals()
    write_json(out / "monitoring/signals.json", {"signals": sigs})
    counts["monitoring/signals.json"] = f"{len(sigs)} signals, {sum(len(s['affects']) for s in sigs)} affects"

    # ---- catalog
    cat = out / "catalog"
    counts["catalog/systems.csv"] = str(
        write_csv(cat / "systems.csv", ["system_id", "name", "kind", "owner_team", "description"], SYSTEMS)
    )
    counts["catalog/programs.csv"] = str(write_csv(cat / "programs.csv", ["program_id", "name"], PROGRAMS))
    counts["catalog/authority.csv"] = str(
        write_csv(cat / "authority.csv", ["assignment_id", "system_id", "concept", "attribute", "scope"], AUTHORITY)
    )
    counts["catalog/data_flows.csv"] = str(
        write_csv(
            cat / "data_flows.csv",
            ["flow_id", "program_id", "source_system", "target_system", "concept", "attribute", "frequency"],
            DATA_FLOWS,
        )
    )
    counts["catalog/teams.csv"] = str(write_csv(cat / "teams.csv", ["team_id", "name"], TEAMS))
    counts["catalog/employees.csv"] = str(
        write_csv(cat / "employees.csv", ["employee_id", "name", "team_id", "role_id"], EMPLOYEES)
    )
    counts["catalog/roles.csv"] = str(write_csv(cat / "roles.csv", ["role_id", "name"], ROLES))
    counts["catalog/channels.csv"] = str(write_csv(cat / "channels.csv", ["channel_id", "name"], CHANNELS))
    counts["catalog/carriers.csv"] = str(write_csv(cat / "carriers.csv", ["carrier_id", "name"], CARRIERS))
    counts["catalog/action_types.csv"] = str(
        write_csv(cat / "action_types.csv", ["action_id", "name", "record_class"], ACTION_TYPES)
    )
    counts["catalog/contexts.csv"] = str(
        write_csv(cat / "contexts.csv", ["context_id", "name", "definition", "description"], CONTEXTS)
    )
    counts["catalog/context_categories.csv"] = str(
        write_csv(cat / "context_categories.csv", ["context_id", "category"], CONTEXT_CATEGORIES)
    )
    workflows = {
        "workflows": [
            {
                "workflow_id": w,
                "name": name,
                "steps": [
                    {
                        "step_id": step_id(w, s),
                        "workflow_id": w,
                        "sequence": i,
                        "name": sname,
                        "team_id": team,
                        "depends_on": _deps(step_id(w, s), *systems),
                    }
                    for i, (s, sname, team, systems) in enumerate(steps, 1)
                ],
            }
            for w, name, steps in WORKFLOW_SPECS
        ]
    }
    write_json(cat / "workflows.json", workflows)
    n_steps = sum(len(w["steps"]) for w in workflows["workflows"])
    n_deps = sum(len(s["depends_on"]) for w in workflows["workflows"] for s in w["steps"])
    counts["catalog/workflows.json"] = (
        f"{len(workflows['workflows'])} workflows, {n_steps} steps, {n_deps} dependencies"
    )
    write_json(cat / "policies.json", {"policies": POLICIES})
    n_rules = sum(len(p["rules"]) for p in POLICIES)
    counts["catalog/policies.json"] = f"{len(POLICIES)} policies, {n_rules} rules"
    counts["catalog/triage_rules.csv"] = str(write_csv(
        cat / "triage_rules.csv",
        ["rule_id", "name", "condition", "condition_query", "threshold", "team", "priority", "precedence"],
        TRIAGE_RULES,
    ))
    counts["catalog/slas.csv"] = str(
        write_csv(cat / "slas.csv", ["sla_id", "priority", "response_hours", "resolution_hours"], SLAS)
    )
    counts["catalog/knowledge_articles.csv"] = str(
        write_csv(
            cat / "knowledge_articles.csv",
            ["article_id", "title", "topic", "workflow_id", "summary"],
            KNOWLEDGE_ARTICLES,
        )
    )

    # ---- observations and shadow sheets
    counts["observations/practices.csv"] = str(
        write_csv(
            out / "observations/practices.csv",
            ["practice_id", "kind", "step_id", "team_id", "data_source", "observed_by", "observed_on", "frequency",
             "description"],
            PRACTICES,
        )
    )
    r3 = ORDER_BY_NO["WEB-122110"].lines[0].amount
    sheet = [
        (r, c, a, e, amt or money(r3), cur, ts_london(utc(t)), note)
        for r, c, a, e, amt, cur, t, note in APPROVALS_SHEET
    ]
    counts["approvals-sheet/approvals.csv"] = str(
        write_csv(
            out / "approvals-sheet/approvals.csv",
            ["row_id", "case_number", "action", "approver", "amount", "currency", "approved_at", "note"],
            sheet,
        )
    )
    stock = stock_sheet_rows(inventory)
    counts["stock-sheet/stock.csv"] = str(
        write_csv(out / "stock-sheet/stock.csv", ["sku", "location", "available", "updated_at"], stock)
    )

    write_readme(out, counts, people, P, mk, inventory, stock, histories)


# ------------------------------------------------------------------------------------------------
# README
# ------------------------------------------------------------------------------------------------
README_NOTES = [
    "Optional JSON fields are omitted when empty (never `null`); optional CSV cells are empty.",
    "Policy thresholds (`threshold_amount`) carry no currency: they apply in the currency of the order or invoice "
    "(100 GBP or 100 EUR). The marketing-contact rules have no `category` (they govern offer sends, not a case "
    "category).",
    "Product list prices are in GBP; EUR order lines use GBP x 1.17 rounded to x.99 (e.g. 189.00 GBP -> 220.99 EUR).",
    "Refund `status`: `processed` | `pending`. Task `state`: `open` | `pending` | `closed`. Payment "
    "`failure_reason`: `insufficient_funds`, `card_declined`, `authentication_failed`.",
    "Channel `sms` is in `catalog/channels.csv` because offer sends use it.",
    "Employee ids are `EMP-` + 4 digits; practice ids `OBS-` + 3 digits; article ids `KB-` + 4 digits; rule, "
    "policy, step, workflow, team, program, authority and flow ids are lower-case slugs.",
    "Carrier event `location` is a location code such as `GB-DAVENTRY-HUB`; event codes: PU picked up, IT in "
    "transit, DL delayed, EX exception, OD out for delivery, DV delivered.",
    "`catalog` and `observations` are sources but not systems: `catalog/systems.csv` lists the nine official "
    "systems and the two shadow spreadsheets only.",
    "A delivered shipment carries `delivered_at`, the time of its `DV` carrier event (the lateness rule in "
    "`rules/` reads it); as of the sample's day, 2026-11-20, 17 shipments are late: the 9 `delayed` ones and 8 "
    "delivered after their promised date.",
    "`catalog/action_types.csv` names, in `record_class`, the ontology class of the records an action creates "
    "(`Refund` for `refund`): the refund-approval shape finds refund rules by it, not by an IRI.",
    "Each decision is held in case management as a decision record that documents the decision (an activity): "
    "`case-management/decision/DEC-...` documents `decision/DEC-...`.",
]


def person_ids(p: Person) -> str:
    parts = []
    if p.crm:
        parts.append(f"CRM contact `{p.contact_id}`")
    if p.commerce:
        parts.append(f"commerce customer `{p.cus_id}`")
    if p.billing:
        parts.append(f"billing account `{p.account_no}`")
    if p.profile:
        parts.append(f"contact-center profile `{p.profile_id}`")
    return ", ".join(parts)


def write_readme(
    out: Path,
    counts: dict[str, str],
    people: list[Person],
    P: dict[int, Person],
    mk: dict[str, Any],
    inventory: list[dict[str, str]],
    stock: list[dict[str, str]],
    histories: list[dict[str, str]],
) -> None:
    wms = {(r["sku"], r["location"]): r for r in inventory}
    L: list[str] = []
    a = L.append
    n_people = len(people)
    a("# Sample data: Brightwater Outfitters")
    a("")
    a(
        "Generated by `scripts/make_sample_data.py` (fixed seed, fixed now = 2026-11-20T12:00:00Z). Do not edit by "
        "hand: change the script and re-run `python scripts/make_sample_data.py`."
    )
    a("")
    a(
        "**Brightwater Outfitters** is a fictional omnichannel outdoor-gear retailer (UK + EU): a web shop, a mobile "
        "app, 12 stores, a contact center, two distribution centres (DC-LEEDS for GB, DC-ROTTERDAM for IE/DE/FR/NL) "
        "and prices in GBP (GB customers) and EUR (IE, DE, FR, NL customers). The folders below are exports of its "
        "source systems, its own catalog (systems, programs, data authority, teams, workflows, policies), human "
        "observations of practice and two shadow spreadsheets."
    )
    a("")
    a(
        f"The sample holds **{n_people} people** (resolved customers). Every person has records in several systems "
        "under different ids: CRM contact `003` + 7 digits (ContractHolder), commerce customer `cus_` + 8 "
        "characters (DigitalIdentity), billing account `BA-` + 6 digits (BillingAccount), contact-center profile "
        "`SP-` + 6 digits (ServiceRelationship), CRM household `HH-` + 5 digits (Household). Ids are allocated per "
        "person number n: CRM `003{100+n:07d}`, profile `SP-{200100+n}`, billing `BA-{500100+n}` (so the same "
        "person has the same suffix everywhere, but only ids, never the suffix, are cross-referenced)."
    )
    a("")
    a(
        "All data is fictional: e-mails use example.com/.net/.org only; GB phones use the Ofcom drama range "
        "07700 900xxx, FR phones the ARCEP fiction range 06 39 98 xx xx, IE/DE/NL numbers are made up (…555…)."
    )
    a("")
    a("## Conventions per system")
    a("")
    a("| system | timestamps | phone format | notes |")
    a("| --- | --- | --- | --- |")
    a(
        "| crm | UTC `Z` | mostly `+44 7700 900123`, some `07700 900123`, a few empty "
        "| system of record for e-mail and marketing consent |"
    )
    a(
        "| commerce | Europe/London offset (`+00:00` winter, `+01:00` summer) "
        "| mostly `07700900123`, some `+447700900123` "
        "| `crm_contact_id` on most customers, not all; e-mail case sometimes differs |"
    )
    a("| contact-center | `+00:00` | `07700 900123` | `CrmContactId` on most profiles |")
    a("| case-management | Europe/Amsterdam offset (`+01:00` / `+02:00`) | - | |")
    a("| wms | UTC `Z` | - | |")
    a("| logistics | local time of the scan (`+00:00`/`+01:00` GB/IE, `+01:00`/`+02:00` NL/DE/FR) | - | |")
    a(
        "| billing | UTC `Z` | `+447700900123` "
        "| e-mail sometimes in other case or with a trailing blank (`Ann.Rees@Example.com `) |"
    )
    a("| marketing, approvals-sheet, stock-sheet | Europe/London offset | - | |")
    a("| monitoring | UTC `Z` | - | |")
    a("")
    a(
        "Normalize before comparing: e-mail = trim + lower case; phone = digits in E.164. Without that, every case "
        "difference looks like a conflict. After normalization, the only e-mail disagreements with the CRM (the "
        "system of record) are the ones of scenarios (b) and (h)."
    )
    a("")
    a("## Files and row counts")
    a("")
    a("| file | records |")
    a("| --- | --- |")
    for f in sorted(counts):
        a(f"| `{f}` | {counts[f]} |")
    a("")
    a("CSV counts are data rows (header excluded); JSON counts are top-level records and nested records.")
    a("")

    def o(no: str) -> Order:
        return ORDER_BY_NO[no]

    # ---- (a)
    ann = P[1]
    ao = o("WEB-104211")
    a("## Scenario (a): delayed order, backorder, refund approved by a supervisor")
    a("")
    a(
        f"- Customer: **{ann.name}** (GB, Cardiff): {person_ids(ann)}. Billing e-mail `{ann.billing_email}` "
        f"(case and trailing blank differ; same address as CRM `{ann.email}`). Earlier order `WEB-103880` (delivered)."
    )
    a(f"- Order `WEB-104211` (web, placed 2026-11-06, status `partially_fulfilled`, total {money(ao.total)} GBP):")
    a(
        "  line `WEB-104211-1` BW-10021 Ridgeline Insulated Jacket 149.00 GBP -> fulfilment `FUL-104211` shipped; "
        "line `WEB-104211-2` BW-10007 Ridgeway 3-Season Tent 189.00 GBP -> fulfilment `FUL-104212` `backordered`."
    )
    inv_a = wms[("BW-10007", "DC-LEEDS")]
    a(
        f"- WMS: `wms/inventory` BW-10007 at DC-LEEDS on_hand {inv_a['on_hand']}, available {inv_a['available']}, "
        f"next_receipt_date {inv_a['next_receipt_date']} "
        "(0 available at every location; DC-ROTTERDAM receipt 2026-12-08). "
        "Signal `SIG-0004` (inventory_shortage, raised by wms) affects product BW-10007 and order WEB-104211."
    )
    a(
        f"- Logistics: shipment `SHP-104211` (carrier swiftparcel, tracking `{ao.shipment.tracking}`) "
        "status `delayed`, "
        "promised 2026-11-10, estimated 2026-11-24; events `EVT-1042111` PU, `EVT-1042112` IT, `EVT-1042113` DL "
        "(delay), `EVT-1042114` EX (exception), `EVT-1042115` IT."
    )
    a(
        "- Contact center: chat `INT-1042111` (2026-11-12, mentions WEB-104211, agent EMP-1002) and phone "
        "`INT-1042112` (2026-11-18), both linked to the case."
    )
    a(
        "- Case `CS0010421` (delivery_delay, P2, medium, open, delivery-care, profile SP-200101, order WEB-104211); "
        "tasks `TSK0010421`, `TSK0010422` (closed), `TSK0010423` (open)."
    )
    a(
        "- Workflow instance `WFI-10421`: workflow `delivery-issue`, current step `delivery-issue-execute-remedy` "
        "(depends on billing and wms), state running."
    )
    a(
        "- Policy `delivery-recovery`: `dr-refund-delayed` allows refund; `dr-refund-approval` (threshold 100.00, "
        "approval role supervisor) applies because 189.00 > 100; `dr-replacement-stock` "
        "(requires_available_inventory true) does not allow a replacement because BW-10007 is not available."
    )
    a(
        "- Approval `APR-10421` (case management): refund 189.00 GBP by `EMP-1001` Priya Raman (supervisor), "
        "2026-11-18. Also logged in the approvals sheet as `R0001`."
    )
    a(
        "- Decision `DEC-10421`: action refund, decided by `EMP-1002` (employee), rule `dr-refund-approval`, approval "
        "`APR-10421`, 189.00 GBP, used records `commerce/order/WEB-104211`, `commerce/order-line/WEB-104211-2`, "
        "`wms/fulfilment/FUL-104212`, `wms/inventory/BW-10007-DC-LEEDS`, `logistics/shipment/SHP-104211`, "
        "`case-management/approval/APR-10421`."
    )
    a(
        f"- Billing: refund `RF-104211` (order WEB-104211, account BA-500101, 189.00 GBP, processed, 2026-11-19); "
        f"invoice `INV-1042110` ({money(ao.total)} GBP, paid by `{ao.invoice.payments[0].payment_id}`)."
    )
    a("")
    # ---- (b)
    dan = P[2]
    bo = o("APP-108812")
    a("## Scenario (b): billing dispute, two failed payments, finance lead approval pending")
    a("")
    a(f"- Customer: **{dan.name}** (IE, Dublin): {person_ids(dan)}.")
    a(
        f"- Three different e-mails: CRM `{dan.email}` (also on profile SP-200102), commerce `{dan.commerce_email}`, "
        f"billing `{dan.billing_email}`. Commerce `{dan.cus_id}` and billing `BA-500102` both carry "
        f"`crm_contact_id` `{dan.contact_id}`, and share the phone number (`{dan.phone('e164')}` in commerce and "
        f"billing, `{dan.phone(dan.phone_styles['crm'])}` in CRM, `{dan.phone('intl_spaced')}` on the profile). "
        "No e-mail match links commerce and billing to each other or to the CRM."
    )
    a(
        f"- Order `APP-108812` (app, 2026-10-27, delivered, {money(bo.total)} EUR): "
        "Basecamp 4 Family Tent + Camp Pillow; "
        f"shipment `SHP-108812`. Earlier order `WEB-106600` (paid)."
    )
    a(
        f"- Invoice `INV-1088120` (account BA-500102, {money(bo.total)} EUR, due 2026-11-10, status `disputed`); "
        "payments `PAY-1088121` (failed, insufficient_funds, 2026-11-10) and `PAY-1088122` (failed, card_declined, "
        "2026-11-13). Signal `SIG-0003` (payment_failure, raised by billing) affects billing account BA-500102."
    )
    a("- Interaction `INT-1088121` (phone, 2026-11-14, agent EMP-1102) linked to the case.")
    a(
        f"- Case `CS0018812` (billing_dispute, P2, medium, open, billing-care, **billing_account** `BA-500102`, "
        f"invoice INV-1088120, order APP-108812). Tasks `TSK0018812`, `TSK0018813` (closed), `TSK0018814` (open, "
        f"finance-ops: approval of the {money(bo.total)} EUR adjustment)."
    )
    a(
        "- Workflow instance `WFI-18812`: workflow `billing-dispute`, "
        "current step `billing-dispute-approve-adjustment` "
        "(team finance-ops), state waiting, owned by billing-care."
    )
    a(
        "- Policy `billing-dispute`: `bd-adjustment-approval` (threshold 250.00, approval role `finance_lead`) "
        "applies "
        f"because {money(bo.total)} > 250; **no approval and no decision exist yet** for CS0018812 (the finance lead "
        "is `EMP-1201` Dominic Clarke). `bd-payment-plan` (allows payment_plan after 2 failed payments) also applies; "
        "`bd-no-reversal` forbids chargeback_reversal."
    )
    a("")
    # ---- (c)
    jonas, lena = P[3], P[4]
    a("## Scenario (c): household whose contract holder is not the payer")
    a("")
    a("- Household `HH-30001` (Keller household, Kastanienallee 41, 10435 Berlin, DE) in the CRM.")
    a(
        f"- **{jonas.name}**: CRM contact `{jonas.contact_id}` (LoyaltyTier gold, HouseholdId HH-30001, "
        f"BillingAccountNo `BA-500104`), commerce `{jonas.cus_id}` (household_id HH-30001, crm_contact_id "
        f"{jonas.contact_id}), contact-center profile `{jonas.profile_id}` (interaction `INT-1055501`). "
        "**No billing account of his own.**"
    )
    a(
        f"- **{lena.name}**: CRM contact `{lena.contact_id}` (LoyaltyTier none, HouseholdId HH-30001, no "
        f"BillingAccountNo), commerce `{lena.cus_id}` (household_id HH-30001, crm_contact_id {lena.contact_id}), "
        f"billing account `BA-500104` (holder {lena.name}, crm_contact_id {lena.contact_id})."
    )
    a(
        "- So the contract holder `0030000103` isPaidThrough `BA-500104`, which belongs to the other member "
        "(0030000104). One billing account, two digital identities, one household."
    )
    a(
        "- Orders shipped to HH-30001 and invoiced to BA-500104: `WEB-105552` (Jonas, 2026-03-08), `WEB-105551` "
        "(Lena, 2026-10-18), `APP-105550` (Jonas, 2026-11-02); invoices `INV-1055520`, `INV-1055510`, `INV-1055500`."
    )
    a("")
    # ---- (d)
    a("## Scenario (d): carrier delay signal, who has and has not contacted the business")
    a("")
    a(
        "- Signal `SIG-0001` (delivery_delay, raised by logistics, severity high, detected 2026-11-17T07:30:00Z): "
        "NorthStar (`northstar`) Daventry hub backlog. Affects 6 shipments, each with a DL event on 2026-11-16:"
    )
    a("")
    a("| shipment | order | customer | CRM contact | commerce | profile | contacted after the delay? |")
    a("| --- | --- | --- | --- | --- | --- | --- |")
    contacted = {
        "WEB-130101": "yes: chat `INT-1301011` 2026-11-17",
        "APP-130104": "yes: phone `INT-1301041` 2026-11-18",
    }
    for no in ["WEB-130101", "APP-130102", "WEB-130103", "APP-130104", "WEB-130105", "WEB-130106"]:
        od = o(no)
        p = od.person
        c = contacted.get(no, "no")
        if no == "WEB-130103":
            c = "no (only an older e-mail `INT-1300031` on 2026-10-02 about WEB-130003)"
        a(
            f"| `{od.shipment.shipment_id}` | `{no}` | {p.name} | `{p.contact_id}` | `{p.cus_id}` | "
            f"{'`' + p.profile_id + '`' if p.profile else '-'} | {c} |"
        )
    a("")
    a("- Contacted (2): Oliver Bennett (0030000106), Hannah Wright (0030000109).")
    a(
        "- Not contacted (4): Chloe Harris (0030000107), Rhys Morgan (0030000108), Callum Fraser (0030000110), "
        "Isla Campbell (0030000111) -> the proactive-intervention answer."
    )
    a("")
    # ---- (e)
    a("## Scenario (e): Winter Gear Sale targets with a recent service failure")
    a("")
    a(
        '- Campaign `CMP-101` "Winter Gear Sale" (2026-11-24 to 2026-12-14), offer `OFF-101`; 25 sends '
        "`SND-101001`..`SND-101025`, all `scheduled` for 2026-11-24T08:00. (Offer `OFF-102` has no sends; the "
        "earlier campaign `CMP-100`/`OFF-100` was sent on 2026-10-01 to customers without service failures.)"
    )
    a("- Open severe case (2):")
    a(
        "  - Emma de Vries: CRM `0030000112`, send `SND-101001`; case `CS0012001` (product_fault, P2, **high**, open, "
        "profile SP-200112, order APP-120011), workflow `WFI-12001` at product-replacement-triage."
    )
    a(
        "  - Lucas Dubois: CRM `0030000113`, send `SND-101002`; case `CS0012002` (complaint, P1, **critical**, open, "
        "profile SP-200113, order WEB-120012), no workflow instance."
    )
    a("- Late delivery (2):")
    a(
        f"  - Aoife Kelly: CRM `0030000114`, send `SND-101003`; order `WEB-140201` (commerce `{P[14].cus_id}`), "
        "shipment `SHP-140201` (celtic-courier) `delayed`, promised 2026-11-15, estimated 2026-11-23."
    )
    a(
        f"  - Finn Becker: CRM `0030000115`, send `SND-101004`; order `APP-140202` (commerce `{P[15].cus_id}`), "
        "shipment `SHP-140202` (eurolink) `delayed` (EX + DL events), promised 2026-11-16, estimated 2026-11-24."
    )
    a(
        "- The other 21 targets (`SND-101005`..`SND-101025`) have no case at all and no delayed shipment: "
        + ", ".join(f"{p.name} (`{p.contact_id}`)" for p in mk["others"])
        + "."
    )
    a("- Policy `marketing-contact`: `mk-no-offer-severe-case` and `mk-no-offer-late-delivery` forbid `offer`.")
    a("")
    # ---- (f)
    a("## Scenario (f): observed practice departing from the documented workflow")
    a("")
    a("- `observations/practices.csv`:")
    employee_name = {e[0]: e[1] for e in EMPLOYEES}
    for pid, kind, step, team, src, by, on, freq, _ in PRACTICES:
        a(
            f"  - `{pid}` {kind} on step `{step}`, team `{team}`"
            + (f", data source `{src}`" if src else "")
            + f", observed {on} by `{by}` {employee_name[by]}, {freq}."
        )
    a(
        "- The workflow instances' histories (`case-management/workflow_events.json`) show the same practice, and "
        "one more, in the instances: see [Desire paths](#desire-paths-competency-question-11)."
    )
    a("- Approvals sheet (`approvals-sheet/approvals.csv`, shadow system `approvals-sheet`):")
    a("  - `R0001`: CS0010421 refund 189.00 GBP by EMP-1001 - **also** in case management as `APR-10421`.")
    a(
        "  - `R0002`: CS0012210 refund 119.00 GBP by EMP-1001 - **no approval in case management**. Case `CS0012210` "
        "(Gareth Price, CRM `0030000116`, order `WEB-122100`, shipment `SHP-122100` delivered late, closed); "
        "decision `DEC-12210` (refund, rule dr-refund-approval, no approval, used record "
        "`approvals-sheet/approval/R0002`); refund `RF-122100`."
    )
    r3 = money(o("WEB-122110").lines[0].amount)
    a(
        f"  - `R0003`: CS0012211 refund {r3} EUR by EMP-1006 - **no approval and no decision in case management**. "
        "Case `CS0012211` (Saoirse Walsh, CRM `0030000117`, order `WEB-122110`, shipment `SHP-122110` delivered late, "
        "closed); refund `RF-122110`."
    )
    a(
        "- Stock sheet (`stock-sheet/stock.csv`, shadow system `stock-sheet`, updated 2026-11-16) rows that disagree "
        "with `wms/inventory.csv`:"
    )
    a("")
    a("| sku | location | stock sheet available | WMS available |")
    a("| --- | --- | --- | --- |")
    for r in stock:
        w = wms[(r["sku"], r["location"])]
        if r["available"] != w["available"]:
            a(f"| {r['sku']} | {r['location']} | {r['available']} | {w['available']} |")
    a("")
    a(
        f"  The other {sum(1 for r in stock if r['available'] == wms[(r['sku'], r['location'])]['available'])} "
        "sheet rows agree with the WMS."
    )
    a("")
    # ---- (g)
    wms_steps = [s for s, systems in STEP_SYSTEMS.items() if "wms" in systems]
    open_states = ("new", "open", "pending")
    case_state = {c["number"]: c for c in CASES}
    affected = [
        w
        for w in sorted(WFIS, key=lambda r: r["sys_id"])
        if w["current_step"] in wms_steps
        and case_state[w["case_number"]]["state"] in open_states
        and w["state"] in ("running", "waiting")
    ]
    a("## Scenario (g): WMS degradation")
    a("")
    a(
        "- Signal `SIG-0002` (service_anomaly, raised by monitoring, severity high, detected 2026-11-20T08:45:00Z) "
        "affects system `wms`."
    )
    a("- Workflow steps depending on wms: " + ", ".join(f"`{s}`" for s in wms_steps) + ".")
    a("- Open cases whose workflow instance sits at such a step (running or waiting):")
    a("")
    a("| workflow instance | step | case | category | customer | customer record on the case |")
    a("| --- | --- | --- | --- | --- | --- |")
    for w in affected:
        c = case_state[w["case_number"]]
        p = c["_person"]
        rec = c.get("profile_id") or c.get("billing_account")
        a(
            f"| `{w['sys_id']}` | `{w['current_step']}` | `{c['number']}` | {c['category']} | {p.name} "
            f"(`{p.contact_id}`) | `{rec}` |"
        )
    a("")
    a("- The affected customers: " + ", ".join(case_state[w["case_number"]]["_person"].name for w in affected) + ".")
    a("")
    # ---- (h)
    s = P[5]
    a("## Scenario (h): e-mail conflict between the CRM (system of record) and commerce")
    a("")
    a(f"- **{s.name}** (FR, Lyon): {person_ids(s)}.")
    a(
        f"- CRM `{s.contact_id}` Email `{s.email}` (system of record: authority `auth-crm-email`, attribute "
        f'hasEmailAddress, scope "contact email, all customers"); billing `BA-500105` has the same `{s.email}`.'
    )
    a(
        f"- Commerce `{s.cus_id}` still has the old address `{s.commerce_email}`; linked by crm_contact_id "
        f"`{s.contact_id}` (and phone). Data flow `flow-commerce-crm-email` (program commerce-to-crm-sync) copies "
        "hasEmailAddress from commerce to crm; `flow-crm-marketing-email` (crm-to-marketing-sync) "
        "from crm to marketing."
    )
    a("- Orders `WEB-109001`, `WEB-109002`.")
    a("")
    # ---- inconsistencies on purpose (shapes/)
    owen = P[ON_PURPOSE_ORDER_PERSON]
    a("## Inconsistencies on purpose")
    a("")
    a(
        "The SHACL shapes the sample's registry selects (`shapes/core/` and Brightwater's profile "
        "`shapes/brightwater/`) find exactly these results on the sample (shape, focus node, severity); "
        "everything else conforms. `tests/test_shapes.py` pins the list. Focus nodes are IRIs below "
        "`https://data.brightwater.example/id/`."
    )
    a("")
    a("| shape | focus node | severity | why |")
    a("| --- | --- | --- | --- |")
    stock_disagree = [
        (r["sku"], r["location"], r["available"], wms[(r["sku"], r["location"])]["available"])
        for r in stock
        if r["available"] != wms[(r["sku"], r["location"])]["available"]
    ]
    rows = [
        ("CustomerCopyDisagreesShape", "billing/account/BA-500102", "Warning",
         f"(b) billing e-mail `{dan.billing_email}` differs from the CRM's `{dan.email}`"),
        ("CustomerCopyDisagreesShape", f"commerce/customer/{dan.cus_id}", "Warning",
         f"(b) commerce e-mail `{dan.commerce_email}` differs from the CRM's `{dan.email}`"),
        ("CustomerCopyDisagreesShape", f"commerce/customer/{s.cus_id}", "Warning",
         f"(h) commerce keeps the old e-mail `{s.commerce_email}`; the CRM has `{s.email}`"),
    ] + [
        ("InventoryCopyDisagreesShape", f"stock-sheet/inventory/{sku}-{loc}", "Warning",
         f"(f) the stock sheet shows {sheet} available, the WMS (system of record) {wms_value}")
        for sku, loc, sheet, wms_value in sorted(stock_disagree)
    ] + [
        ("OfferDuringSevereCaseShape", "marketing/send/SND-101001", "Violation",
         "(e) Emma de Vries has the open high-severity case CS0012001"),
        ("OfferDuringSevereCaseShape", "marketing/send/SND-101002", "Violation",
         "(e) Lucas Dubois has the open critical case CS0012002"),
        ("OfferDuringLateDeliveryShape", "marketing/send/SND-101003", "Violation",
         "(e) Aoife Kelly's shipment SHP-140201 is delayed"),
        ("OfferDuringLateDeliveryShape", "marketing/send/SND-101004", "Violation",
         "(e) Finn Becker's shipment SHP-140202 is delayed"),
        ("RefundApprovalShape", "billing/refund/RF-122100", "Violation",
         "(f) 119.00 GBP > 100 (dr-refund-approval): approved only in the approvals sheet (R0002)"),
        ("RefundApprovalShape", "billing/refund/RF-122110", "Violation",
         f"(f) {r3} EUR > 100 (dr-refund-approval): approved only in the approvals sheet (R0003)"),
        ("ApprovalOnlyInShadowSourceShape", "approvals-sheet/approval/R0002", "Info",
         "(f) no approval for CS0012210 in case management"),
        ("ApprovalOnlyInShadowSourceShape", "approvals-sheet/approval/R0003", "Info",
         "(f) no approval for CS0012211 in case management"),
        ("DeliveredOrderShipmentShape", "commerce/order/WEB-160001", "Warning",
         f"added: {owen.name}'s order shows `delivered` in the web shop (a carrier-feed update for a mistyped "
         "tracking number) while logistics still has SHP-160001 `in_transit`"),
        ("CaseOwnerAndCustomer-customer", "case-management/case/CS0030001", "Violation",
         "added: a complaint logged for a caller who was not identified; it names no profile and no billing account"),
        ("DecisionExplained-rule", "decision/DEC-30001", "Violation",
         "added: a goodwill credit on CS0020004 recorded without the policy rule it applied"),
        ("DecisionExplained-records", "decision/DEC-30002", "Violation",
         "added: an automatic goodwill credit on CS0020005 exported without the records it used"),
        ("WorkflowInstanceStepShape", "case-management/workflow-instance/WFI-30001", "Violation",
         "added: complaint CS0020020 moved into product-replacement by hand and closed at `account-recovery-close`, "
         "the same step name in another workflow"),
    ]
    for shape, focus, severity, why in rows:
        a(f"| `{shape}` | `{focus}` | {severity} | {why} |")
    a("")
    a(
        f"The added records are `WEB-160001` (line `WEB-160001-1`, fulfilment `FUL-160001`, shipment `SHP-160001` "
        f"with events `EVT-1600011` PU and `EVT-1600012` IT, invoice `INV-1600010`, payment `PAY-1600011`; "
        f"customer {owen.name}, `{owen.cus_id}`, `{owen.account_no}`), case `CS0030001`, decisions `DEC-30001` "
        "and `DEC-30002`, and workflow instance `WFI-30001`. They pass every record contract and touch no "
        "scenario person."
    )
    a("")
    a(
        "Not exercised by the sample, but by the test fixtures: a case with no owning team, or pointing at a "
        "customer record that does not exist (the record contracts quarantine such rows, so they arise only when "
        "a source is reloaded on its own after the records it points at were removed); a decision naming a record "
        "that no source holds; and `PartyIdentityEvidenceShape` (a resolved party whose records have different "
        "names and are tied only by a shared phone number), which needs new customer records, and those would "
        "change the identity counts that the scenario tests pin."
    )
    a("")
    a("## Triage (competency question 7)")
    a("")
    a(
        "`catalog/triage_rules.csv` holds the case-triage policy's rules. Each names a condition query of the "
        "project (`rules/conditions/<name>.rq`) that the engine runs with the rule's threshold; routing rules "
        "choose the team (lowest precedence wins); of the priorities rules set, the one whose service level "
        "agreement resolves soonest wins. "
        "`cxgraph recommend triage` answers, as of 2026-11-20 (00:00 UTC), for every open case; "
        "`tests/test_triage.py` pins it:"
    )
    a("")
    a("| case | team | priority | rules that fired |")
    a("| --- | --- | --- | --- |")
    for number, team, priority, fired in TRIAGE_EXPECTED:
        rules = ", ".join(f"`{r}`" for r in fired) or "none applies"
        a(f"| `{number}` | {team or '-'} | {priority or '-'} | {rules} |")
    a("")
    a(
        "`CS0010421`: its order `WEB-104211` has the late shipment `SHP-104211`, so Delivery Care. `CS0018812`, "
        "`CS0020024`, `CS0020027`: a billing account of the customer has a failed payment, so Billing Care. A case "
        "with less than 24 hours left before the resolution target of its priority, or past it, is P1. "
        "`CS0013001` and the other cases without a rule keep what case management says; no customer has two "
        "open cases, so `tr-repeat-contact` fires nowhere in the sample."
    )
    a("")
    a("## Impact of a degraded system (competency question 10)")
    a("")
    a(
        "`queries/system-impact.rq` follows a system to the systems it feeds through data flows "
        "(`catalog/data_flows.csv`), to the workflow steps that depend on any of them, to the workflow instances "
        "in motion at those steps, and to their cases and customers. A CRM outage reaches the account-recovery "
        "step of `WFI-20020` (`CS0020023`) and, because CRM feeds billing, the billing steps of `WFI-20022` "
        "(`CS0020025`) and `WFI-10421` (`CS0010421`); the warehouse reaches nine open cases; marketing, whose "
        "data no step depends on, reaches none. `tests/test_questions.py` pins them."
    )
    a("")
    a("## Policies evaluated for what is in their scope (competency questions 8, 9 and 13)")
    a("")
    a(
        "Three policies of `catalog/policies.json` name a scope query (`scope_query`), and their rules condition "
        "queries (`condition_query`), all in `rules/conditions/`. `cxgraph recommend recover ORDER`, `suppress "
        "CAMPAIGN` and `outreach SIGNAL` run the scope for what they are given, then every rule for each target "
        "in scope: an action is forbidden when a rule forbidding it holds, allowed when a rule allowing it holds "
        "and none forbidding it does (with the approvals those rules require and the channel of the one with the "
        "lowest precedence), and not allowed otherwise. Each verdict is kept in the recommendations graph with "
        "the rules that held and their facts; `tests/test_policy.py` pins these answers."
    )
    a("")
    a("**Service recovery (13)**, policy `delivery-recovery`, scope: the order itself.")
    a("")
    a("| order | goodwill credit | refund | replacement, reship | policy exception |")
    a("| --- | --- | --- | --- | --- |")
    a("| `WEB-104211` (a) | allowed (`dr-goodwill`) | forbidden (`dr-no-second-refund`: billing processed "
      "`RF-104211`, 189.00, on 19 November; `dr-refund-delayed` and `dr-refund-approval`, 338.00 > 100, hold "
      "too) | forbidden (`dr-no-replacement-out-of-stock`: BW-10007 has 0 available at each of the five WMS "
      "locations; the stock sheet's 3 at DC-LEEDS is a copy, not the system of record) | allowed, supervisor "
      "approval (`dr-exception`) |")
    a("| `WEB-140201` (e) | allowed | allowed, supervisor approval | allowed (`dr-replacement-stock`: every "
      "line in stock) | allowed, supervisor approval |")
    a("| `WEB-103880` (a, delivered on time) | forbidden (`dr-no-refund-on-time`) | forbidden | not allowed: no "
      "rule allowing it holds | not allowed: not delayed |")
    a("")
    a("Reversing `RF-104211` in billing allows a refund of `WEB-104211` again, with a supervisor; "
      "`WEB-122100` (refunded by `DEC-12210`, `RF-122100`) is forbidden a second refund the same way.")
    a("")
    a(
        "**Personalization guard (9)**, policy `marketing-contact`, scope: the campaign's sends. `CMP-101`: the "
        "four sends of scenario (e) are not allowed (`mk-no-offer-severe-case` for `SND-101001` and `SND-101002`, "
        "`mk-no-offer-late-delivery` for `SND-101003` and `SND-101004`), the other 21 are (`mk-consent`). "
        "`CMP-100`: the four contacts without marketing consent in the CRM (`SND-100001`, `SND-100003`, "
        "`SND-100006`, `SND-100011`, `mk-no-consent`), the other 26 allowed. `mk-no-offer-failed-payment` "
        "(a payment failed less than 30 days before the graph's day) holds for no target in the sample."
    )
    a("")
    a(
        "**Proactive intervention (8)**, policy `proactive-outreach`, scope: the customers a signal affects "
        "(through a shipment, an order, a product on a line not yet shipped, a billing account, or a system a "
        "step of their open workflow depends on). `SIG-0001` (d): a notice by e-mail (CRM e-mail and consent) "
        "to Chloe Harris and Callum Fraser, by phone to Rhys Morgan and Isla Campbell (no consent), none to "
        "Oliver Bennett and Hannah Wright (`po-already-in-touch`: they called after the signal). `SIG-0002` (g): "
        "eight of the nine customers whose cases wait at a step depending on the WMS or a system it feeds; "
        "Thijs Bos called after 08:45. `SIG-0003` (b) and `SIG-0004` (a): Daniel Byrne and Ann Rees were already "
        "in touch."
    )
    a("")
    a("## Desire paths (competency question 11)")
    a("")
    a(
        "`case-management/workflow_events.json` logs every transition of every workflow instance: the documented "
        "step entered or completed, when and by whom. `queries/desire-paths.rq` compares each instance's history "
        "with the documented step order (`cx:hasSequenceNumber` in `catalog/workflows.json`): a step is *skipped* "
        "when the instance never completed it yet went on to a later step, *reordered* when it was completed after "
        "a later step was. It adds what the observations report (who observed it, when, how often), with the "
        "records of the data source an observation names that the system of record for that kind of record "
        "(`catalog/authority.csv`) lacks or contradicts. `queries/desire-paths-evidence.rq` lists those records: "
        "for a skip, the instance's first event past the step; for a reorder, the late completion; the sheets' "
        "rows; the observation itself. The answer, computed by the generator from the files it wrote "
        "(`tests/test_questions.py` pins it and compares it with this table):"
    )
    a("")
    a("| workflow | step | departure | instances | records | evidence | observed | data source (system of record) |")
    a("| --- | --- | --- | --- | --- | --- | --- | --- |")
    employee_name = {e[0]: e[1] for e in EMPLOYEES}
    paths = desire_paths(histories, inventory, stock)
    for d in paths:
        o = d["observation"]
        seen = f"`{o['id']}` {o['on']} by `{o['by']}` {employee_name[o['by']]}, {o['frequency']}" if o else "-"
        source = f"`{o['source']}` (`{o['sor']}`)" if o and o["source"] else "-"
        evidence = ", ".join(f"`{e}`" for e in sorted(d["evidence"])) or "-"
        a(
            f"| {d['workflow']} | `{d['step']}` | {d['departure']} | {len(d['instances'])} of {d['of']} | "
            f"{len(d['evidence'])} | {evidence} | {seen} | {source} |"
        )
    a("")
    by_workflow = {w: [d for d in paths if d["workflow"] == w] for w in WORKFLOW_STEPS}
    departing = {i for d in paths if d["departure"] in ("skipped step", "reordered step") for i in d["instances"]}
    in_order = [w["sys_id"] for w in sorted(WFIS, key=lambda r: r["sys_id"])
                if w["workflow"] == "delivery-issue" and w["sys_id"] not in departing]
    a(
        f"- `--param workflow=id:workflow/delivery-issue` (scenario (f)): {len(by_workflow['delivery-issue'])} rows. "
        "Three of its ten instances skip contacting the carrier (`WFI-20002`, `WFI-20004`, `WFI-20005`, whose "
        "shipments already showed a DL event), as `OBS-003` reports; the refunds of CS0012210 and CS0012211 "
        "were approved over chat: `WFI-12211` never completed approve-remedy (approvals sheet `R0003`, the case "
        "management form was down), `WFI-12210` completed it three days after executing the refund (`R0002`); "
        "the stock sheet disagrees with the WMS on four rows (`OBS-002`). "
        + ", ".join(f"`{i}`" for i in in_order) + " follow the documented order."
    )
    a(
        f"- `--param workflow=id:workflow/billing-dispute`: {len(by_workflow['billing-dispute'])} row, the "
        "workaround `OBS-004` reports; no record shows it, and the six billing-dispute histories follow the "
        "documented order."
    )
    a(
        "- Only the histories show `WFI-20016` resetting a login without the identity check (account-recovery): "
        "nobody observed it. Product replacement shows only the stock sheet (`OBS-005`); `WFI-30001`, moved "
        "into it by hand, has only its triage in its history."
    )
    a(
        "- One fact changes the answer: with `WFE-1221012` (`WFI-12210` completing approve-remedy) moved before the "
        "completion of execute-remedy, the reordered step is gone."
    )
    a("")
    a("## Decisions explained (competency question 12)")
    a("")
    a(
        "`queries/decision-explanation.rq` reads a decision from the graph, one row per fact: what was decided, "
        "about which case, by whom, with whose approval in which role, under which rule (and the approval it "
        "requires), from which records, documented by which record. `cxgraph explain` adds, for each rule with a "
        "condition query, whether the condition still holds for what the decision was about, the policy's verdict "
        "on the decided action, and the approvals missing; `--as-of` answers from the build that was live then. "
        "`tests/test_questions.py` and `tests/test_explain.py` pin these answers."
    )
    a("")
    a("| decision | by | approval | rule | condition today | missing approval |")
    a("| --- | --- | --- | --- | --- | --- |")
    a("| `DEC-10421` (a): refund 189.00 GBP | Tom Hughes (employee) | Priya Raman, supervisor (`APR-10421`) | "
      "`dr-refund-approval` | holds (`WEB-104211` is delayed, 338.00 > 100) | none |")
    a("| `DEC-12210`: refund 119.00 GBP | Aisling Nolan (employee) | none in case management; the approvals "
      "sheet's `R0002` is only a record it used | `dr-refund-approval` | holds (148.00 > 100) | supervisor |")
    a("| `DEC-30001`: goodwill credit 15.00 EUR | Marek Kowalski | none | none recorded (a violation on purpose) "
      "| - | none |")
    a("| `DEC-30002`: automatic goodwill credit 12.00 GBP | case management (a system) | none | `dr-goodwill` | "
      "holds for its case's order `APP-150285` (late), though no record it used was exported (a violation on "
      "purpose) | none |")
    a("")
    a(
        "`queries/recommendations.rq` reads back what `cxgraph recommend` kept for a case, order, campaign or "
        "signal (competency questions 7, 8, 9 and 13): `cxgraph demo` keeps the triage of every open case, so "
        "its example, `CS0010421`, routes to Delivery Care at P1 under two rules."
    )
    a("")
    a("## Value conventions not fixed by the spec")
    a("")
    for note in README_NOTES:
        a(f"- {note}")
    a("")
    a("## Other reference facts")
    a("")
    open_cases = [c for c in sorted(CASES, key=lambda c: c["number"]) if c["state"] in open_states]
    a(
        "- Open cases (state new/open/pending): "
        + ", ".join(f"`{c['number']}` ({c['category']}, {c['severity']})" for c in open_cases)
        + "."
    )
    a(
        "- Open cases with severity high or critical: "
        + ", ".join(f"`{c['number']}`" for c in open_cases if c["severity"] in ("high", "critical"))
        + "."
    )
    delayed = sorted(
        (o_.shipment for o_ in ORDERS if o_.shipment and o_.shipment.status in ("delayed", "exception")),
        key=lambda sh: sh.shipment_id,
    )
    a("- Shipments with status delayed/exception: " + ", ".join(f"`{sh.shipment_id}`" for sh in delayed) + ".")
    a(
        "- Customers without a CRM contact (online guests): "
        + ", ".join(f"{p.name} (`{p.cus_id}`)" for p in people if not p.crm)
        + "."
    )
    a(
        "- CRM-only customers (store loyalty members, no online account, no billing account): "
        + ", ".join(f"{p.name} (`{p.contact_id}`)" for p in people if p.crm and not p.commerce)
        + "."
    )
    a(
        "- Decisions: "
        + ", ".join(
            f"`{d['sys_id']}` ({d['action']}, {d['case_number']})" for d in sorted(DECISIONS, key=lambda d: d["sys_id"])
        )
        + "."
    )
    a(
        "- Approvals in case management: "
        + ", ".join(
            f"`{x['sys_id']}` ({x['action']}, {x['case_number']}, {x['approver']})"
            for x in sorted(APPROVALS, key=lambda d: d["sys_id"])
        )
        + "."
    )
    a("")
    (out / "README.md").write_text("\n".join(L), encoding="utf-8")


if __name__ == "__main__":
    main()
