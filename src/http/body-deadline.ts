import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

// A request body that stops arriving (an upload cut off mid-way, or a client holding the connection
// open on purpose) would keep its handler and its connection forever. While the body is still being
// read, a request that receives no byte for idleMs gets 408 and its connection closed; a slow but
// moving upload goes on, and the time a handler spends after the body is complete is not counted.

export const DEFAULT_BODY_IDLE_MS = 30_000;

export function registerBodyDeadline(app: FastifyInstance, idleMs = DEFAULT_BODY_IDLE_MS): void {
  app.addHook('onRequest', async (request, reply) => {
    const raw = request.raw;
    const socket = raw.socket;
    // Injected requests (tests) have no socket to stall, and a request without a body is complete.
    if (raw.complete || !(socket instanceof Socket)) return;
    let seen = socket.bytesRead;
    const timer = setInterval(() => {
      if (raw.complete || raw.destroyed || reply.raw.writableEnded) {
        clearInterval(timer);
        return;
      }
      // Data waiting to be read, or a paused stream, is the server taking its time, not the client.
      if (socket.bytesRead !== seen || raw.readableLength > 0 || raw.isPaused()) {
        seen = socket.bytesRead;
        return;
      }
      clearInterval(timer);
      request.log.warn({ route: request.routeOptions.url }, 'request body stalled; answered 408');
      if (reply.raw.headersSent) {
        socket.destroy();
        return;
      }
      // The handler still waits on the body; closing the connection after the answer ends its wait.
      reply
        .status(408)
        .header('connection', 'close')
        .send({
          error: {
            code: 'REQUEST_TIMEOUT',
            message: `请求体在 ${Math.max(1, Math.round(idleMs / 1000))} 秒内没有继续传来，连接已关闭，请重新提交`,
          },
        });
    }, idleMs);
    timer.unref();
    reply.raw.once('close', () => clearInterval(timer));
  });
}
