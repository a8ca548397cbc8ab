/**
 * How every command that makes a private key writes it: 0600, fsynced, and never over an existing file or link
 * unless `--force` was given (age-keygen refuses too): a lost TPM key file makes every model sealed to that device
 * unopenable.
 */
export function privateKeyOutput(force: boolean | undefined): { mode: number; durable: true; noClobber: boolean } {
  return { mode: 0o600, durable: true, noClobber: force !== true };
}
