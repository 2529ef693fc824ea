"""Generate an Olist-shaped marketplace: the files of the public Brazilian e-commerce dataset, made up.

Run: `python benchmarks/marketplace/generate.py [FOLDER] [--customers N] [--seed S]` (default folder
/tmp/cxgraph-marketplace/data, 16,000 customer rows, seed 20181017). Nothing is downloaded: every value is
drawn from a seeded random generator, so the same arguments always write the same bytes.

The files have Olist's names, columns and formats: 32-hex-character ids, zone-less local timestamps
`YYYY-MM-DD HH:MM:SS` (São Paulo wall-clock time), dates written as midnight timestamps (the estimated
delivery date, the day a review survey was sent), empty cells when a step did not happen, Portuguese
review comments with newlines, quotes, commas and `>`, the category translation file with a byte-order
mark, customers with 2 or 3 `customer_id` rows (one per order) under one `customer_unique_id`, statuses
delivered/shipped/canceled/unavailable/invoiced/processing/created/approved, about 7% of delivered orders
arriving after their estimated day.

Planted on purpose (each is counted in `generation.json` and printed):
  * DST traps (`--dst-traps`, default 3): local times São Paulo skipped or passed twice (Brazil had daylight
    saving time until 2019); the engine must quarantine them, never guess: an order placed at 00:xx on a
    day the clocks went forward, an order delivered at 23:xx on the evening they went back (both take
    their items, payments and reviews with them), and a review answered in a skipped hour.
  * anomalies real Olist data has (`--anomalies`, default on): two orders with status delivered but no
    delivery time, one credit-card payment with 0 instalments. The marketplace shape profile reports them.
Every other timestamp is drawn so that it exists exactly once in America/Sao_Paulo.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("America/Sao_Paulo")
FIRST_DAY = date(2016, 9, 4)
LAST_DAY = date(2018, 10, 17)  # the latest purchase; sources.yaml says as_of: 2018-10-18
EXPORTED = datetime.combine(LAST_DAY, time(23, 59, 59))  # nothing after this moment is in the export
DEFAULT_FOLDER = Path("/tmp/cxgraph-marketplace/data")
STAMP = "%Y-%m-%d %H:%M:%S"

# Orders per month in the real dataset (shape only: scaled to the number of orders generated).
MONTHS = {
    (2016, 9): 4, (2016, 10): 324, (2016, 12): 1, (2017, 1): 800, (2017, 2): 1780, (2017, 3): 2682,
    (2017, 4): 2404, (2017, 5): 3700, (2017, 6): 3245, (2017, 7): 4026, (2017, 8): 4331, (2017, 9): 4285,
    (2017, 10): 4631, (2017, 11): 7544, (2017, 12): 5673, (2018, 1): 7269, (2018, 2): 6728, (2018, 3): 7211,
    (2018, 4): 6939, (2018, 5): 6873, (2018, 6): 6167, (2018, 7): 6292, (2018, 8): 6512, (2018, 9): 16,
    (2018, 10): 4,
}
HOURS = [3, 1, 1, 1, 1, 1, 2, 4, 8, 12, 16, 17, 16, 17, 17, 16, 16, 15, 14, 14, 16, 16, 14, 8]

# (city, state, lowest zip prefix, highest zip prefix, weight)
CITIES = [
    ("sao paulo", "SP", 1000, 5999, 156), ("rio de janeiro", "RJ", 20000, 23799, 69),
    ("belo horizonte", "MG", 30000, 31999, 28), ("brasilia", "DF", 70000, 72799, 21),
    ("curitiba", "PR", 80000, 82999, 15), ("campinas", "SP", 13000, 13139, 15),
    ("porto alegre", "RS", 90000, 91999, 14), ("salvador", "BA", 40000, 42599, 12),
    ("guarulhos", "SP", 7000, 7399, 12), ("sao bernardo do campo", "SP", 9600, 9899, 9),
    ("niteroi", "RJ", 24000, 24399, 8), ("santo andre", "SP", 9000, 9299, 8), ("osasco", "SP", 6000, 6299, 7),
    ("santos", "SP", 11000, 11099, 7), ("goiania", "GO", 74000, 74899, 7),
    ("sao jose dos campos", "SP", 12200, 12249, 7), ("fortaleza", "CE", 60000, 61599, 6),
    ("sorocaba", "SP", 18000, 18109, 6), ("recife", "PE", 50000, 52999, 6), ("florianopolis", "SC", 88000, 88099, 6),
    ("jundiai", "SP", 13200, 13219, 5), ("ribeirao preto", "SP", 14000, 14114, 5), ("belem", "PA", 66000, 66999, 4),
    ("nova iguacu", "RJ", 26000, 26099, 4), ("barueri", "SP", 6400, 6499, 4), ("contagem", "MG", 32000, 32399, 4),
    ("juiz de fora", "MG", 36000, 36099, 4), ("vitoria", "ES", 29000, 29099, 4), ("londrina", "PR", 86000, 86099, 3),
    ("maringa", "PR", 87000, 87099, 3), ("manaus", "AM", 69000, 69099, 3), ("natal", "RN", 59000, 59099, 3),
    ("joao pessoa", "PB", 58000, 58099, 2), ("campo grande", "MS", 79000, 79124, 2),
    ("cuiaba", "MT", 78000, 78099, 2), ("sao luis", "MA", 65000, 65099, 2), ("maceio", "AL", 57000, 57099, 2),
    ("teresina", "PI", 64000, 64099, 2), ("aracaju", "SE", 49000, 49099, 2), ("franca", "SP", 14400, 14414, 2),
    ("santa barbara d'oeste", "SP", 13450, 13459, 1), ("mogi das cruzes", "SP", 8700, 8899, 2),
    ("porto velho", "RO", 76800, 76834, 1), ("macapa", "AP", 68900, 68914, 1), ("boa vista", "RR", 69300, 69339, 1),
    ("palmas", "TO", 77000, 77099, 1), ("rio branco", "AC", 69900, 69924, 1), ("pelotas", "RS", 96000, 96099, 2),
    ("caxias do sul", "RS", 95000, 95099, 2), ("joinville", "SC", 89200, 89239, 2), ("blumenau", "SC", 89000, 89099, 2),
]
# Seller cities as Olist's sellers typed them (lower case, "/ sp" suffixes, a backslash, an e-mail address).
SELLER_ODDITIES = [
    ("sao paulo / sao paulo", "SP", "04"), ("sbc/sp", "SP", "09"), ("rio de janeiro \\rio de janeiro", "RJ", "21"),
    ("santa barbara d´oeste", "SP", "13"), ("vendas@creativecompany.com.br", "MG", "37"), ("sp", "SP", "03"),
]

CATEGORIES = [
    ("cama_mesa_banho", "bed_bath_table", 90), ("beleza_saude", "health_beauty", 85),
    ("esporte_lazer", "sports_leisure", 75), ("moveis_decoracao", "furniture_decor", 70),
    ("informatica_acessorios", "computers_accessories", 68), ("utilidades_domesticas", "housewares", 62),
    ("relogios_presentes", "watches_gifts", 52), ("telefonia", "telephony", 40),
    ("ferramentas_jardim", "garden_tools", 38), ("automotivo", "auto", 36), ("brinquedos", "toys", 35),
    ("cool_stuff", "cool_stuff", 32), ("perfumaria", "perfumery", 30), ("bebes", "baby", 26),
    ("eletronicos", "electronics", 24), ("papelaria", "stationery", 22),
    ("fashion_bolsas_e_acessorios", "fashion_bags_accessories", 18), ("pet_shop", "pet_shop", 16),
    ("moveis_escritorio", "office_furniture", 14), ("consoles_games", "consoles_games", 9),
    ("malas_acessorios", "luggage_accessories", 9),
    ("construcao_ferramentas_construcao", "construction_tools_construction", 8),
    ("eletrodomesticos", "home_appliances", 7), ("instrumentos_musicais", "musical_instruments", 6),
    ("eletroportateis", "small_appliances", 6), ("casa_construcao", "home_construction", 5),
    ("livros_interesse_geral", "books_general_interest", 5), ("alimentos", "food", 4),
    ("moveis_sala", "furniture_living_room", 4), ("casa_conforto", "home_confort", 4), ("bebidas", "drinks", 3),
    ("audio", "audio", 3), ("climatizacao", "air_conditioning", 2), ("fashion_calcados", "fashion_shoes", 2),
    ("market_place", "market_place", 2), ("artes", "art", 2), ("pcs", "computers", 1), ("flores", "flowers", 1),
    ("seguros_e_servicos", "security_and_services", 1),
]

# Review texts in the customers' own words (Portuguese, as typed: missing accents, ">" and "=)" included).
HAPPY = [
    "Recebi bem antes do prazo estipulado.", "Produto de ótima qualidade, recomendo!",
    "Parabéns lojas lannister adorei comprar pela Internet seguro e prático Parabéns a todos feliz Páscoa",
    "Chegou rápido, bem embalado. Nota 10 =)", "Tudo certo, entrega antes do prazo, produto conforme o anúncio",
    "O produto é \"exatamente\" o que eu queria, vendedor nota 1000", "muito bom, comprarei novamente > super indico",
    "aparelho eficiente. no site a marca do aparelho esta impresso como 3desinfector e ao chegar esta com outro nome",
    "Ótimo custo-benefício, chegou em 5 dias úteis.", "Amei!!! 😍 A cor é linda",
]
MIXED = [
    "Mas um pouco ,travando...pelo valor ta Boa.", "O produto é bom, porém a caixa veio amassada",
    "Chegou certinho, mas faltou o manual de instruções", "Produto ok. Entrega demorou mais que o esperado",
    "A cor é diferente da foto, \"azul\" virou verde > não gostei muito",
]
UNHAPPY = [
    "Não recebi o produto até agora e ninguém responde", "Produto chegou com defeito, quero a devolução!!",
    "Comprei 2 unidades e só recebi 1, \"o restante\" nunca chegou", "PÉSSIMO. atraso de mais de 2 semanas >:(",
    "Veio errado, pedi tamanho M e veio G, aguardando troca", "O prazo de entrega venceu, e nada do produto.",
    "Produto falsificado, não comprem", "Entrega atrasada, produto ok, mas o atendimento, péssimo",
]
TITLES_GOOD = ["Recomendo", "Ótimo", "Super recomendo", "Excelente", "Muito bom", "Top"]
TITLES_BAD = ["Não recebi", "Péssimo", "Atrasou", "Produto com defeito", "Decepcionado"]


def new_id(rng: random.Random) -> str:
    """A 32-hex-character id, as Olist's (an MD5-like string)."""
    return f"{rng.getrandbits(128):032x}"


