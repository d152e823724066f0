import { main } from './run.js';

// The `yidang` process (bin/yidang.js loads the compiled file): the program itself is in run.ts,
// which the CLI tests also run in-process.
await main(process.argv);
