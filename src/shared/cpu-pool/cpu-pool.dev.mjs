// Development only: the pool thread when Yidang runs from its TypeScript sources (tests, tsx scripts),
// where no compiled cpu-pool.worker.js exists. It registers tsx (a development dependency) in this
// thread first, so the dispatcher and the task modules it imports load as TypeScript.
import { register } from 'tsx/esm/api';

register();
const { default: run } = await import(new URL('./cpu-pool.worker.ts', import.meta.url).href);
export default run;
