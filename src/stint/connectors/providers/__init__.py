"""The built-in backends: one module per provider."""
