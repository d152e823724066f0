import crypto, { type KeyObject } from 'node:crypto';
import { SaxesParser } from 'saxes';
import { beijingIso } from '../../shared/beijing-time.js';
import { YidangError } from '../../shared/errors.js';
import { hasBadText } from '../../shared/well-formed.js';
import { type SigningAlgorithm, signWithKey, verifyWithKey } from '../storage/keyring.js';
import type { BagDigest } from './bag.write.js';

// The electronic-record encapsulation package (电子文件封装包, EEP) of DA/T 48-2009, one per 件: the
// files (referenced by their path in the bag, with size and digest), the item's metadata in full
// (业务实体块: this is the archive handed over, nothing masked), the fonds and filer (机构人员实体块),
// and an electronic signature (电子签名块) by the system's signing key.
//
// What is signed is the exact UTF-8 text of the 被签名对象 element, from `<被签名对象` to
// `</被签名对象>`, as written; no canonicalisation is needed because the parser refuses comments,
// CDATA, processing instructions and DTDs, and every element is one the structure names, so that
// text range is unambiguous and everything parseEep returns was read from inside it.

export const EEP_NAMESPACE = 'http://www.saac.gov.cn/standards/ERM/encapsulation';
export const EEP_VERSION = '2009';
const FORMAT_DESCRIPTION = '本EEP根据中华人民共和国档案行业标准DA/T 48-2009《基于XML的电子文件封装规范》生成';
const TYPE_DESCRIPTION = '本封装包包含电子文件数据及其元数据，原始封装，未经修改';
const SIGNING_RULE = '对“被签名对象”元素（自“<被签名对象”至“</被签名对象>”）的 UTF-8 原文签名';
const MAX_XML_BYTES = 16 * 1024 * 1024;
const MAX_FILES = 10_000;
/** OID 1.2.156.10197.1.301 (the SM2 curve), DER-encoded. */
const SM2_CURVE_OID = Buffer.from('06082a811ccf5501822d', 'hex');

const ALGORITHM_NAMES: Record<SigningAlgorithm, string> = { ed25519: 'Ed25519', sm2: 'SM2-SM3' };
const DIGEST_NAMES: Record<BagDigest, string> = { sha256: 'SHA256', sm3: 'SM3' };

export interface EepFile {
  /** The file's name as filed (NFC). */
  name: string;
  size: number;
  mediaType?: string;
  digestAlgorithm: BagDigest;
  /** Hex. */
  digest: string;
  /** Where the content is, relative to the EEP's own folder (files/…). */
  ref: string;
}

export interface EepOrganisation {
  /** 立档单位 / the organisation handing over. */
  name: string;
  fonds: string;
  fondsName?: string;
}

export interface EepInput {
  archiveCode: string;
  createdAt: Date;
  organisation: EepOrganisation;
  /** Who filed the item and when (机构人员实体块). */
  filedBy?: string;
  filedAt?: string;
  /** The item's metadata, key → value; null and undefined are left out, objects written as JSON. */
  metadata: Readonly<Record<string, unknown>>;
  /** Chinese names of the metadata keys, written beside them for people reading the XML. */
  labels?: Readonly<Record<string, string>>;
  files: readonly EepFile[];
}

