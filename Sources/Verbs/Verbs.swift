// Module Verbs: see docs/ARCHITECTURE.md.
