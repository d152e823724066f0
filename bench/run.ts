// `npm run bench`: every benchmark in turn. Each prints its figure beside the baseline it is
// compared with, measured in the same run.
await import('./filing.js');
