/**
 * One CSV record (RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled,
 * CRLF at the end), safe to open in a spreadsheet: a cell that starts as a formula would (=, +, -,
 * @, tab, carriage return) gets a leading apostrophe, as OWASP's CSV injection advice says.
 */
export function csvRecord(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = /^[=+\-@\t\r]/.test(String(value)) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
