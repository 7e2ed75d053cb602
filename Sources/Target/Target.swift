// Module Target: see docs/ARCHITECTURE.md.