def once(local: datetime) -> bool:
    """Whether a São Paulo wall-clock time names exactly one instant (not skipped, not passed twice)."""
    first, second = local.replace(tzinfo=ZONE, fold=0), local.replace(tzinfo=ZONE, fold=1)
    if first.astimezone(UTC).astimezone(ZONE).replace(tzinfo=None) != local:
        return False
    return first.utcoffset() == second.utcoffset()


def clean(local: datetime) -> datetime:
    """The same moment or the first wall-clock time after it that exists exactly once."""
    while not once(local):
        local += timedelta(hours=1)
    return local


def stamp(value: datetime | None) -> str:
    return value.strftime(STAMP) if value else ""


def midnight(day: date | None) -> str:
    return f"{day.isoformat()} 00:00:00" if day else ""


def money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


@dataclass
class Order:
    order_id: str
    customer_id: str
    purchase: datetime
    status: str = "delivered"
    approved: datetime | None = None
    carrier: datetime | None = None
    delivered: datetime | None = None
    estimated: date | None = None


@dataclass
class Generated:
    counts: dict[str, int]
    notes: dict[str, object]


def _purchase(rng: random.Random, months: list[tuple[int, int]], weights: list[int]) -> datetime:
    year, month = rng.choices(months, weights)[0]
    first = FIRST_DAY.day if (year, month) == (FIRST_DAY.year, FIRST_DAY.month) else 1
    last = LAST_DAY.day if (year, month) == (LAST_DAY.year, LAST_DAY.month) else calendar.monthrange(year, month)[1]
    day = date(year, month, rng.randint(first, last))
    hour = rng.choices(range(24), HOURS)[0]
    return clean(datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59))))


