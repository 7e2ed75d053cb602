// Module RdmaTransport: see docs/ARCHITECTURE.md.
