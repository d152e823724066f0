/** Polls `condition` every 50 ms until it holds; fails after `timeoutMs` naming what was awaited. */
export async function until(
  condition: () => Promise<boolean>,
  what = 'the indexer',
  timeoutMs = 20_000,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
