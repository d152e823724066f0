// `npm run bench`: every benchmark in turn. Each prints its figure beside the baseline it is
// compared with, measured in the same run.
await import('./filing.js');
console.log('\nEvent log (integrity) — PGlite');
await import('./event-log.js');
console.log('\nFixity audit');
await import('./fixity.js');
console.log('\nWatermarked copies');
await import('./watermark.js');
console.log('\nBatch import of an XLSX ledger — PGlite');
await import('./import.js');
console.log('\nOCR of scanned pages — Tesseract through the queue vs the plain command');
await import('./ocr.js');
console.log('\nJob runtime — jobs/s on PGlite, then PostgreSQL');
await import('./jobs.js');
console.log('\nReconciling a 医保扶贫 list against the insured roster — PGlite');
await import('./reconcile.js');
console.log('\nImporting the insured roster from a CSV extract — PGlite');
await import('./roster-import.js');
console.log('\nConcurrent filing with files — PostgreSQL, two directory replicas');
await import('./concurrent-filing.js');
console.log('\nLoan inbox and overdue list — 100,000 loans over 1,000,000 items, PGlite');
await import('./loans.js');
console.log('\nSearch (PGlite, then PostgreSQL)');
await import('./search.js');
console.log('\nWeb console in chromium — PGlite');
await import('./console.js');
console.log(
  '\nConcurrent clients: search, filing and listing against yidang serve — PGlite, then PostgreSQL',
);
await import('./load.js');
