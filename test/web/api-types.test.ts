import fs from 'node:fs';
import { expect, it } from 'vitest';
import { API_TYPES_FILE, openApiTypes } from '../../scripts/api-types.js';

// The console is typed by the server's OpenAPI document; a route whose schema changed without
// `npm run api:types` would leave the console compiling against what the server no longer answers.
it('the console’s API types match the server’s OpenAPI document', async () => {
  const committed = fs.readFileSync(API_TYPES_FILE, 'utf8');
  const current = await openApiTypes();
  expect(current === committed, '请运行 npm run api:types 重新生成 web/src/api/schema.d.ts').toBe(true);
  expect(current).toContain('"/api/v1/stats/overview"');
});
