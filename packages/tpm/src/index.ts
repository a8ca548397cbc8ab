// @edgeward/tpm (see ARCHITECTURE.md).
export {};
