"""Import actors (placeholder until the import module lands)."""
