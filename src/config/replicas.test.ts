import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isYidangError } from '../shared/errors.js';
import { parseReplicas, parseS3Settings } from './replicas.js';

function errorOf(action: () => unknown): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    if (isYidangError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('no error was thrown');
}
const codeOf = (action: () => unknown) => errorOf(action).code;

describe('parseReplicas', () => {
  const home = path.resolve('/srv/yidang');

  it('defaults to one required replica named local under home', () => {
    for (const raw of [undefined, '', '   '])
      expect(parseReplicas(raw, home)).toEqual([
        { name: 'local', kind: 'directory', location: path.join(home, 'blobs'), required: true },
      ]);
  });

  it('takes names, optional marks, and resolves relative paths under home', () => {
    expect(parseReplicas('main=/mnt/a, backup=x ,offsite=/mnt/nas/yidang?', home)).toEqual([
      { name: 'main', kind: 'directory', location: path.resolve('/mnt/a'), required: true },
      { name: 'backup', kind: 'directory', location: path.join(home, 'x'), required: true },
      { name: 'offsite', kind: 'directory', location: path.resolve('/mnt/nas/yidang'), required: false },
    ]);
    expect(
      parseReplicas('a=one,b=two?', home).map((spec) => [spec.name, spec.location, spec.required]),
    ).toEqual([
      ['a', path.join(home, 'one'), true],
      ['b', path.join(home, 'two'), false],
    ]);
  });

  it('names bare directories r1, r2, … by position', () => {
    expect(parseReplicas('/mnt/a,/mnt/b?', home).map((spec) => [spec.name, spec.required])).toEqual([
      ['r1', true],
      ['r2', false],
    ]);
  });

  it('refuses duplicate names and two names for one directory', () => {
    expect(codeOf(() => parseReplicas('a=/mnt/x,a=/mnt/y', home))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseReplicas('a=/mnt/x,b=/mnt/x', home))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseReplicas('a=data,b=./data/', home))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseReplicas(`a=blobs,b=${path.join(home, 'blobs')}`, home))).toBe('CONFIG_INVALID');
  });

  it('refuses other URL schemes, no required replica, and an empty list', () => {
    for (const raw of ['a=/mnt/x,b=smb://nas/share', 'c=file:///mnt/x', 'a=/x?,b=/y?', ',', ' , ,'])
      expect(
        codeOf(() => parseReplicas(raw, home)),
        raw,
      ).toBe('CONFIG_INVALID');
    expect(errorOf(() => parseReplicas('a=/mnt/x,b=https://nas.example/yidang', home)).message).toContain(
      '既不是目录也不是 s3:// 地址',
    );
  });
});

describe('parseReplicas with object storage', () => {
  const home = path.resolve('/srv/yidang');

  it('reads s3://bucket/prefix with the shared endpoint, and s3+http(s):// with its own', () => {
    expect(parseReplicas('local=blobs,cloud=s3://yidang-archive/county/blobs/?', home)).toEqual([
      { name: 'local', kind: 'directory', location: path.join(home, 'blobs'), required: true },
      {
        name: 'cloud',
        kind: 's3',
        location: 's3://yidang-archive/county/blobs/',
        bucket: 'yidang-archive',
        prefix: 'county/blobs/',
        endpoint: undefined,
        required: false,
      },
    ]);
    const [minio] = parseReplicas('minio=s3+http://10.0.0.5:9000/yidang', home);
    expect(minio).toMatchObject({
      kind: 's3',
      bucket: 'yidang',
      prefix: '',
      endpoint: 'http://10.0.0.5:9000',
      location: 's3://yidang/',
    });
    const [oss] = parseReplicas('oss=S3+HTTPS://oss.example.cn/bucket-1//a//b', home);
    expect(oss).toMatchObject({ bucket: 'bucket-1', prefix: 'a/b/', endpoint: 'https://oss.example.cn' });
  });

  it('refuses bad bucket names, dot segments, credentials in the address and two names for one place', () => {
    for (const raw of [
      'a=s3://',
      'a=s3://UPPER/x',
      'a=s3://ab/x',
      'a=s3://bucket_underscore',
      'a=s3://bucket/../x',
      'a=s3://bucket/./x',
      'a=s3+http://user:secret@host:9000/bucket',
      'a=s3+ftp://host/bucket',
      'a=s3://bucket/x,b=s3://bucket/x/',
    ])
      expect(
        codeOf(() => parseReplicas(raw, home)),
        raw,
      ).toBe('CONFIG_INVALID');
    expect(errorOf(() => parseReplicas('a=s3://UPPER/x', home)).message).toContain('桶名“UPPER”无效');
    // The same bucket and prefix on two different services are two places.
    expect(parseReplicas('a=s3+http://h1:9000/bucket,b=s3+http://h2:9000/bucket', home)).toHaveLength(2);
  });
});

describe('parseS3Settings', () => {
  it('defaults to us-east-1, AWS itself and the SDK credential chain', () => {
    expect(parseS3Settings({})).toEqual({
      region: 'us-east-1',
      endpoint: undefined,
      pathStyle: true,
      accessKeyId: undefined,
      secretAccessKey: undefined,
    });
  });

  it('reads the endpoint, region, path style and a key pair', () => {
    expect(
      parseS3Settings({
        YIDANG_S3_ENDPOINT: 'https://minio.example.cn:9000/',
        YIDANG_S3_REGION: 'cn-north-1',
        YIDANG_S3_PATH_STYLE: 'false',
        YIDANG_S3_ACCESS_KEY_ID: 'AK',
        YIDANG_S3_SECRET_ACCESS_KEY: 'SK',
      }),
    ).toEqual({
      region: 'cn-north-1',
      endpoint: 'https://minio.example.cn:9000',
      pathStyle: false,
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
    });
  });

  it('refuses a half key pair, a bad endpoint and a bad path-style flag', () => {
    for (const env of [
      { YIDANG_S3_ACCESS_KEY_ID: 'AK' },
      { YIDANG_S3_SECRET_ACCESS_KEY: 'SK' },
      { YIDANG_S3_ENDPOINT: 'minio:9000' },
      { YIDANG_S3_ENDPOINT: 'ftp://minio' },
      { YIDANG_S3_ENDPOINT: 'http://ak:sk@minio' },
      { YIDANG_S3_PATH_STYLE: 'maybe' },
    ])
      expect(
        codeOf(() => parseS3Settings(env)),
        JSON.stringify(env),
      ).toBe('CONFIG_INVALID');
  });
});
