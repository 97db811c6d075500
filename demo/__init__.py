"""The demo's data and its `seed_demo` command: site composition, kept out
of the product's services."""
