"""Generated people and the customer records each system keeps of them, with identity's hard cases.

People come in blocks of four, each block drawn from its own seeded random stream, so a block's content
depends only on the seed and the block number (the same people at any N, and blocks can be made in any
order or process). Identifiers derive from the person's number, never from a running counter.

Hard cases the identity truth records (the linking rules are judged against them):
  * shared e-mail: a household member whose CRM and shop records carry the head's e-mail (two people);
  * typo: a shop e-mail with two letters swapped (the same person, the e-mail rule misses it);
  * reused phone: a contact-center profile whose phone number belonged to the previous person (two people);
  * name change: a billing account under the maiden name and an old e-mail (the same person).
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)  # the sample's as_of day, noon: rules judge "by now"
START = datetime(2025, 6, 1, tzinfo=UTC)  # first order the generated shop took
BLOCK = 4  # people per block (a household never crosses a block)

COUNTRIES = [("GB", 50), ("IE", 10), ("DE", 15), ("FR", 15), ("NL", 10)]
COUNTRY_CODE = {"GB": "44", "IE": "353", "DE": "49", "FR": "33", "NL": "31"}


def words(text: str) -> list[str]:
    """A name pool written as lines of space-separated names."""
    return text.split()


FIRST = {
    "GB": words("""Olivia Noah Amelia Oscar Isla Arthur Ava Leo Mia Harry Ivy Jack Rosie Alfie Grace Theo Sienna
                Finley Poppy Archie Evie Henry Daisy Joshua Phoebe Reuben Martha Elliot Maya Tobias"""),
    "IE": words("""Jack Emily James Grace Noah Fiadh Conor Sophie Darragh Ellie Tadhg Aoife Cillian Saoirse Oisin
                Caoimhe"""),
    "DE": words("Noah Emilia Matteo Sophia Elias Hannah Finn Emma Leon Lina Paul Mila Ben Ella Henri Clara Jonas Lia"),
    "FR": words("""Gabriel Jade Raphael Louise Leo Ambre Louis Alba Maël Emma Arthur Rose Jules Anna Adam Alice Lucas
                Romy"""),
    "NL": words("Noah Emma Luca Julia Sem Mila Liam Tess Lucas Sophie Levi Zoë Finn Nora Daan Yara Milan Saar"),
}
LAST = {
    "GB": words("""Smith Jones Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright
                Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper
                Hill Ward"""),
    "IE": words("Murphy Kelly Byrne Ryan O'Brien Walsh O'Connor McCarthy Doyle Gallagher Doherty Kennedy Lynch Murray"),
    "DE": words("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf"),
    "FR": words("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Michel"),
    "NL": ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
           "Meijer", "de Boer", "Mulder"],
}
CITIES = {
    "GB": [("Leeds", "LS"), ("Manchester", "M"), ("Bristol", "BS"), ("Cardiff", "CF"), ("Glasgow", "G"),
           ("York", "YO"), ("Norwich", "NR"), ("London", "SE")],
    "IE": [("Dublin", "D0"), ("Cork", "T12"), ("Galway", "H91"), ("Limerick", "V94")],
    "DE": [("Berlin", "10"), ("Hamburg", "20"), ("München", "80"), ("Köln", "50"), ("Leipzig", "04")],
    "FR": [("Paris", "75"), ("Lyon", "69"), ("Grenoble", "38"), ("Nantes", "44"), ("Toulouse", "31")],
    "NL": [("Amsterdam", "10"), ("Utrecht", "35"), ("Rotterdam", "30"), ("Groningen", "97")],
}
STREETS = {
    "GB": ["Station Road", "Church Lane", "Victoria Street", "Mill Road", "Park View", "Orchard Close"],
    "IE": ["Main Street", "Strand Road", "Church View", "Castle Park"],
    "DE": ["Hauptstraße", "Schulstraße", "Gartenstraße", "Dorfstraße", "Ringstraße"],
    "FR": ["rue de la Paix", "rue Pasteur", "avenue Foch", "rue Gambetta", "place du Marché"],
    "NL": ["Kerkweg", "Schoolstraat", "Julianalaan", "Beukenlaan", "Marktplein"],
}
DOMAINS = ["example.com", "example.net", "example.org"]
CUS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def ts_z(dt: datetime) -> str:
    """CRM, WMS, billing and monitoring write UTC with a Z (every generated instant is UTC already)."""
    return dt.isoformat(timespec="seconds")[:-6] + "Z"


def ts_utc(dt: datetime) -> str:
    """The contact center writes UTC as +00:00."""
    return dt.isoformat(timespec="seconds")


@lru_cache(maxsize=64)
def _summer_span(year: int) -> tuple[datetime, datetime]:
    """EU summer time of a year: last Sunday of March to last Sunday of October, 01:00 UTC."""
    def last_sunday(month: int) -> datetime:
        d = datetime(year, month, 31, 1, tzinfo=UTC)
        return d - timedelta(days=(d.weekday() + 1) % 7)
    return last_sunday(3), last_sunday(10)


ZONES = {hours: timezone(timedelta(hours=hours)) for hours in range(3)}


def ts_offset(dt: datetime, base_hours: int) -> str:
    """Local time at UTC+base (summer +1): London (0) for commerce and marketing, CET (1) for case management."""
    begin, end = _summer_span(dt.year)
    hours = base_hours + (1 if begin <= dt < end else 0)
    return dt.astimezone(ZONES[hours]).isoformat(timespec="seconds")


def local_day(dt: datetime, base_hours: int) -> str:
    """The day a timestamp written with ts_offset(dt, base_hours) names (what rules compare)."""
    return ts_offset(dt, base_hours)[:10]


def ts_london(dt: datetime) -> str:
    return ts_offset(dt, 0)


def ts_cet(dt: datetime) -> str:
    return ts_offset(dt, 1)


def ts_local(dt: datetime, country: str) -> str:
    """Carrier scans and shipments: London time in GB and IE, CET on the continent."""
    return ts_offset(dt, 0 if country in ("GB", "IE") else 1)


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def cus_id(idx: int) -> str:
    """A shop customer id from the person's number: a bijection onto 8 characters, so never reused."""
    n = (idx * 2_654_435_761 + 97) % (len(CUS_ALPHABET) ** 8)
    chars = []
    for _ in range(8):
        n, r = divmod(n, len(CUS_ALPHABET))
        chars.append(CUS_ALPHABET[r])
    return "cus_" + "".join(chars)