export interface EepSigner {
  algorithm: SigningAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface ParsedEep {
  archiveCode: string;
  packageType: '原始型' | '修改型';
  createdAt: string;
  organisation: EepOrganisation;
  filedBy: string | null;
  filedAt: string | null;
  item: Record<string, unknown>;
  files: EepFile[];
  /** The bytes the signature covers. */
  signedBytes: Buffer;
  signature: Buffer;
  algorithm: SigningAlgorithm;
  publicKey: KeyObject;
  signedAt: string;
}

const malformed = (why: string) =>
  new YidangError('EEP_MALFORMED', 'invalid', `封装包（EEP）格式不对：${why}`);

// XML 1.0 allows tab, LF, CR and everything from U+0020 except the surrogates and U+FFFE/U+FFFF.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 forbids are what is refused
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/u;

function escapeXml(value: string, where: string): string {
  if (XML_FORBIDDEN.test(value) || hasBadText(value)) throw malformed(`${where}含有 XML 不允许的字符`);
  // CR is kept as a character reference: a parser would otherwise turn it into LF.
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;');
}

const leaf = (name: string, value: string, indent: string, attributes = '') =>
  `${indent}<${name}${attributes}>${escapeXml(value, name)}</${name}>\n`;

function metadataLines(input: EepInput, indent: string): string {
  let out = '';
  for (const [key, value] of Object.entries(input.metadata)) {
    if (value === null || value === undefined) continue;
    const json = typeof value === 'object';
    const text = json ? JSON.stringify(value) : String(value);
    const label = input.labels?.[key];
    const attributes =
      ` 名称="${escapeXml(key, '元数据名称')}"` +
      (label ? ` 中文名="${escapeXml(label, '元数据中文名')}"` : '') +
      (json ? ' 类型="json"' : typeof value === 'number' ? ' 类型="number"' : '');
    out += leaf('元数据', text, indent, attributes);
  }
  return out;
}

function signedObject(input: EepInput): string {
  const i = (depth: number) => '  '.repeat(depth);
  let files = '';
  input.files.forEach((file, index) => {
    files += `${i(4)}<文件实体 序号="${index + 1}">\n`;
    files += leaf('文件名', file.name, i(5));
    files += leaf('大小', String(file.size), i(5));
    if (file.mediaType) files += leaf('格式', file.mediaType, i(5));
    files += leaf('摘要算法', DIGEST_NAMES[file.digestAlgorithm], i(5));
    files += leaf('摘要值', file.digest, i(5));
    files += leaf('引用', file.ref, i(5));
    files += `${i(4)}</文件实体>\n`;
  });
  const org = input.organisation;
  return (
    `<被签名对象 eep版本="${EEP_VERSION}">\n` +
    leaf('封装包类型', '原始型', i(2)) +
    leaf('封装包类型描述', TYPE_DESCRIPTION, i(2)) +
    leaf('封装包创建时间', beijingIso(input.createdAt), i(2)) +
    leaf('封装包创建单位', org.name, i(2)) +
    `${i(2)}<封装内容>\n` +
    `${i(3)}<文件实体块>\n${files}${i(3)}</文件实体块>\n` +
    `${i(3)}<业务实体块>\n${leaf('档号', input.archiveCode, i(4))}${metadataLines(input, i(4))}${i(3)}</业务实体块>\n` +
    `${i(3)}<机构人员实体块>\n` +
    leaf('立档单位名称', org.name, i(4)) +
    leaf('全宗号', org.fonds, i(4)) +
    (org.fondsName ? leaf('全宗名称', org.fondsName, i(4)) : '') +
    (input.filedBy ? leaf('归档人', input.filedBy, i(4)) : '') +
    (input.filedAt ? leaf('归档时间', input.filedAt, i(4)) : '') +
    `${i(3)}</机构人员实体块>\n` +
    `${i(2)}</封装内容>\n` +
    `${i(1)}</被签名对象>`
  );
}

const spkiCache = new WeakMap<KeyObject, string>();

/** A public key as base64 DER SubjectPublicKeyInfo (exported once per key: every EEP carries it). */
export function spkiBase64(publicKey: KeyObject): string {
  let value = spkiCache.get(publicKey);
  if (value === undefined) {
    value = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    spkiCache.set(publicKey, value);
  }
  return value;
}

/** The EEP of one item as XML text (UTF-8), signed with `signer`. */
export function buildEep(input: EepInput, signer: EepSigner): string {
  if (input.files.length > MAX_FILES) throw malformed(`文件超过 ${MAX_FILES} 个`);
  const signed = signedObject(input);
  const signature = signWithKey(signer.privateKey, Buffer.from(signed, 'utf8'));
  const i = (depth: number) => '  '.repeat(depth);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<电子文件封装包 xmlns="${EEP_NAMESPACE}">\n` +
    leaf('封装包格式描述', FORMAT_DESCRIPTION, i(1)) +
    leaf('版本', EEP_VERSION, i(1)) +
    `${i(1)}${signed}\n` +
    `${i(1)}<电子签名块>\n` +
    `${i(2)}<电子签名 签名标识符="1">\n` +
    leaf('签名规则', SIGNING_RULE, i(3)) +
    leaf('签名时间', beijingIso(input.createdAt), i(3)) +
    leaf('签名人', input.organisation.name, i(3)) +
    leaf('签名结果', signature.toString('base64'), i(3)) +
    `${i(3)}<证书块>\n${leaf('证书', spkiBase64(signer.publicKey), i(4))}${i(3)}</证书块>\n` +
    leaf('签名算法标识', ALGORITHM_NAMES[signer.algorithm], i(3)) +
    `${i(2)}</电子签名>\n` +
    `${i(1)}</电子签名块>\n` +
    '</电子文件封装包>\n'
  );
}

// --- parsing ----------------------------------------------------------------------------------

interface Node {
  name: string;
  attributes: Record<string, string>;
  children: Node[];
  text: string;
}

type Count = [min: number, max: number];
/** Each element's children in order, with how often each may occur; an element not listed is a leaf. */
const SHAPE: Record<string, Array<[string, ...Count]>> = {
  电子文件封装包: [
    ['封装包格式描述', 1, 1],
    ['版本', 1, 1],
    ['被签名对象', 1, 1],
    ['电子签名块', 1, 1],
  ],
  被签名对象: [
    ['封装包类型', 1, 1],
    ['封装包类型描述', 0, 1],
    ['封装包创建时间', 1, 1],
    ['封装包创建单位', 1, 1],
    ['封装内容', 1, 1],
  ],
  封装内容: [
    ['文件实体块', 1, 1],
    ['业务实体块', 1, 1],
    ['机构人员实体块', 1, 1],
  ],
  文件实体块: [['文件实体', 0, MAX_FILES]],
  文件实体: [
    ['文件名', 1, 1],
    ['大小', 1, 1],
    ['格式', 0, 1],
    ['摘要算法', 1, 1],
    ['摘要值', 1, 1],
    ['引用', 1, 1],
  ],
  业务实体块: [
    ['档号', 1, 1],
    ['元数据', 0, 1000],
  ],
  机构人员实体块: [
    ['立档单位名称', 1, 1],
    ['全宗号', 1, 1],
    ['全宗名称', 0, 1],
    ['归档人', 0, 1],
    ['归档时间', 0, 1],
  ],
  电子签名块: [['电子签名', 1, 1]],
  电子签名: [
    ['签名规则', 0, 1],
    ['签名时间', 1, 1],
    ['签名人', 1, 1],
    ['签名结果', 1, 1],
    ['证书块', 1, 1],
    ['签名算法标识', 1, 1],
  ],
  证书块: [['证书', 1, 1]],
};
const LEAVES = new Set(Object.values(SHAPE).flatMap((children) => children.map(([name]) => name)));

function checkShape(node: Node, where: string): void {
  const spec = SHAPE[node.name];
  const here = `${where}/${node.name}`;
  if (!spec) {
    if (node.children.length > 0) throw malformed(`${here} 不应含有子元素`);
    return;
  }
  if (node.text.trim() !== '') throw malformed(`${here} 不应直接含有文字`);
  let at = 0;
  for (const [name, min, max] of spec) {
    let count = 0;
    while (node.children[at]?.name === name) {
      at += 1;
      count += 1;
    }
    if (count < min) {
      const later = node.children.slice(at).some((c) => c.name === name);
      throw malformed(later ? `${here} 中 ${name} 的顺序不对` : `${here} 缺少 ${name}`);
    }
    if (count > max) throw malformed(`${here} 中 ${name} 出现了 ${count} 次（至多 ${max} 次）`);
  }
  const extra = node.children[at];
  if (extra) throw malformed(`${here} 中的 ${extra.name} 不应出现或顺序不对`);
  for (const child of node.children) checkShape(child, here);
}

function parseTree(xml: string): Node {
  const parser = new SaxesParser({ position: true });
  const stack: Node[] = [];
  let root: Node | undefined;
  let failure: YidangError | undefined;
  const fail = (why: string) => {
    failure ??= malformed(why);
  };
  parser.on('error', (error) => fail(`XML 有误：${error.message.slice(0, 120)}`));
  parser.on('doctype', () => fail('不允许 DOCTYPE'));
  parser.on('comment', () => fail('不允许注释'));
  parser.on('cdata', () => fail('不允许 CDATA'));
  parser.on('processinginstruction', () => fail('不允许处理指令'));
  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && decl.encoding.toUpperCase() !== 'UTF-8') fail('编码应为 UTF-8');
  });
  parser.on('opentag', (tag) => {
    const name = tag.name;
    if (name !== '电子文件封装包' && !LEAVES.has(name)) fail(`不认识的元素 ${name.slice(0, 40)}`);
    const node: Node = { name, attributes: tag.attributes as Record<string, string>, children: [], text: '' };
    const parent = stack.at(-1);
    if (parent) parent.children.push(node);
    else if (root) fail('文档有多个根元素');
    else root = node;
    stack.push(node);
  });
  parser.on('text', (text) => {
    const top = stack.at(-1);
    if (top) top.text += text;
    else if (text.trim() !== '') fail('根元素之外有文字');
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  try {
    parser.write(xml);
    parser.close();
  } catch (error) {
    fail(`XML 有误：${(error as Error).message.slice(0, 120)}`);
  }
  if (failure) throw failure;
  if (!root) throw malformed('没有根元素');
  return root;
}

const child = (node: Node, name: string): Node | undefined => node.children.find((c) => c.name === name);
const textOf = (node: Node, name: string): string => child(node, name)?.text ?? '';
const optionalText = (node: Node, name: string): string | null => child(node, name)?.text ?? null;

function decodeBase64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact) || compact === '')
    throw malformed(`${what}不是有效的 base64`);
  return Buffer.from(compact, 'base64');
}

function parseFile(node: Node): EepFile {
  const number = node.attributes.序号 ?? '?';
  const where = `第 ${number} 个文件实体`;
  const sizeText = textOf(node, '大小').trim();
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) throw malformed(`${where}的大小不是非负整数`);
  const algorithmName = textOf(node, '摘要算法').trim();
  const digestAlgorithm = (Object.keys(DIGEST_NAMES) as BagDigest[]).find(
    (key) => DIGEST_NAMES[key] === algorithmName.toUpperCase(),
  );
  if (!digestAlgorithm) throw malformed(`${where}的摘要算法“${algorithmName.slice(0, 20)}”不受支持`);
  const digest = textOf(node, '摘要值').trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(digest)) throw malformed(`${where}的摘要值不是 64 位十六进制数`);
  const name = textOf(node, '文件名');
  const ref = textOf(node, '引用').trim();
  if (name === '' || ref === '') throw malformed(`${where}缺少文件名或引用`);
  const mediaType = optionalText(node, '格式');
  return {
    name,
    size: Number(sizeText),
    ...(mediaType ? { mediaType } : {}),
    digestAlgorithm,
    digest,
    ref,
  };
}

function parseMetadata(block: Node): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const entry of block.children) {
    if (entry.name !== '元数据') continue;
    const key = entry.attributes.名称;
    if (!key) throw malformed('元数据缺少“名称”属性');
    if (Object.hasOwn(item, key) || key === '__proto__') throw malformed(`元数据“${key.slice(0, 40)}”重复`);
    const type = entry.attributes.类型;
    if (type === 'json') {
      try {
        item[key] = JSON.parse(entry.text);
      } catch {
        throw malformed(`元数据“${key.slice(0, 40)}”不是有效的 JSON`);
      }
    } else if (type === 'number') {
      const value = Number(entry.text);
      if (!Number.isFinite(value)) throw malformed(`元数据“${key.slice(0, 40)}”不是数字`);
      item[key] = value;
    } else if (type === undefined) item[key] = entry.text;
    else throw malformed(`元数据“${key.slice(0, 40)}”的类型“${type.slice(0, 20)}”不受支持`);
  }
  return item;
}

function parseAlgorithm(name: string): SigningAlgorithm {
  const found = (Object.keys(ALGORITHM_NAMES) as SigningAlgorithm[]).find(
    (key) => ALGORITHM_NAMES[key] === name.trim(),
  );
  if (!found) throw malformed(`签名算法“${name.slice(0, 20)}”不受支持（应为 Ed25519 或 SM2-SM3）`);
  return found;
}

function parsePublicKey(text: string, algorithm: SigningAlgorithm): KeyObject {
  let key: KeyObject;
  try {
    key = crypto.createPublicKey({ key: decodeBase64(text, '证书'), format: 'der', type: 'spki' });
  } catch (error) {
    if (error instanceof YidangError) throw error;
    throw malformed('证书中的公钥无法解析');
  }
  // Node names no type for an SM2 key; its SPKI carries the SM2 curve's OID.
  const sm2 = key.export({ type: 'spki', format: 'der' }).includes(SM2_CURVE_OID);
  if ((algorithm === 'ed25519' && key.asymmetricKeyType !== 'ed25519') || (algorithm === 'sm2' && !sm2))
    throw malformed(`证书中的公钥不是 ${ALGORITHM_NAMES[algorithm]} 密钥`);
  return key;
}

/** Reads an EEP; throws EEP_MALFORMED naming what is wrong. The signature is checked by verifyEep. */
export function parseEep(input: string | Buffer): ParsedEep {
  let xml: string;
  if (typeof input === 'string') xml = input;
  else {
    if (input.length > MAX_XML_BYTES) throw malformed(`超过 ${MAX_XML_BYTES / 1024 / 1024} MB`);
    try {
      xml = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input);
    } catch {
      throw malformed('不是有效的 UTF-8 文本');
    }
  }
  if (xml.length > MAX_XML_BYTES) throw malformed(`超过 ${MAX_XML_BYTES / 1024 / 1024} MB`);
  const root = parseTree(xml);
  if (root.name !== '电子文件封装包')
    throw malformed(`根元素应为 电子文件封装包，实际为 ${root.name.slice(0, 40)}`);
  checkShape(root, '');
  if (textOf(root, '版本').trim() !== EEP_VERSION) throw malformed(`版本应为 ${EEP_VERSION}`);
  const signedNode = child(root, '被签名对象') as Node;
  const packageType = textOf(signedNode, '封装包类型').trim();
  if (packageType !== '原始型' && packageType !== '修改型')
    throw malformed('封装包类型应为“原始型”或“修改型”');
  const content = child(signedNode, '封装内容') as Node;
  const files = (child(content, '文件实体块') as Node).children.map(parseFile);
  const business = child(content, '业务实体块') as Node;
  const people = child(content, '机构人员实体块') as Node;
  const signatureNode = child(child(root, '电子签名块') as Node, '电子签名') as Node;
  const algorithm = parseAlgorithm(textOf(signatureNode, '签名算法标识'));
  const publicKey = parsePublicKey(textOf(child(signatureNode, '证书块') as Node, '证书'), algorithm);

  const start = xml.indexOf('<被签名对象');
  const closing = '</被签名对象>';
  const end = xml.indexOf(closing);
  if (start < 0 || end < start) throw malformed('找不到被签名对象的原文');
  const fondsName = optionalText(people, '全宗名称');
  return {
    archiveCode: textOf(business, '档号'),
    packageType,
    createdAt: textOf(signedNode, '封装包创建时间').trim(),
    organisation: {
      name: textOf(people, '立档单位名称'),
      fonds: textOf(people, '全宗号').trim(),
      ...(fondsName ? { fondsName } : {}),
    },
    filedBy: optionalText(people, '归档人'),
    filedAt: optionalText(people, '归档时间'),
    item: parseMetadata(business),
    files,
    signedBytes: Buffer.from(xml.slice(start, end + closing.length), 'utf8'),
    signature: decodeBase64(textOf(signatureNode, '签名结果'), '签名结果'),
    algorithm,
    publicKey,
    signedAt: textOf(signatureNode, '签名时间').trim(),
  };
}

/**
 * Checks an EEP's signature; with `expectedKey` (the bag's Yidang-Signing-Key), also that it was
 * signed by that key. Throws EEP_KEY_MISMATCH or EEP_SIGNATURE_INVALID.
 */
export function verifyEep(parsed: ParsedEep, expectedKey?: KeyObject): void {
  const der = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
  if (expectedKey && !der(expectedKey).equals(der(parsed.publicKey)))
    throw new YidangError(
      'EEP_KEY_MISMATCH',
      'invalid',
      `档号 ${parsed.archiveCode.slice(0, 60)} 的封装包不是由移交包声明的签名密钥签署的`,
    );
  if (!verifyWithKey(parsed.publicKey, parsed.signedBytes, parsed.signature))
    throw new YidangError(
      'EEP_SIGNATURE_INVALID',
      'invalid',
      `档号 ${parsed.archiveCode.slice(0, 60)} 的封装包签名无效（被签名对象被改动，或签名不符）`,
    );
}