def _timeline(rng: random.Random, order: Order) -> None:
    """Approval, hand-over to the carrier, delivery and the estimated day, then the status at export time."""
    p = order.purchase
    order.approved = clean(p + timedelta(minutes=rng.choice([rng.randint(1, 30), rng.randint(30, 600),
                                                             rng.randint(600, 4000)])))
    estimate_days = int(rng.triangular(10, 45, 22))
    order.estimated = p.date() + timedelta(days=estimate_days)
    if rng.random() < 0.067:  # arrives after the estimated day
        arrival = order.estimated + timedelta(days=rng.choice([1, 1, 2, 3, 4, 5, 7, 9, 12, 15, 20, 30]))
    else:
        arrival = p.date() + timedelta(days=max(2, min(estimate_days, round(rng.triangular(2, estimate_days,
                                                                                            0.3 * estimate_days)))))
    delivered = datetime.combine(arrival, time(rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59)))
    span = max((delivered - order.approved).total_seconds(), 3600)
    order.carrier = clean(order.approved + timedelta(seconds=span * rng.uniform(0.1, 0.5)))
    order.delivered = clean(max(delivered, order.carrier + timedelta(hours=rng.randint(6, 30))))
    roll = rng.random()
    if roll < 0.006:
        order.status = "canceled"
        kept = rng.random()
        order.carrier = order.carrier if kept < 0.08 else None
        order.delivered = order.delivered if kept < 0.01 else None
        order.approved = order.approved if rng.random() < 0.9 else None
    elif roll < 0.012:
        order.status, order.carrier, order.delivered = "unavailable", None, None
    elif roll < 0.0122:
        order.status, order.approved, order.carrier, order.delivered = "created", None, None, None
    elif roll < 0.0124:
        order.status, order.carrier, order.delivered = "approved", None, None
    elif roll < 0.0154:
        order.status, order.carrier, order.delivered = "invoiced", None, None
    elif roll < 0.0184:
        order.status, order.carrier, order.delivered = "processing", None, None
    elif roll < 0.0274:
        order.status, order.delivered = "shipped", None  # handed to the carrier, never delivered
    # the export is a snapshot: what had not happened by then is not in it
    if order.delivered and order.delivered > EXPORTED:
        order.delivered = None
        order.status = "shipped" if order.status == "delivered" else order.status
    if order.carrier and order.carrier > EXPORTED:
        order.carrier = None
        order.status = rng.choice(["processing", "invoiced"]) if order.status == "shipped" else order.status
    if order.approved and order.approved > EXPORTED:
        order.approved = None
        order.status = "created" if order.status in ("processing", "invoiced") else order.status


