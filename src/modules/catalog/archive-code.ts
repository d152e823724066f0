import { invalid } from '../../shared/errors.js';

// 档号 patterns (DA/T 22-2015, DA/T 13-2022). A pattern is literal text with tokens; the item number's
// sequence is everything the pattern renders besides {item}. Token values are upper-case letters and
// digits, so a pattern is unique exactly when it names the fonds, numbers items, and separates every
// pair of tokens with something a token value cannot contain.

export const DEFAULT_ARCHIVE_CODE_PATTERN = '{fonds}-{category}·{year}-{retention}-{org}-{item:4}';

const TOKENS = ['fonds', 'category', 'year', 'retention', 'org', 'item'] as const;
type Token = (typeof TOKENS)[number];
const TOKEN_RE = /\{([a-z]+)(?::(\d+))?\}/g;

type Part = { literal: string } | { token: Token; width: number };

export interface ArchiveCodePattern {
  source: string;
  parts: Part[];
  tokens: Set<Token>;
}

export interface ArchiveCodeValues {
  fonds: string;
  category: string;
  year: number;
  retention: string;
  org: string;
}

const fail = (reason: string) => invalid('PATTERN_INVALID', `档号规则无效：${reason}`);

export function parseArchiveCodePattern(source: string): ArchiveCodePattern {
  if (source.length === 0 || source.length > 100) throw fail('规则长度应为1–100个字符');
  const parts: Part[] = [];
  const tokens = new Set<Token>();
  let last = 0;
  for (const match of source.matchAll(TOKEN_RE)) {
    if (match.index > last) parts.push({ literal: source.slice(last, match.index) });
    const name = match[1] as Token;
    if (!TOKENS.includes(name))
      throw fail(`未知的占位符 {${match[1]}}，可用：${TOKENS.map((t) => `{${t}}`).join(' ')}`);
    if (tokens.has(name)) throw fail(`占位符 {${name}} 出现了不止一次`);
    if (match[2] !== undefined && name !== 'item') throw fail(`只有 {item} 可以指定位数，{${name}} 不可以`);
    const width = name === 'item' ? Number(match[2] ?? 4) : 0;
    if (name === 'item' && (width < 1 || width > 8)) throw fail('{item} 的位数应为1–8');
    tokens.add(name);
    parts.push({ token: name, width });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ literal: source.slice(last) });
  for (const part of parts) {
    if ('literal' in part && /[{}]/.test(part.literal)) throw fail(`无法识别的占位符“${part.literal}”`);
  }
  if (!tokens.has('item')) throw fail('缺少件号占位符 {item:N}，同一序列内的档号会重复');
  if (!tokens.has('fonds')) throw fail('缺少全宗号占位符 {fonds}，不同全宗的档号会重复');
  for (let index = 1; index < parts.length; index++) {
    const previous = parts[index - 1];
    const current = parts[index];
    if (previous && current && 'token' in previous && 'token' in current) {
      throw fail(`{${previous.token}} 与 {${current.token}} 之间没有分隔符，档号无法区分`);
    }
  }
  for (let index = 1; index < parts.length - 1; index++) {
    const part = parts[index];
    if (part && 'literal' in part && !/[^A-Za-z0-9]/.test(part.literal)) {
      throw fail(`分隔符“${part.literal}”只含字母或数字，与代码值混淆`);
    }
  }
  return { source, parts, tokens };
}

function renderParts(pattern: ArchiveCodePattern, values: ArchiveCodeValues, item: string): string {
  let out = '';
  for (const part of pattern.parts) {
    if ('literal' in part) out += part.literal;
    else if (part.token === 'item') out += item;
    else if (part.token === 'year') out += String(values.year);
    else out += values[part.token];
  }
  return out;
}

/** Items whose sequence keys are equal share one gapless numbering. */
export function sequenceKey(pattern: ArchiveCodePattern, values: ArchiveCodeValues): string {
  return renderParts(pattern, values, '{item}');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Reads a 档号 back into the values and item number it encodes; undefined when it does not fit the
 * pattern. Only codes that render back exactly (same padding) count as fitting.
 */
export function parseArchiveCode(
  pattern: ArchiveCodePattern,
  archiveCode: string,
): { values: Partial<ArchiveCodeValues>; itemNumber: number } | undefined {
  const tokens: Token[] = [];
  const source = pattern.parts
    .map((part) => {
      if ('literal' in part) return escapeRegExp(part.literal);
      tokens.push(part.token);
      if (part.token === 'item') return `(\\d{${part.width},})`;
      return part.token === 'year' ? '(\\d{4})' : '([A-Z0-9]+)';
    })
    .join('');
  const match = new RegExp(`^${source}$`, 'u').exec(archiveCode);
  if (!match) return undefined;
  const values: Partial<ArchiveCodeValues> = {};
  let itemNumber = 0;
  tokens.forEach((token, index) => {
    const text = match[index + 1] as string;
    if (token === 'item') itemNumber = Number(text);
    else if (token === 'year') values.year = Number(text);
    else values[token] = text;
  });
  const full = { fonds: '', category: '', year: 0, retention: '', org: '', ...values };
  return renderArchiveCode(pattern, full, itemNumber) === archiveCode ? { values, itemNumber } : undefined;
}

export function renderArchiveCode(
  pattern: ArchiveCodePattern,
  values: ArchiveCodeValues,
  itemNumber: number,
): string {
  const width = pattern.parts.find((part) => 'token' in part && part.token === 'item') as { width: number };
  return renderParts(pattern, values, String(itemNumber).padStart(width.width, '0'));
}
