"""How good search is, on the relevance set (bench/relevance/): recall@5, MRR and the share
of the top 5 hits that are withdrawn (superseded or corrected), with and without
``current_only``.

The set is a committed journal of several thousand events of engineering work and 60-odd
queries whose relevant events were judged by hand (``bench/relevance/facts.py``). It is
the yardstick for every change to ranking: run ``python bench/search_quality.py`` before
and after, and compare. Per-query results: ``--verbose``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from journal_core import Journal, Settings

HERE = Path(__file__).resolve().parent / "relevance"
TOP = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="one line per query")
    args = parser.parse_args()
    judgments = json.loads((HERE / "judgments.json").read_text())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.jsonl"
        shutil.copyfile(HERE / "journal.jsonl", path)
        journal = Journal(Settings(journal_path=path))
        events = sum(1 for _ in path.open("rb"))
        print(
            f"relevance set: {events:,} events, {len(judgments)} judged queries; "
            f"top {TOP} hits per query"
        )
        print(f"{'':14}  recall@{TOP}  MRR    withdrawn in top {TOP}")
        for label, current_only in (("all hits", False), ("current_only", True)):
            recalls, ranks, withdrawn, shown = [], [], 0, 0
            for judged in judgments:
                hits = journal.search(judged["query"], limit=TOP, current_only=current_only).hits
                found = [hit.event_id for hit in hits]
                relevant = set(judged["relevant"])
                recalls.append(len(relevant & set(found)) / len(relevant))
                first = next((at for at, hit in enumerate(found, 1) if hit in relevant), None)
                ranks.append(0.0 if first is None else 1 / first)
                withdrawn += sum(hit.standing in ("superseded", "corrected") for hit in hits)
                shown += len(hits)
                if args.verbose and not current_only:
                    print(f"  {recalls[-1]:.2f} {ranks[-1]:.2f}  {judged['query']}")
            print(
                f"{label:14}  {statistics.mean(recalls):.3f}     {statistics.mean(ranks):.3f}  "
                f"{withdrawn / max(shown, 1):.3f} ({withdrawn} of {shown})"
            )
        journal.close()


if __name__ == "__main__":
    main()