def _comment(rng: random.Random, score: int) -> str:
    pool = UNHAPPY if score <= 2 else MIXED if score == 3 else HAPPY
    parts = rng.sample(pool, k=rng.choice([1, 1, 1, 2]))
    text = rng.choice(["\r\n", "\n", " ", "  "]).join(parts) if len(parts) > 1 else parts[0]
    if rng.random() < 0.05:
        text += " "  # a trailing blank, kept as typed
    return text


def _write(path: Path, header: list[str], rows: list[list[object]], style: str, bom: bool = False) -> None:
    """Write like Olist's exports: `all` quotes every cell, `text` quotes non-empty text (numbers bare),
    `minimal` quotes only what must be quoted. Lines end with \\n; line breaks inside comments stay as typed."""
    def cell(value: object) -> str:
        if value is None or value == "":
            return "" if style != "all" else '""'
        if (style == "text" and isinstance(value, int | Decimal)) or style == "minimal":
            text = str(value)
            return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\r\n') else text
        return '"' + str(value).replace('"', '""') + '"'

    with path.open("w", encoding="utf-8", newline="") as handle:
        if bom:
            handle.write("\ufeff")
        handle.write(",".join(cell(h) if style == "all" else h for h in header) + "\n")
        for row in rows:
            handle.write(",".join(cell(v) for v in row) + "\n")


