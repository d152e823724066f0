// A CSV made in the browser: UTF-8 with a BOM so Excel (as used in Chinese offices) reads the
// Chinese text correctly, CRLF line ends, and every cell quoted.

const cell = (value: string) => {
  // A leading = + - @ would make Excel run the cell as a formula (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
};

export function csvBlob(header: string[], rows: string[][]): Blob {
  const lines = [header, ...rows].map((row) => row.map(cell).join(','));
  return new Blob(['\ufeff', lines.join('\r\n'), '\r\n'], { type: 'text/csv;charset=utf-8' });
}

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
