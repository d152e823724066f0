import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildEep, type EepInput, type EepSigner, parseEep, verifyEep } from './eep.js';

// The DA/T 48 encapsulation package: built, parsed back to the same facts, its signature verified
// with Ed25519 and SM2, and every kind of tampering or trickery refused with a message naming it.

function signer(algorithm: 'ed25519' | 'sm2'): EepSigner {
  const pair =
    algorithm === 'ed25519'
      ? crypto.generateKeyPairSync('ed25519')
      : crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
  // As the keyring loads it: through PEM, so an SM2 key signs with SM2.
  const privateKey = crypto.createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { algorithm, privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

const input: EepInput = {
  archiveCode: 'J013-JSLX-2024-JSK-0001',
  createdAt: new Date('2026-12-28T02:00:00Z'),
  organisation: { name: '某市医疗保障局', fonds: 'J013', fondsName: '某市医疗保障局' },
  filedBy: 'archivist',
  filedAt: '2024-03-15T02:20:00.000Z',
  metadata: {
    archiveCode: 'J013-JSLX-2024-JSK-0001',
    title: '张三 门诊慢特病待遇申请 <含附件> & 说明',
    idNumber: '11010519491231002X',
    name: '张三',
    year: 2024,
    amount: '1234.50',
    paperLocation: { warehouse: 'A', cabinet: '1', shelf: '2', box: '3' },
    extra: { diagnosis: '高血压', note: 'line1\r\nline2' },
    docNumber: null,
  },
  labels: { title: '题名', idNumber: '身份证号' },
  files: [
    {
      name: '申请表.pdf',
      size: 1234,
      mediaType: 'application/pdf',
      digestAlgorithm: 'sha256',
      digest: 'ab'.repeat(32),
      ref: 'files/申请表.pdf',
    },
    { name: 'scan 1.tif', size: 0, digestAlgorithm: 'sm3', digest: 'cd'.repeat(32), ref: 'files/scan 1.tif' },
  ],
};

describe('EEP', () => {
  it.each(['ed25519', 'sm2'] as const)('round-trips and verifies with %s', (algorithm) => {
    const key = signer(algorithm);
    const xml = buildEep(input, key);
    expect(xml).toContain('<电子文件封装包 xmlns="http://www.saac.gov.cn/standards/ERM/encapsulation">');
    expect(xml).toContain('<封装包类型>原始型</封装包类型>');
    expect(xml).toContain(
      '<元数据 名称="title" 中文名="题名">张三 门诊慢特病待遇申请 &lt;含附件&gt; &amp; 说明</元数据>',
    );
    const parsed = parseEep(Buffer.from(xml, 'utf8'));
    expect(parsed.archiveCode).toBe(input.archiveCode);
    expect(parsed.packageType).toBe('原始型');
    expect(parsed.createdAt).toBe('2026-12-28T10:00:00+08:00');
    expect(parsed.organisation).toEqual(input.organisation);
    expect(parsed.filedBy).toBe('archivist');
    const { docNumber: _omitted, ...expected } = input.metadata;
    expect(parsed.item).toEqual(expected);
    expect(parsed.files).toEqual(input.files);
    expect(parsed.algorithm).toBe(algorithm);
    expect(parsed.signedBytes.toString('utf8').startsWith('<被签名对象')).toBe(true);
    expect(parsed.signedBytes.toString('utf8').endsWith('</被签名对象>')).toBe(true);
    expect(() => verifyEep(parsed, key.publicKey)).not.toThrow();
  });

  it('refuses a change to anything signed, and a signature by another key', () => {
    const key = signer('ed25519');
    const xml = buildEep(input, key);
    const tampered = parseEep(xml.replace('<大小>1234</大小>', '<大小>1235</大小>'));
    expect(() => verifyEep(tampered)).toThrowError(
      expect.objectContaining({ code: 'EEP_SIGNATURE_INVALID' }),
    );
    const renamed = parseEep(xml.replace('张三', '李四'));
    expect(() => verifyEep(renamed)).toThrow('封装包签名无效');
    expect(() => verifyEep(parseEep(xml), signer('ed25519').publicKey)).toThrowError(
      expect.objectContaining({ code: 'EEP_KEY_MISMATCH' }),
    );
    // A whole new signature by an impostor's key verifies on its own, but not against the bag's key.
    const impostor = parseEep(buildEep({ ...input, title: 'x' } as EepInput, signer('ed25519')));
    expect(() => verifyEep(impostor)).not.toThrow();
    expect(() => verifyEep(impostor, key.publicKey)).toThrow('不是由移交包声明的签名密钥签署的');
  });

  it.each([
    [
      'a DOCTYPE (entities)',
      (x: string) => x.replace('<电子文件封装包', '<!DOCTYPE x [<!ENTITY a "b">]><电子文件封装包'),
      'DOCTYPE',
    ],
    ['a comment', (x: string) => x.replace('<版本>', '<!-- <被签名对象> --><版本>'), '注释'],
    ['CDATA', (x: string) => x.replace('<版本>2009', '<版本><![CDATA[2009]]>'), 'CDATA'],
    ['an unknown element', (x: string) => x.replace('<版本>', '<额外>1</额外><版本>'), '不认识的元素 额外'],
    [
      'a second signed object',
      (x: string) => x.replace(/(<被签名对象[\s\S]*<\/被签名对象>)/, '$1$1'),
      '被签名对象 出现了 2 次',
    ],
    [
      'elements out of order',
      (x: string) => x.replace(/(<大小>.*<\/大小>)\s*(<格式>.*<\/格式>)/, '$2$1'),
      '顺序不对',
    ],
    ['a missing digest', (x: string) => x.replace(/<摘要值>[^<]*<\/摘要值>/, ''), '缺少 摘要值'],
    [
      'a bad digest',
      (x: string) => x.replace(/<摘要值>[^<]*</, '<摘要值>xyz<'),
      '摘要值不是 64 位十六进制数',
    ],
    ['a negative size', (x: string) => x.replace('<大小>1234', '<大小>-1'), '大小不是非负整数'],
    ['an unknown digest', (x: string) => x.replace('<摘要算法>SHA256', '<摘要算法>MD5'), '“MD5”不受支持'],
    [
      'an unknown signature algorithm',
      (x: string) => x.replace('>Ed25519<', '>RSA<'),
      '签名算法“RSA”不受支持',
    ],
    ['a broken key', (x: string) => x.replace(/<证书>[^<]*</, '<证书>AAAA<'), '公钥无法解析'],
    ['unclosed XML', (x: string) => x.slice(0, -30), 'XML 有误'],
    ['another root', (x: string) => x.replace(/电子文件封装包/g, '封装包'), '不认识的元素 封装包'],
    ['a wrong version', (x: string) => x.replace('<版本>2009', '<版本>2030'), '版本应为 2009'],
  ])('refuses %s', (_what, change, message) => {
    const xml = change(buildEep(input, signer('ed25519')));
    expect(() => parseEep(xml)).toThrowError(expect.objectContaining({ code: 'EEP_MALFORMED' }));
    expect(() => parseEep(xml)).toThrow(message);
  });

  it('refuses bytes that are not UTF-8 and text XML cannot carry', () => {
    expect(() => parseEep(Buffer.from([0x3c, 0xff, 0xfe]))).toThrow('不是有效的 UTF-8');
    expect(() => buildEep({ ...input, metadata: { title: 'a\u0001b' } }, signer('ed25519'))).toThrowError(
      expect.objectContaining({ code: 'EEP_MALFORMED' }),
    );
  });
});
