// @edgeward/tlog (see ARCHITECTURE.md).
export {};
