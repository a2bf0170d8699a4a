"""Exchange port and adapters: ccxt (live/testnet), paper, and the simulated demo market."""
