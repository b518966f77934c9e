"""HTTP handlers, one module per audience: widget (members' sites), public, demo, ops."""
