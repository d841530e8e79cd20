"""Regenerate tests/data/pinned_expected.csv (run on purpose only, after a deliberate change)."""

from pathlib import Path

from pinned import PINNED, pinned_table

if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "data" / "pinned_expected.csv"
    pinned_table(PINNED).to_csv(out, index=False)
    print(f"wrote {out}")
