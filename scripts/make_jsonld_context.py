"""Write context/context.jsonld, the JSON-LD @context of context packs, from the ontology's modules.

Run after an ontology edit (tests/test_context.py fails while the published file is stale):
    python scripts/make_jsonld_context.py
"""

from __future__ import annotations

import json
from pathlib import Path

from cxgraph.answer.jsonld import ontology_context
from cxgraph.check.docs import merged_ontology

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    context = ontology_context(merged_ontology(ROOT / "ontology" / "cxgraph.ttl"))
    target = ROOT / "context" / "context.jsonld"
    target.write_text(json.dumps(context, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{target}: {len(context['@context'])} entries")


if __name__ == "__main__":
    main()
