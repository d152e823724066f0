import path from 'node:path';
import { invalid } from '../shared/errors.js';

// Where copies of every file are kept (副本位置), parsed from YIDANG_REPLICAS: local or mounted
// directories, and S3-compatible object storage (对象存储) such as MinIO, Ceph or a cloud bucket.

export interface DirectoryReplicaSpec {
  /** Stable name recorded in the catalog against each copy. */
  name: string;
  kind: 'directory';
  location: string;
  /** A file is acknowledged only when every required replica holds it. */
  required: boolean;
}

export interface S3ReplicaSpec {
  name: string;
  kind: 's3';
  /** As written in the configuration, for messages: s3://bucket/prefix. */
  location: string;
  bucket: string;
  /** Key prefix below the bucket, empty or ending in '/'. */
  prefix: string;
  /** Endpoint of an S3-compatible service; undefined means AWS itself (or YIDANG_S3_ENDPOINT). */
  endpoint: string | undefined;
  required: boolean;
}

export type ReplicaSpec = DirectoryReplicaSpec | S3ReplicaSpec;

/** Connection settings shared by every S3 replica (YIDANG_S3_*; credentials may also come from AWS_*). */
export interface S3Settings {
  region: string;
  endpoint: string | undefined;
  /** Path-style addressing (http://host/bucket/key), which MinIO and most compatible stores expect. */
  pathStyle: boolean;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
}

type Env = Record<string, string | undefined>;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function configError(message: string) {
  return invalid('CONFIG_INVALID', `配置错误：${message}`);
}

function parseEndpoint(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`${name} 不是有效的地址：“${raw.slice(0, 60)}”`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw configError(`${name} 只支持 http:// 或 https://`);
  if (url.username || url.password)
    throw configError(`${name} 不能含有账号密码，请用 YIDANG_S3_ACCESS_KEY_ID / YIDANG_S3_SECRET_ACCESS_KEY`);
  return url.origin;
}

/**
 * `s3://bucket/prefix` (endpoint from YIDANG_S3_ENDPOINT, or AWS) or `s3+http(s)://host:port/bucket/prefix`
 * for a compatible store at that address.
 */
function parseS3Location(name: string, location: string, required: boolean): S3ReplicaSpec {
  const match = /^s3(?:\+(https?))?:\/\/(.+)$/i.exec(location);
  if (!match) throw configError(`副本“${name}”的地址应形如 s3://桶名/前缀 或 s3+https://主机:端口/桶名/前缀`);
  let rest = match[2] as string;
  let endpoint: string | undefined;
  if (match[1]) {
    const slash = rest.indexOf('/');
    const host = slash < 0 ? rest : rest.slice(0, slash);
    endpoint = parseEndpoint(`${match[1].toLowerCase()}://${host}`, `副本“${name}”的地址`);
    rest = slash < 0 ? '' : rest.slice(slash + 1);
  }
  const [bucket = '', ...keyParts] = rest.split('/');
  if (!BUCKET.test(bucket))
    throw configError(`副本“${name}”的桶名“${bucket.slice(0, 64)}”无效（3–63 位小写字母、数字、点或连字符）`);
  const segments = keyParts.filter((part) => part !== '');
  const unsafe = (part: string) =>
    part === '.' ||
    part === '..' ||
    part.includes('\\') ||
    [...part].some((char) => char.charCodeAt(0) < 0x20);
  if (segments.some(unsafe)) throw configError(`副本“${name}”的前缀不能含有 . 或 .. 段和控制字符`);
  const prefix = segments.length > 0 ? `${segments.join('/')}/` : '';
  return { name, kind: 's3', location: `s3://${bucket}/${prefix}`, bucket, prefix, endpoint, required };
}

/**
 * YIDANG_REPLICAS: comma-separated `name=location` entries (a bare location gets the name r1, r2, …),
 * where a location is a directory (relative paths are under home) or an S3 address; a trailing `?`
 * marks a best-effort replica that fixity fills in later.
 */
export function parseReplicas(raw: string | undefined, home: string): ReplicaSpec[] {
  const value = raw?.trim();
  if (!value)
    return [{ name: 'local', kind: 'directory', location: path.join(home, 'blobs'), required: true }];
  const specs: ReplicaSpec[] = [];
  for (const [index, entry] of value.split(',').entries()) {
    let text = entry.trim();
    if (text === '') continue;
    const required = !text.endsWith('?');
    if (!required) text = text.slice(0, -1);
    const match = /^([A-Za-z0-9_-]{1,32})\s*=\s*(.+)$/.exec(text);
    const name = match ? (match[1] as string) : `r${index + 1}`;
    const location = (match ? (match[2] as string) : text).trim();
    if (location.includes('\0')) throw configError('YIDANG_REPLICAS 含有非法字符');
    if (specs.some((spec) => spec.name === name)) throw configError(`YIDANG_REPLICAS 中副本名“${name}”重复`);
    if (/^s3(\+https?)?:\/\//i.test(location)) specs.push(parseS3Location(name, location, required));
    else if (/^[a-z0-9+.-]+:\/\//i.test(location))
      throw configError(
        `YIDANG_REPLICAS 中的“${location.slice(0, 60)}”既不是目录也不是 s3:// 地址；其他网络存储请挂载为目录`,
      );
    else specs.push({ name, kind: 'directory', location: path.resolve(home, location), required });
  }
  if (specs.length === 0) throw configError('YIDANG_REPLICAS 没有列出任何位置');
  const places = new Set(
    specs.map((spec) => (spec.kind === 's3' ? `${spec.endpoint}|${spec.location}` : spec.location)),
  );
  if (places.size !== specs.length) throw configError('YIDANG_REPLICAS 中有两个副本指向同一位置');
  if (!specs.some((spec) => spec.required))
    throw configError('YIDANG_REPLICAS 至少要有一个必需副本（不带 ?）');
  return specs;
}

export function parseS3Settings(env: Env): S3Settings {
  const endpoint = env.YIDANG_S3_ENDPOINT?.trim()
    ? parseEndpoint(env.YIDANG_S3_ENDPOINT.trim(), 'YIDANG_S3_ENDPOINT')
    : undefined;
  const pathStyleRaw = env.YIDANG_S3_PATH_STYLE?.trim().toLowerCase();
  if (pathStyleRaw && !['true', 'false', '1', '0'].includes(pathStyleRaw))
    throw configError('YIDANG_S3_PATH_STYLE 应为 true 或 false');
  const accessKeyId = env.YIDANG_S3_ACCESS_KEY_ID?.trim() || undefined;
  const secretAccessKey = env.YIDANG_S3_SECRET_ACCESS_KEY?.trim() || undefined;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey))
    throw configError('YIDANG_S3_ACCESS_KEY_ID 与 YIDANG_S3_SECRET_ACCESS_KEY 须同时设置');
  return {
    region: env.YIDANG_S3_REGION?.trim() || 'us-east-1',
    endpoint,
    pathStyle: pathStyleRaw ? pathStyleRaw === 'true' || pathStyleRaw === '1' : true,
    accessKeyId,
    secretAccessKey,
  };
}
