"""Splink (probabilistic record linkage, DuckDB backend) on the same customer records the identity rules link.

The harness's `splink` stage reads every record of `identity.yaml`'s record classes from the built store
(name, e-mail, phone in E.164, country, as the rules see them), trains a Fellegi-Sunter model without labels
(u by random sampling, m by expectation maximisation on two blockings: e-mail, and surname with first
name), predicts pairs and clusters them, and returns the linked pairs with the time each step took. The
stage scores them against truth/ beside the rules' pairs: the issue offers Splink as a rule kind only if it
finds links the rules miss without false merges.
"""

from __future__ import annotations

import time
from typing import Any

THRESHOLD = 0.95  # match probability at which a pair is a link and clusters join
MEMORY_LIMIT = "6GB"
SPILL_LIMIT = "16GB"


def records(store: Any, project: Any) -> list[dict[str, Any]]:
    """One row per customer record: its IRI, system, first name, surname, e-mail, phone (E.164), country."""
    from cxgraph.build.identity import load_identity, normalize, normalize_phone

    config = load_identity(project.identity)
    email_rule = next((r for r in config.rules if r.id == "normalized-email"), None)
    phone_rule = next((r for r in config.rules if r.id == "normalized-phone"), None)
    values = " ".join(f"<{c}>" for c in config.record_classes)
    by_graph = {s.graph: s for s in project.sources.values()}
    rows: dict[str, dict[str, Any]] = {}
    for row in store.query(f"SELECT ?r ?g WHERE {{ VALUES ?c {{ {values} }} GRAPH ?g {{ ?r a ?c }} }}"):
        source = by_graph.get(row["g"].value)
        if source is None or row["r"].value in rows:
            continue
        rows[row["r"].value] = {"unique_id": row["r"].value, "system": source.name, "first_name": None,
                                "surname": None, "email": None, "phone": None, "country": source.default_country}

    def each(prop: str) -> Any:
        return ((row["r"].value, row["v"].value) for row in store.query(f"SELECT ?r ?v WHERE {{ ?r <{prop}> ?v }}")
                if row["r"].value in rows)

    if config.country_property:
        for record, value in each(config.country_property):
            rows[record]["country"] = value.upper()
    for record, value in each(config.name_property):
        parts = value.split()
        rows[record]["first_name"] = parts[0].lower() if parts else None
        rows[record]["surname"] = parts[-1].lower() if len(parts) > 1 else None
    if email_rule:
        for record, value in each(email_rule.property):
            rows[record]["email"] = normalize(value, email_rule.normalize, None)
    if phone_rule:
        for record, value in each(phone_rule.property):
            rows[record]["phone"] = normalize_phone(value, rows[record]["country"])
    return list(rows.values())


def link(rows: list[dict[str, Any]], seed: int = 1, wide: bool = True) -> dict[str, Any]:
    """Train, predict and cluster; the linked pairs (record IRIs, sorted) and seconds per step."""
    import duckdb
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    con = duckdb.connect()
    # DuckDB spills to disk past this instead of growing (the harness stops a stage at 20 GiB)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET max_temp_directory_size = '{SPILL_LIMIT}'")  # and fails, rather than fill the disk
    con.execute("CREATE TABLE records (unique_id VARCHAR, system VARCHAR, first_name VARCHAR, surname VARCHAR, "
                "email VARCHAR, phone VARCHAR, country VARCHAR)")
    con.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [[r["unique_id"], r["system"], r["first_name"], r["surname"], r["email"], r["phone"],
                      r["country"]] for r in rows])
    db = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("country"),
        ],
        blocking_rules_to_generate_predictions=[block_on("email"), block_on("phone")] + (
            [block_on("surname"), block_on("first_name", "country")] if wide else []),
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db.register("records"), settings, log_level="ERROR")
    seconds["load"] = time.perf_counter() - started
    started = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1_000_000, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    # blocked on the surname alone, the pairs grow with the square of the records (some 45 million at 100,000
    # customers, spilled to disk until it was full); namesakes are enough to estimate the e-mail's weights
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname", "first_name"))
    seconds["train"] = time.perf_counter() - started
    started = time.perf_counter()
    predicted = linker.inference.predict(threshold_match_probability=THRESHOLD)
    seconds["predict"] = time.perf_counter() - started
    started = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predicted, THRESHOLD)
    members: dict[str, list[str]] = {}
    for row in clusters.as_record_list():
        members.setdefault(row["cluster_id"], []).append(row["unique_id"])
    seconds["cluster"] = time.perf_counter() - started
    pairs = {(a, b) for group in members.values() for i, a in enumerate(sorted(group)) for b in sorted(group)[i + 1:]}
    # the predicted pairs stay in DuckDB: as Python rows (with their match weights) they were the stage's memory
    return {"pairs": pairs, "seconds": seconds, "records": len(rows)}
