import fs from 'node:fs';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/database.js';
import { VERSION } from '../../version.js';
import { clamscanAvailable } from '../check/check.virus.js';
import { ocrUnavailable } from '../scan/ocr.engine.js';
import { logVerifier, type SigningKey } from '../integrity/checkpoint.service.js';
import { formatVerifierKey } from '../integrity/checkpoint-note.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DirectoryReplica } from '../storage/directory-replica.js';
import { keyStatus } from '../storage/keys.service.js';
import { S3Replica } from '../storage/s3-replica.js';

// 系统管理's status page: what this server runs on, where files are copied, the state of its keys
// (never key bytes) and whether OCR and the virus scan can run. Each part is told from what the
// server was given; without the configuration (an embedded or test server) those parts are null.

export interface StatusSources {
  database: Pick<Database, 'db' | 'kind'>;
  store?: BlobStore;
  signingKey?: SigningKey;
  config?: Pick<Config, 'replicas' | 's3' | 'ocr' | 'clamavDatabase'>;
}

export interface SystemStatus {
  version: string;
  database: 'pglite' | 'postgres';
  replicas: Array<{
    name: string;
    kind: 'directory' | 's3';
    location: string;
    endpoint: string | null;
    required: boolean;
  }>;
  keys: {
    source: 'file' | 'env';
    currentMasterKey: string;
    masterKeys: Array<{ id: string; current: boolean; dataKeys: number }>;
    pendingRotation: number;
    signingAlgorithm: string | null;
    verifierKey: string | null;
  } | null;
  ocr: {
    available: boolean;
    problem: string | null;
    command: string;
    languages: string;
    workers: number;
  } | null;
  clamav: { available: boolean; problem: string | null; database: string | null };
}

/** Where each replica is: a directory, or the bucket and prefix (the endpoint is an origin, never credentials). */
function replicasOf(sources: StatusSources): SystemStatus['replicas'] {
  return (sources.store?.replicas ?? []).map((replica) => {
    const spec = sources.config?.replicas.find((entry) => entry.name === replica.name);
    let location = replica.describe();
    if (replica instanceof DirectoryReplica) location = replica.root;
    else if (replica instanceof S3Replica) location = `s3://${replica.bucket}/${replica.prefix}`;
    const endpoint = spec?.kind === 's3' ? (spec.endpoint ?? sources.config?.s3.endpoint ?? null) : null;
    return { name: replica.name, kind: replica.kind, location, endpoint, required: replica.required };
  });
}

async function keysOf(sources: StatusSources): Promise<SystemStatus['keys']> {
  if (!sources.store) return null;
  const { db } = sources.database;
  const status = await keyStatus(db, sources.store.keyring);
  const ids = [...new Set([...status.masterKeys, ...Object.keys(status.usage)])];
  return {
    source: status.source,
    currentMasterKey: status.current,
    masterKeys: ids.map((id) => ({ id, current: id === status.current, dataKeys: status.usage[id] ?? 0 })),
    pendingRotation: status.pendingRotation,
    signingAlgorithm: sources.signingKey?.algorithm ?? null,
    verifierKey: sources.signingKey ? formatVerifierKey(await logVerifier(db, sources.signingKey)) : null,
  };
}

async function ocrOf(sources: StatusSources): Promise<SystemStatus['ocr']> {
  const settings = sources.config?.ocr;
  if (!settings) return null;
  const problem = await ocrUnavailable(settings);
  return {
    available: problem === null,
    problem,
    command: settings.command,
    languages: settings.languages,
    workers: settings.concurrency,
  };
}

function clamavOf(sources: StatusSources): SystemStatus['clamav'] {
  const database = sources.config?.clamavDatabase ?? null;
  let problem: string | null = null;
  if (!clamscanAvailable()) problem = '未安装 ClamAV（clamscan），四性检测不做病毒扫描';
  else if (database && !fs.existsSync(database))
    problem = `ClamAV 病毒库不存在（${database}），四性检测不做病毒扫描`;
  return { available: problem === null, problem, database };
}

export async function systemStatus(sources: StatusSources): Promise<SystemStatus> {
  const [keys, ocr] = await Promise.all([keysOf(sources), ocrOf(sources)]);
  return {
    version: VERSION,
    database: sources.database.kind,
    replicas: replicasOf(sources),
    keys,
    ocr,
    clamav: clamavOf(sources),
  };
}
