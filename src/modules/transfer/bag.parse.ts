// The small text formats of a BagIt bag (RFC 8493): tag-file lines, manifest paths with their three
// percent-encoded characters, and the problem codes a validation reports (stable ids, Chinese text).

export const BAG_PROBLEMS = {
  BAG_ALGORITHM_UNSUPPORTED: '清单使用了不支持的摘要算法',
  BAG_DECLARATION_INVALID: '包声明 bagit.txt 的格式不对',
  BAG_DECLARATION_MISSING: '缺少包声明 bagit.txt',
  BAG_DIGEST_MISMATCH: '文件的摘要与清单不符（文件被改动）',
  BAG_ENCODING_UNSUPPORTED: '标签文件编码不是 UTF-8',
  BAG_FETCH_UNSUPPORTED: '包含 fetch.txt（需从网络补取的文件）',
  BAG_INFO_INVALID: 'bag-info.txt 的格式不对',
  BAG_LINK: '包内含有链接或特殊文件',
  BAG_MANIFEST_DUPLICATE: '清单重复列出同一文件',
  BAG_MANIFEST_LINE_INVALID: '清单的某行格式不对',
  BAG_MANIFEST_MISSING: '缺少载荷清单',
  BAG_NOT_FOUND: '包目录不存在',
  BAG_OXUM_INVALID: 'Payload-Oxum 格式不对',
  BAG_OXUM_MISMATCH: 'Payload-Oxum 与实际载荷的字节数或文件数不符',
  BAG_PATH_ENCODING: '清单中的路径含有未编码的“%”',
  BAG_PATH_OUTSIDE_PAYLOAD: '清单中的路径越出了包或载荷目录',
  BAG_PAYLOAD_DIR_MISSING: '缺少载荷目录 data/',
  BAG_PAYLOAD_FILE_MISSING: '清单列出的文件在包中不存在',
  BAG_PAYLOAD_FILE_UNLISTED: '包中的文件未列入清单',
  BAG_TAG_FILE_ENCODING: '标签文件不是有效的 UTF-8 文本',
  BAG_TAG_FILE_MISSING: '标签清单列出的文件在包中不存在',
  BAG_TAG_FILE_UNLISTED: '标签文件未列入标签清单',
  BAG_TAGMANIFEST_INVALID: '标签清单的内容不对',
  BAG_VERSION_UNSUPPORTED: '不支持的 BagIt 版本',
} as const;
export type BagProblemCode = keyof typeof BAG_PROBLEMS;

export interface BagProblem {
  code: BagProblemCode;
  /** The file concerned, bag-relative (decoded) — absent for the bag as a whole. */
  path?: string;
  message: string;
}

export interface TagField {
  label: string;
  value: string;
}

/** Tag files may end lines with LF, CR or CRLF (RFC 8493 §2.2.2 and §7.2). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * Decodes a manifest path: only %0A, %0D and %25 are encoded (either case); any other `%` was left
 * unencoded, which the RFC forbids, so the path is refused (undefined).
 */
export function decodeManifestPath(encoded: string): string | undefined {
  let bad = false;
  const decoded = encoded.replace(/%(..)?/g, (_, hex: string | undefined) => {
    switch (hex?.toUpperCase()) {
      case '0A':
        return '\n';
      case '0D':
        return '\r';
      case '25':
        return '%';
      default:
        bad = true;
        return '';
    }
  });
  return bad ? undefined : decoded;
}

/** Encodes a path for a manifest line (the writer's side; tests build bags with it). */
export function encodeManifestPath(p: string): string {
  return p.replace(/%/g, '%25').replace(/\n/g, '%0A').replace(/\r/g, '%0D');
}

/**
 * Parses a tag file of `Label: value` lines, a value continuing on lines that start with a space or
 * tab. Returns the fields in order and the (1-based) numbers of lines that are neither.
 */
export function parseTagFile(text: string): { fields: TagField[]; badLines: number[] } {
  const fields: TagField[] = [];
  const badLines: number[] = [];
  const lines = splitLines(text);
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    const last = fields[fields.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const label = colon > 0 ? line.slice(0, colon) : '';
    if (label === '' || label.trim() !== label) {
      badLines.push(i + 1);
      continue;
    }
    fields.push({ label, value: line.slice(colon + 1).trim() });
  }
  return { fields, badLines };
}

/** The first value of a label in bag-info.txt. */
export function infoValue(fields: TagField[], label: string): string | undefined {
  return fields.find((f) => f.label === label)?.value;
}
