"""Test and benchmark infrastructure shipped with the package (fault proxy, PII scanner)."""
