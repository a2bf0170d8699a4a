"""The pure trading core: no database, network or clock. Values in, decisions out."""
