import type { createBackup } from './backup.service.js';

// One line of the online backup's answer (JSON lines: progress, a heartbeat, then the result). The
// server writes them and `yidang backup` reads them: both import this, and no one imports the routes.

export type BackupLine =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'heartbeat' }
  | { type: 'done'; manifest: Awaited<ReturnType<typeof createBackup>> }
  | { type: 'error'; code: string; message: string };