def generate(folder: Path, customers: int = 16_000, seed: int = 20181017, dst_traps: int = 3,
             anomalies: bool = True) -> Generated:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    months, month_weights = list(MONTHS), list(MONTHS.values())

    # customers: unique ids, 3% of them with 2 or 3 customer_id rows (one per order)
    people: list[tuple[str, tuple[str, str, str], int]] = []
    rows_left = customers
    while rows_left > 0:
        k = 1 if rng.random() >= 0.03 else rng.choice([2, 2, 2, 2, 2, 3])
        k = min(k, rows_left)
        city, state, lo, hi, _w = rng.choices(CITIES, [c[4] for c in CITIES])[0]
        people.append((new_id(rng), (f"{rng.randint(lo, hi):05d}", city, state), k))
        rows_left -= k

    # catalog: categories, sellers, products (Zipf-like popularity)
    n_sellers = max(20, customers // 32)
    sellers = []
    for index in range(n_sellers):
        if index < len(SELLER_ODDITIES):
            city, state, head = SELLER_ODDITIES[index]
            zip_prefix = f"{head}{rng.randint(0, 999):03d}"
        else:
            city, state, lo, hi, _w = rng.choices(CITIES, [c[4] for c in CITIES])[0]
            zip_prefix = f"{rng.randint(lo, hi):05d}"
        sellers.append((new_id(rng), zip_prefix, city, state))
    seller_weights = [1 / (rank + 1) ** 0.9 for rank in range(n_sellers)]
    n_products = max(50, customers // 3)
    products = []
    for _ in range(n_products):
        category = "" if rng.random() < 0.0185 else rng.choices(CATEGORIES, [c[2] for c in CATEGORIES])[0][0]
        seller = rng.choices(sellers, seller_weights)[0][0]
        price = max(85, int(rng.lognormvariate(4.4, 0.85) * 100))
        products.append((new_id(rng), category, seller, price))
    product_weights = [1 / (rank + 1) ** 0.8 for rank in range(n_products)]

    # orders, one per customer row, in time order per person
    customer_rows: list[list[object]] = []
    orders: list[Order] = []
    for unique_id, (zip_prefix, city, state), k in people:
        for purchase in sorted(_purchase(rng, months, month_weights) for _ in range(k)):
            customer_id = new_id(rng)
            customer_rows.append([customer_id, unique_id, zip_prefix, city, state])
            order = Order(new_id(rng), customer_id, purchase)
            _timeline(rng, order)
            orders.append(order)
    # the latest purchase is on LAST_DAY (as in Olist: a canceled order placed that afternoon)
    last = orders[rng.randrange(len(orders))]
    last.purchase = datetime.combine(LAST_DAY, time(17, 30, 18))
    _timeline(rng, last)
    last.status, last.approved, last.carrier, last.delivered = "canceled", None, None, None
    rng.shuffle(customer_rows)

    notes: dict[str, object] = {"seed": seed, "customers_requested": customers, "dst_traps": [], "anomalies": []}
    traps: list[str] = notes["dst_traps"]  # type: ignore[assignment]
    delivered_orders = [o for o in orders if o.status == "delivered" and o.delivered]
    if dst_traps >= 1:  # placed in the hour São Paulo skipped on 2017-10-15 (clocks went forward at 00:00)
        o = rng.choice([o for o in delivered_orders if date(2017, 10, 13) <= o.purchase.date() <= date(2017, 10, 16)
                        and o.carrier and o.carrier > datetime(2017, 10, 15, 3)])
        o.purchase = datetime(2017, 10, 15, 0, 27, 41)
        o.approved = datetime(2017, 10, 15, 1, 39, 2)
        traps.append(f"order {o.order_id}: order_purchase_timestamp {stamp(o.purchase)} does not exist (gap)")
    if dst_traps >= 2:  # delivered in the hour São Paulo passed twice on 2018-02-17 (clocks went back at 24:00)
        o = rng.choice([o for o in delivered_orders if o.carrier and o.carrier.date() < date(2018, 2, 17)
                        and o.delivered and date(2018, 2, 18) <= o.delivered.date() <= date(2018, 2, 28)])
        o.delivered = datetime(2018, 2, 17, 23, 14, 5)
        traps.append(f"order {o.order_id}: order_delivered_customer_date {stamp(o.delivered)} is ambiguous (fold)")
    anomalies_list: list[str] = notes["anomalies"]  # type: ignore[assignment]
    if anomalies:  # Olist has delivered orders with no delivery time (8 of 96,478)
        trapped = {t.split()[1].rstrip(":") for t in traps}
        for o in rng.sample([o for o in delivered_orders if o.order_id not in trapped
                             and o.estimated and o.estimated < LAST_DAY], 2):
            o.delivered = None
            anomalies_list.append(f"order {o.order_id}: status delivered, order_delivered_customer_date empty")

    # items, payments, reviews
    item_rows, payment_rows, review_rows = [], [], []
    used_products: set[str] = set()
    zero_instalments_left = 1 if anomalies else 0
    review_trap_left = 1 if dst_traps >= 3 else 0
    for o in orders:
        n_items = rng.choices([1, 2, 3, 4, 5, 6], [900, 75, 15, 5, 3, 2])[0]
        if o.status == "unavailable" or (o.status == "canceled" and rng.random() < 0.5):
            n_items = 0
        first = rng.choices(products, product_weights)[0]
        same = rng.random() < 0.6
        total = 0
        line: tuple[str, str, int, int] | None = None
        for item in range(1, n_items + 1):
            if line is None or not same:  # the same product again: the same seller, price and freight
                product = first if item == 1 else rng.choices(products, product_weights)[0]
                seller = product[2] if rng.random() > 0.05 else rng.choices(sellers, seller_weights)[0][0]
                price = max(85, int(product[3] * rng.uniform(0.9, 1.1)))
                freight = rng.randint(700, 4000) + (price // 20 if price > 20000 else 0)
                line = (product[0], seller, price, freight)
            product_id, seller, price, freight = line
            limit = clean((o.approved or o.purchase) + timedelta(days=6))
            item_rows.append([o.order_id, item, product_id, seller, stamp(limit), Decimal(money(price)),
                              Decimal(money(freight))])
            used_products.add(product_id)
            total += price + freight
        if total == 0:
            total = rng.randint(2000, 30000)
        kind = rng.choices(["credit_card", "boleto", "voucher", "debit_card"], [740, 195, 50, 15])[0]
        parts: list[tuple[str, int]] = []
        if kind == "voucher":
            vouchers = rng.choice([1, 1, 2, 3])
            rest = total
            for _ in range(vouchers):
                value = min(rest, rng.randint(500, 10000))
                parts.append(("voucher", value))
                rest -= value
                if rest == 0:
                    break
            if rest:
                parts.append(("credit_card", rest))
        else:
            parts.append((kind, total))
        for sequential, (method, value) in enumerate(parts, start=1):
            instalments = rng.choices([1, 2, 3, 4, 5, 6, 8, 10], [50, 12, 10, 7, 5, 4, 4, 8])[0] \
                if method == "credit_card" else 1
            if zero_instalments_left and method == "credit_card" and o.status == "delivered" \
                    and o.purchase.year == 2018:
                instalments, zero_instalments_left = 0, 0
                anomalies_list.append(f"payment {o.order_id} #{sequential}: credit_card with 0 instalments")
            payment_rows.append([o.order_id, sequential, method, instalments, Decimal(money(value))])
        # reviews: the survey goes out the day after delivery (or after the estimated day), answered days later
        n_reviews = rng.choices([0, 1, 2], [10, 984, 6])[0]
        sent = (o.delivered.date() if o.delivered else o.estimated) + timedelta(days=1)
        late = (o.delivered.date() > o.estimated) if o.delivered else (o.status not in ("canceled", "unavailable")
                                                                      and o.estimated < LAST_DAY)
        for _ in range(n_reviews):
            if sent > LAST_DAY:
                break
            if o.status in ("canceled", "unavailable"):
                weights = [60, 10, 10, 8, 12]
            elif late:
                weights = [40, 12, 15, 13, 20]
            else:
                weights = [7, 2.5, 8, 20, 62.5]
            score = rng.choices([1, 2, 3, 4, 5], weights)[0]
            answered = clean(datetime.combine(sent + timedelta(days=rng.choice([0, 0, 1, 1, 2, 3, 5])),
                                              time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))))
            if answered > EXPORTED:
                answered = clean(datetime.combine(sent, time(rng.randint(12, 23), rng.randint(0, 59), 0)))
            if review_trap_left and sent < date(2017, 10, 15) <= sent + timedelta(days=5):
                answered, review_trap_left = datetime(2017, 10, 15, 0, 41, 9), 0
                traps.append(f"review of order {o.order_id}: review_answer_timestamp {stamp(answered)} does not "
                             "exist (gap)")
            message = _comment(rng, score) if rng.random() < 0.41 else ""
            title = rng.choice(TITLES_BAD if score <= 2 else TITLES_GOOD) if rng.random() < 0.12 else ""
            review_rows.append([new_id(rng), o.order_id, score, title, message, midnight(sent), stamp(answered)])

    order_rows = [[o.order_id, o.customer_id, o.status, stamp(o.purchase), stamp(o.approved), stamp(o.carrier),
                   stamp(o.delivered), midnight(o.estimated)] for o in orders]
    rng.shuffle(order_rows)
    rng.shuffle(review_rows)
    product_rows = []
    for product_id, category, _seller, _price in products:
        if product_id not in used_products:
            continue
        named = bool(category)
        product_rows.append([product_id, category, rng.randint(5, 76) if named else "",
                             rng.randint(4, 3992) if named else "", rng.randint(1, 8) if named else "",
                             rng.randint(50, 30000), rng.randint(7, 105), rng.randint(2, 105), rng.randint(6, 118)])
    used_sellers = {row[3] for row in item_rows}
    seller_rows = [list(s) for s in sellers if s[0] in used_sellers]

    _write(folder / "olist_customers_dataset.csv",
           ["customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city", "customer_state"],
           customer_rows, "all")
    _write(folder / "olist_orders_dataset.csv",
           ["order_id", "customer_id", "order_status", "order_purchase_timestamp", "order_approved_at",
            "order_delivered_carrier_date", "order_delivered_customer_date", "order_estimated_delivery_date"],
           order_rows, "all")
    _write(folder / "olist_order_items_dataset.csv",
           ["order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price", "freight_value"],
           item_rows, "text")
    _write(folder / "olist_order_payments_dataset.csv",
           ["order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"],
           payment_rows, "text")
    _write(folder / "olist_order_reviews_dataset.csv",
           ["review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
            "review_creation_date", "review_answer_timestamp"], review_rows, "text")
    _write(folder / "olist_products_dataset.csv",
           ["product_id", "product_category_name", "product_name_lenght", "product_description_lenght",
            "product_photos_qty", "product_weight_g", "product_length_cm", "product_height_cm", "product_width_cm"],
           product_rows, "text")
    _write(folder / "olist_sellers_dataset.csv",
           ["seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"], seller_rows, "minimal")
    _write(folder / "product_category_name_translation.csv",
           ["product_category_name", "product_category_name_english"],
           [[c[0], c[1]] for c in CATEGORIES], "minimal", bom=True)

    dst_days = {date(2016, 10, 16), date(2017, 10, 15), date(2018, 11, 4)}
    counts = {"olist_customers_dataset.csv": len(customer_rows), "olist_orders_dataset.csv": len(order_rows),
              "olist_order_items_dataset.csv": len(item_rows), "olist_order_payments_dataset.csv": len(payment_rows),
              "olist_order_reviews_dataset.csv": len(review_rows), "olist_products_dataset.csv": len(product_rows),
              "olist_sellers_dataset.csv": len(seller_rows), "product_category_name_translation.csv": len(CATEGORIES)}
    delivered_with_time = [o for o in orders if o.status == "delivered" and o.delivered]
    notes.update({
        "unique_customers": len(people),
        "unique_customers_with_several_rows": sum(1 for p in people if p[2] > 1),
        "latest_purchase": max(o.purchase for o in orders).strftime(STAMP),
        "as_of": (LAST_DAY + timedelta(days=1)).isoformat(),
        "status": {s: sum(1 for o in orders if o.status == s) for s in sorted({o.status for o in orders})},
        "delivered_after_estimated_day": sum(1 for o in delivered_with_time if o.delivered.date() > o.estimated),
        "delivered_with_time": len(delivered_with_time),
        # midnight on the days the clocks went forward does not exist: these values are days, not instants
        "midnight_dates_on_dst_start_days": {
            "order_estimated_delivery_date": sum(1 for o in orders if o.estimated in dst_days),
            "review_creation_date": sum(1 for r in review_rows if date.fromisoformat(r[5][:10]) in dst_days),
        },
    })
    (folder / "generation.json").write_text(json.dumps({"counts": counts, **notes}, indent=2) + "\n",
                                            encoding="utf-8")
    return Generated(counts, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER, help="where to write the CSV files")
    parser.add_argument("--customers", type=int, default=16_000, help="customer rows (one order each)")
    parser.add_argument("--seed", type=int, default=20181017)
    parser.add_argument("--dst-traps", type=int, default=3, choices=range(4),
                        help="local times São Paulo skipped or passed twice, planted (0 to 3)")
    parser.add_argument("--no-anomalies", action="store_true", help="leave out the Olist anomalies the shapes report")
    args = parser.parse_args()
    result = generate(args.folder, args.customers, args.seed, args.dst_traps, not args.no_anomalies)
    for name, count in result.counts.items():
        print(f"{name}: {count:,} rows")
    notes = result.notes
    delivered = notes["delivered_with_time"]
    print(f"unique customers: {notes['unique_customers']:,} ({notes['unique_customers_with_several_rows']:,} with "
          f"2-3 customer_id rows); statuses: {notes['status']}")
    print(f"delivered after the estimated day: {notes['delivered_after_estimated_day']:,} of {delivered:,} "
          f"({notes['delivered_after_estimated_day'] / max(delivered, 1):.1%}); latest purchase "
          f"{notes['latest_purchase']}, as_of {notes['as_of']}")
    print(f"midnight dates on DST start days (not instants in São Paulo): {notes['midnight_dates_on_dst_start_days']}")
    for line in notes["dst_traps"]:
        print(f"DST trap: {line}")
    for line in notes["anomalies"]:
        print(f"anomaly: {line}")
    print(f"written to {args.folder}")


if __name__ == "__main__":
    main()