def national_number(idx: int, country: str) -> str:
    """A mobile number unique to the person (possible in its country's numbering plan)."""
    return {"GB": f"77{idx:08d}", "IE": f"85{idx:07d}", "DE": f"151{idx:08d}", "FR": f"6{idx:08d}",
            "NL": f"6{idx:08d}"}[country]


def phone_styled(nsn: str, country: str, style: str) -> str:
    if style == "e164":
        return f"+{COUNTRY_CODE[country]}{nsn}"
    if style == "spaced":
        return f"+{COUNTRY_CODE[country]} {nsn[:3]} {nsn[3:6]} {nsn[6:]}"
    return f"0{nsn[:4]} {nsn[4:]}"  # national, read in the record's (or source's) country


def typo(email: str) -> str:
    """Swap two adjacent letters of the local part (a distinct address)."""
    local, domain = email.split("@")
    i = max(1, len(local) // 2)
    swapped = local[: i - 1] + local[i] + local[i - 1] + local[i + 1:]
    if swapped == local:
        swapped = local + "x"
    return f"{swapped}@{domain}"


@dataclass
class Person:
    """One generated person and what each system holds of them (None: no record there)."""

    idx: int
    rng: random.Random
    first: str
    last: str
    country: str
    city: str
    street: str
    postcode: str
    email: str
    nsn: str
    loyalty: str
    opt_in: bool
    crm: bool
    commerce: bool
    billing: bool
    profile: bool
    household: str = ""
    household_head: bool = False
    commerce_ref: bool = True
    billing_ref: bool = True
    profile_ref: bool = True
    crm_billing_ref: bool = False
    commerce_email: str = ""
    crm_email: str = ""
    billing_email: str = ""
    billing_name: str = ""
    profile_phone: str = ""
    hard: list[str] = field(default_factory=list)
    created: datetime = NOW

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def contact_id(self) -> str:
        return f"003{2_000_000 + self.idx:07d}"

    @property
    def profile_id(self) -> str:
        return f"SP-{300_000 + self.idx:06d}"

    @property
    def account_no(self) -> str:
        return f"BA-{700_000 + self.idx:06d}"

    @property
    def cus_id(self) -> str:
        return cus_id(self.idx)

    @property
    def currency(self) -> str:
        return "GBP" if self.country == "GB" else "EUR"

    def records(self) -> list[tuple[str, str]]:
        """(system, record path under the enterprise's id/ namespace) of every customer record of the person."""
        out = []
        if self.crm:
            out.append(("crm", f"crm/contact/{self.contact_id}"))
        if self.commerce:
            out.append(("commerce", f"commerce/customer/{self.cus_id}"))
        if self.billing:
            out.append(("billing", f"billing/account/{self.account_no}"))
        if self.profile:
            out.append(("contact-center", f"contact-center/profile/{self.profile_id}"))
        return out


def block_rng(seed: int, kind: str, number: int) -> random.Random:
    """The random stream of one block of one kind: independent of every other block."""
    return random.Random(f"{seed}:{kind}:{number}")


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def make_block(seed: int, block: int, limit: int) -> list[Person]:
    """The people of one block (at most `limit`, the customers left to make), households and hard cases set."""
    rng = block_rng(seed, "people", block)
    people: list[Person] = []
    for k in range(min(BLOCK, limit)):
        idx = block * BLOCK + k
        country = _weighted(rng, COUNTRIES)
        first, last = rng.choice(FIRST[country]), rng.choice(LAST[country])
        city, prefix = rng.choice(CITIES[country])
        street = f"{rng.randint(1, 199)} {rng.choice(STREETS[country])}"
        postcode = {"GB": f"{prefix}{rng.randint(1, 20)} {rng.randint(1, 9)}AB",
                    "IE": f"{prefix}{rng.randint(1, 9)} X2C4", "DE": f"{prefix}{rng.randint(100, 999)}",
                    "FR": f"{prefix}{rng.randint(100, 999)}",
                    "NL": f"{prefix}{rng.randint(10, 99)} AB"}[country]
        email = f"{slug(first)}.{slug(last)}.{base36(idx)}@{rng.choice(DOMAINS)}"
        crm = rng.random() < 0.95
        commerce = rng.random() < 0.85 or not crm
        person = Person(
            idx=idx, rng=random.Random(f"{seed}:person:{idx}"), first=first, last=last, country=country,
            city=city, street=street, postcode=postcode, email=email, nsn=national_number(idx, country),
            loyalty=_weighted(rng, [("none", 50), ("bronze", 25), ("silver", 17), ("gold", 8)]),
            opt_in=rng.random() < 0.6, crm=crm, commerce=commerce,
            billing=commerce and rng.random() < 0.92, profile=rng.random() < 0.35,
            commerce_ref=rng.random() < 0.75, billing_ref=rng.random() < 0.85, profile_ref=rng.random() < 0.7,
            crm_billing_ref=rng.random() < 0.5,
            created=START - timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86_399)),
        )
        person.crm_email = person.commerce_email = person.billing_email = email
        person.billing_name = person.name
        people.append(person)
    # a household: the first two (sometimes three) of the block, living at the head's address
    if len(people) >= 2 and rng.random() < 0.25:
        head = people[0]
        size = 3 if len(people) >= 3 and rng.random() < 0.3 else 2
        head.household, head.household_head = f"HH-{100_000 + block:06d}", True
        for member in people[1:size]:
            member.household = head.household
            member.country, member.city, member.street, member.postcode = (
                head.country, head.city, head.street, head.postcode)
            member.last = head.last
            member.nsn = national_number(member.idx, member.country)
            if rng.random() < 0.3 and head.crm and member.crm:  # one shared family mailbox
                member.crm_email = member.commerce_email = head.email
                member.hard.append("shared-email")
    for person in people:
        r = person.rng
        if person.commerce and r.random() < 0.03:
            person.commerce_email = typo(person.commerce_email)
            person.hard.append("typo")
        if person.billing and r.random() < 0.02:
            maiden = r.choice(LAST[person.country])
            if maiden != person.last:
                person.billing_name = f"{person.first} {maiden}"
                person.billing_email = f"{slug(person.first)}.{slug(maiden)}.{base36(person.idx)}@example.org"
                person.hard.append("name-change")
        if person.billing and r.random() < 0.15:  # billing keeps what people typed, spaces and capitals
            person.billing_email = person.billing_email.title() + " "
    for prev, person in itertools.pairwise(people):
        if person.profile and prev.crm and person.rng.random() < 0.04:
            person.profile_phone = phone_styled(prev.nsn, prev.country, "e164")
            person.hard.append("reused-phone")
    return people
