"""The bundled e-commerce files are exactly what `make sample-data` writes, so they can always be
regenerated and never drift from the generator."""

from pathlib import Path

from datagen.ecommerce import generate

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "ecommerce"


def test_bundled_sample_is_the_generators_output(tmp_path):
    # The same arguments as the Makefile's sample-data target.
    generate(rows=300_000, customers=53_000, items=69_000, seed=42, out_dir=tmp_path, gzip=True)

    bundled = sorted(path.name for path in BUNDLED.iterdir() if path.name != "README.md")
    assert sorted(path.name for path in tmp_path.iterdir()) == bundled
    for name in bundled:
        assert (tmp_path / name).read_bytes() == (BUNDLED / name).read_bytes(), name
