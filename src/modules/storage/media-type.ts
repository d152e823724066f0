import { fileTypeFromBuffer } from 'file-type';
import type { ErrorCode } from '../../shared/error-codes.js';
import { YidangError } from '../../shared/errors.js';
import { classifyCompoundFile } from './legacy-office.js';

// The type of an attached file, from its first bytes where they say it (scans and PDFs), else from
// the file name's extension. A wrong extension on a scan therefore does not mislabel it.

const SIGNATURES: Array<[string, number[]]> = [
  ['application/pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['image/tiff', [0x49, 0x49, 0x2a, 0x00]],
  ['image/tiff', [0x4d, 0x4d, 0x00, 0x2a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
];

const BY_EXTENSION: Record<string, string> = {
  ofd: 'application/ofd',
  xml: 'application/xml',
  json: 'application/json',
  txt: 'text/plain',
  csv: 'text/csv',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  zip: 'application/zip',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
};

export function detectMediaType(head: Buffer, fileName: string): string {
  // WebP: a RIFF container whose form type (bytes 8–11) is WEBP.
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  for (const [type, signature] of SIGNATURES) {
    if (signature.every((byte, index) => head[index] === byte)) return type;
  }
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1]?.toLowerCase();
  return (extension && BY_EXTENSION[extension]) || 'application/octet-stream';
}

// ---------------------------------------------------------------------------------------------------
// Identifying an attached file by its content (file-type's signatures), whatever its name says, and
// deciding whether an archive may hold it: every attach path (upload, push, scan) calls identifyContent.

/** How many first bytes identification reads: enough for file-type and a zip package's first entries. */
export const IDENTIFY_BYTES = 64 * 1024;

const OOXML_WORD = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const OOXML_SHEET = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** What an archive accepts, with the names people know the formats by. */
const ACCEPTED: Record<string, string> = {
  'application/pdf': 'PDF',
  'application/ofd': 'OFD',
  'image/tiff': 'TIFF',
  'image/jpeg': 'JPEG',
  'image/jp2': 'JPEG 2000',
  'image/jpx': 'JPEG 2000',
  'image/png': 'PNG',
  'image/gif': 'GIF',
  'image/webp': 'WebP',
  'application/xml': 'XML',
  'text/plain': '文本',
  'text/csv': 'CSV',
  'application/json': 'JSON',
  [OOXML_WORD]: 'DOCX',
  [OOXML_SHEET]: 'XLSX',
  'application/msword': 'DOC',
  'application/vnd.ms-excel': 'XLS',
  'audio/wav': 'WAV',
  'audio/mpeg': 'MP3',
  'audio/x-m4a': 'M4A',
  'audio/amr': 'AMR',
  'video/mp4': 'MP4',
};
export const ACCEPTED_FORMATS = [...new Set(Object.values(ACCEPTED))].join('、');

/** Programs, installers and packages of them: refused by content, whatever they are called. */
const EXECUTABLE = new Set([
  'exe',
  'elf',
  'macho',
  'cab',
  'dmg',
  'deb',
  'rpm',
  'apk',
  'jar',
  'xpi',
  'crx',
  'class',
  'dex',
  'wasm',
  'swf',
  'lnk',
  'chm',
]);

/** Text that a machine runs (or a browser renders with scripts): refused by extension, text has no magic. */
const SCRIPT_EXTENSIONS = new Set(
  'bat cmd com ps1 psm1 vbs vbe js jse mjs wsf wsh hta sh bash zsh csh py pl rb php asp aspx jsp html htm xhtml svg reg scr inf'.split(
    ' ',
  ),
);

/** What a name's extension promises, for telling when a name and its content disagree. */
const EXTENSION_PROMISES: Record<string, string> = {
  pdf: 'application/pdf',
  ofd: 'application/ofd',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jp2: 'image/jp2',
  jpx: 'image/jpx',
  j2k: 'image/jp2',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  xml: 'application/xml',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  docx: OOXML_WORD,
  xlsx: OOXML_SHEET,
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  m4a: 'audio/x-m4a',
  amr: 'audio/amr',
  mp4: 'video/mp4',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  zip: 'application/zip',
  exe: 'application/x-msdownload',
};
const TEXT_TYPES = new Set(['text/plain', 'text/csv', 'application/json', 'application/xml']);

export interface Identified {
  /** The type the content is, recorded with the file. */
  mediaType: string;
  /** Said about the name (its extension and the content disagree), never a refusal. */
  warnings: string[];
}

const extensionOf = (fileName: string) => /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1]?.toLowerCase();
const quoted = (fileName: string) => `“${fileName.slice(0, 80)}”`;

const refused = (code: ErrorCode, fileName: string, why: string) =>
  new YidangError(code, 'invalid', `${quoted(fileName)}${why}，未保存`);

/** An OFD is a zip package whose first entries hold OFD.xml (GB/T 33190). */
function isOfd(head: Buffer): boolean {
  for (let at = head.indexOf('OFD.xml'); at !== -1; at = head.indexOf('OFD.xml', at + 1)) {
    if (at >= 30 && head.readUInt32LE(at - 30) === 0x04034b50 && head.readUInt16LE(at - 4) === 7) return true;
  }
  return false;
}

/** Text in the encodings Chinese offices write (UTF-8, UTF-16 with its mark, GB 18030), no NULs. */
function isText(head: Buffer): boolean {
  if (head.length === 0) return false;
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  if (head.includes(0)) return false;
  for (const encoding of ['utf-8', 'gb18030']) {
    try {
      // stream: a character cut by the end of the sample is not an error.
      new TextDecoder(encoding, { fatal: true }).decode(head, { stream: true });
      return true;
    } catch {}
  }
  return false;
}

function textType(head: Buffer, extension: string | undefined): string {
  const promised = extension ? EXTENSION_PROMISES[extension] : undefined;
  if (promised && TEXT_TYPES.has(promised)) return promised;
  return /^(\ufeff)?\s*<\?xml[\s?]/.test(head.subarray(0, 256).toString('utf8'))
    ? 'application/xml'
    : 'text/plain';
}

/** Word or Excel 97–2003 from a compound file's directory; anything else in that container is refused. */
function compoundType(whole: Buffer | null | undefined, fileName: string): string {
  if (!whole)
    throw refused(
      'FILE_TYPE_NOT_ACCEPTED',
      fileName,
      '是旧版 Office 复合文档，但过大而无法核验其内容，请另存为 PDF、DOCX 或 XLSX 后上传',
    );
  const found = classifyCompoundFile(whole);
  if (found.kind === 'office') return found.mediaType;
  if (found.kind === 'macros')
    throw refused(
      'FILE_EXECUTABLE',
      fileName,
      `是含宏代码（VBA）的 ${found.label} 文件，宏在打开时运行，不能作为档案文件保存；请另存为不含宏的文件或 PDF 后上传`,
    );
  if (found.kind === 'unreadable')
    throw refused(
      'FILE_UNDECODABLE',
      fileName,
      '是损坏的复合文档（目录无法读取），无法确认是 Word 或 Excel 文件',
    );
  throw refused(
    'FILE_TYPE_NOT_ACCEPTED',
    fileName,
    '是复合文档，但不是 Word 或 Excel 97–2003 文件（可能是 MSI 安装包或邮件），不在可接收的档案格式之列',
  );
}

/**
 * The type of an attached file from its first bytes (IDENTIFY_BYTES of them), refusing programs,
 * scripts and every type an archive does not accept; a name whose extension promises something else
 * gets a warning. Plain text has no signature: it is text when it decodes as text and holds no NUL.
 * A compound file (DOC/XLS or an MSI) needs the whole content: its directory may lie anywhere.
 */
export async function identifyContent(
  head: Buffer,
  fileName: string,
  whole?: Buffer | null,
): Promise<Identified> {
  const extension = extensionOf(fileName);
  const detected = await fileTypeFromBuffer(head).catch(() => undefined);
  let mediaType: string;
  if (detected) {
    if (EXECUTABLE.has(detected.ext))
      throw refused(
        'FILE_EXECUTABLE',
        fileName,
        `按内容识别为可执行程序或安装包（${detected.ext.toUpperCase()}），不能作为档案文件保存`,
      );
    if (detected.mime === 'application/x-cfb') mediaType = compoundType(whole, fileName);
    else mediaType = detected.mime === 'application/zip' && isOfd(head) ? 'application/ofd' : detected.mime;
  } else if (head.subarray(0, 2).toString('latin1') === '#!') {
    throw refused('FILE_EXECUTABLE', fileName, '是脚本（以 #! 开头），不能作为档案文件保存');
  } else if (isText(head)) {
    if (extension && SCRIPT_EXTENSIONS.has(extension))
      throw refused('FILE_EXECUTABLE', fileName, `是脚本或网页（.${extension}），不能作为档案文件保存`);
    mediaType = textType(head, extension);
  } else {
    throw refused('FILE_TYPE_UNKNOWN', fileName, `的格式无法按内容识别；可接收的格式为 ${ACCEPTED_FORMATS}`);
  }
  const label = ACCEPTED[mediaType];
  if (!label)
    throw refused(
      'FILE_TYPE_NOT_ACCEPTED',
      fileName,
      `按内容识别为 ${detected?.ext.toUpperCase() ?? mediaType}，不在可接收的档案格式之列（${ACCEPTED_FORMATS}）`,
    );
  const warnings: string[] = [];
  const promised = extension ? EXTENSION_PROMISES[extension] : undefined;
  const sameKind =
    promised === mediaType || (TEXT_TYPES.has(mediaType) && promised && TEXT_TYPES.has(promised));
  if (promised && !sameKind)
    warnings.push(
      `文件名${quoted(fileName)}的扩展名 .${extension} 与内容不符：内容是 ${label}，已按内容登记为 ${mediaType}`,
    );
  return { mediaType, warnings };
}
