// test-engine: either
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { type App, buildApp } from './app.js';
import { CONSOLE_DIR } from './console.js';

// The console's pages are served at their own paths and never shadow the API; assets are cached
// for good, the page itself never. A server without a build answers the API's 404 at `/`.

let database: TestDatabase;
let app: App;
let bare: App;

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database });
  bare = await buildApp({ database, console: false });
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
  await database?.close();
});

describe('the web console at /', () => {
  it('serves the page with a content security policy and no caching', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toContain('<div id="root"></div>');
  });

  it('answers the console’s own paths with the page, so a bookmark or a reload works', async () => {
    for (const url of [
      '/items',
      `/items/${encodeURIComponent('J013-JS·2024-Y-0001')}`,
      '/search?q=门诊',
      '/login',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toContain('<div id="root"></div>');
    }
  });

  it('keeps the API’s JSON 404 for unknown API paths and a plain 404 for a missing asset', async () => {
    for (const url of ['/api/v1/no-such-thing', '/API/V1/items', '//api/v1/items', '/api']) {
      const api = await app.inject({ method: 'GET', url });
      expect(api.statusCode, url).toBe(404);
      expect(api.json().error.code, url).toBe('ROUTE_NOT_FOUND');
    }
    const asset = await app.inject({ method: 'GET', url: '/assets/no-such-file.js' });
    expect(asset.statusCode).toBe(404);
    expect(asset.body).not.toContain('<div id="root">');
    const post = await app.inject({ method: 'POST', url: '/items' });
    expect(post.statusCode).toBe(404);
    // The page is only served through its routes, so it is never cached for a year.
    const index = await app.inject({ method: 'GET', url: '/index.html' });
    expect(index.headers['cache-control'] ?? 'no-cache').not.toContain('immutable');
  });

  it('lets browsers keep the hashed assets', async () => {
    const [asset] = fs.readdirSync(path.join(CONSOLE_DIR, 'assets')).filter((name) => name.endsWith('.js'));
    expect(asset).toBeDefined();
    const response = await app.inject({ method: 'GET', url: `/assets/${asset}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toContain('immutable');
    expect(response.headers['content-type']).toMatch(/javascript/);
  });

  it('does not serve files outside the build', async () => {
    const secret = path.join(path.dirname(CONSOLE_DIR), 'yidang-console-test-secret.txt');
    fs.writeFileSync(secret, 'TOP-SECRET-4711');
    try {
      for (const url of [
        '/../yidang-console-test-secret.txt',
        '/assets/..%2f..%2fyidang-console-test-secret.txt',
        '/%2e%2e/yidang-console-test-secret.txt',
      ]) {
        const response = await app.inject({ method: 'GET', url });
        expect(response.body, url).not.toContain('TOP-SECRET-4711');
      }
    } finally {
      fs.rmSync(secret);
    }
  });

  it('is absent when the server is built without it', async () => {
    const response = await bare.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('ROUTE_NOT_FOUND');
  });
});

it('the build is where the server looks for it', () => {
  expect(fs.existsSync(path.join(CONSOLE_DIR, 'index.html'))).toBe(true);
});
