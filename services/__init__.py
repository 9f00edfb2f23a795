"""The domain: every business rule and every transaction lives here (no Flask, no Dramatiq)."""
