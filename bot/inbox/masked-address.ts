/** Enough of an address to tell two contacts apart in a list; the whole one is in the audited read. */
export function maskedAddress(address: string): string {
  return address.length <= 4 ? '••••' : `•••• ${address.slice(-4)}`;
}
