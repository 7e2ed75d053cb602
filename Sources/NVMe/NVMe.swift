// Module NVMe: see docs/ARCHITECTURE.md.
