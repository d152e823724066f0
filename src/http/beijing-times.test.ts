import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerBeijingTimes } from './beijing-times.js';

// Which answers speak Beijing time and which stay as hashed (the audit API test covers the real app).

async function app() {
  const server = Fastify();
  registerBeijingTimes(server);
  const body = () => ({
    at: new Date('2026-12-07T03:33:05.120Z'),
    rows: [{ expiresAt: '2026-12-31T16:00:00.000Z', note: 'time 2026-12-07T03:33:05Z' }],
  });
  for (const url of ['/api/v1/access-requests', '/api/v1/integrity/verify-runs', '/api/v1/integrity/events'])
    server.get(url, async () => body());
  server.get('/api/v1/integrity/events/:seq/proof', async () => body());
  server.get('/api/v1/export.csv', async (_request, reply) =>
    reply.type('text/csv').send('2026-12-07T03:33:05.120Z\r\n'),
  );
  return server;
}

describe('API times', () => {
  it('answers with ISO 8601 with +08:00, milliseconds kept, the same instant', async () => {
    const server = await app();
    for (const url of ['/api/v1/access-requests', '/api/v1/integrity/verify-runs']) {
      const body = (await server.inject({ url })).json();
      expect(body).toEqual({
        at: '2026-12-07T11:33:05.120+08:00',
        rows: [{ expiresAt: '2027-01-01T00:00:00+08:00', note: 'time 2026-12-07T03:33:05Z' }],
      });
      expect(Date.parse(body.at)).toBe(Date.parse('2026-12-07T03:33:05.120Z'));
    }
  });

  it('serves the integrity log and its proofs exactly as hashed, and leaves text bodies alone', async () => {
    const server = await app();
    for (const url of ['/api/v1/integrity/events?limit=3', '/api/v1/integrity/events/3/proof'])
      expect((await server.inject({ url })).json().at).toBe('2026-12-07T03:33:05.120Z');
    expect((await server.inject({ url: '/api/v1/export.csv' })).body).toBe('2026-12-07T03:33:05.120Z\r\n');
  });
});
