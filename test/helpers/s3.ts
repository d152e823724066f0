import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { S3Settings } from '../../src/config/replicas.js';

// A real S3-compatible server (s3rver) on a loopback port, storing under a temporary directory:
// the S3 replica speaks HTTP and SigV4 to it exactly as it would to MinIO or a cloud bucket.

export interface TestS3 {
  endpoint: string;
  port: number;
  directory: string;
  /** YIDANG_S3_* variables for loadConfig. */
  env: Record<string, string>;
  settings: S3Settings;
  /** An SDK client of the test's own, for reaching behind Yidang's back. */
  client: S3Client;
  /** Stops the server (the stored objects stay, for a restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

// Tests create their own SDK clients; the SDK's notice about its future Node 22 floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const S3_BUCKET = 'yidang-test';
const ACCESS = 'S3RVER';

export async function startTestS3(buckets: string[] = [S3_BUCKET]): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-s3-'));
  const options = (port: number) => ({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  let server = new S3rver(options(0));
  const { port } = await server.run();
  let running = true;
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (running) await server.close();
    running = false;
  };
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS, secretAccessKey: ACCESS },
  });
  return {
    endpoint,
    port,
    directory,
    env: {
      YIDANG_S3_ENDPOINT: endpoint,
      YIDANG_S3_ACCESS_KEY_ID: ACCESS,
      YIDANG_S3_SECRET_ACCESS_KEY: ACCESS,
    },
    settings: {
      region: 'us-east-1',
      endpoint,
      pathStyle: true,
      accessKeyId: ACCESS,
      secretAccessKey: ACCESS,
    },
    client,
    stop,
    restart: async () => {
      await stop();
      server = new S3rver(options(port));
      await server.run();
      running = true;
    },
    dispose: async () => {
      client.destroy();
      await stop();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
