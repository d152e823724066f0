import { invalid } from '../../shared/errors.js';
import { checkIdNumber } from '../catalog/id-number.js';
import { looksLikeName, nameQuery } from './names.js';
import {
  ARCHIVE_CODE_SHAPE,
  archiveCodeTerm,
  hanQueryTerms,
  ID_WORD,
  idWordIndex,
  normalizeText,
  quoteLexeme,
  textRuns,
} from './text.js';

// The search language: words and "quoted phrases", AND / OR / NOT (also & | and a leading -),
// parentheses, and field prefixes (题名: 姓名: 身份证号: 参保号:). Adjacent terms are ANDed; NOT binds
// tighter than AND, AND tighter than OR. A slip in the syntax gets a sensible reading and a notice
// rather than an error; only an empty, overlong or overcomplicated query is refused.

export const MAX_QUERY_LENGTH = 500;
const MAX_TERMS = 32;
const MAX_DEPTH = 8;

export type SearchField = 'title' | 'name' | 'id' | 'insured';

const FIELD_NAMES: Record<string, SearchField> = {
  题名: 'title',
  title: 'title',
  姓名: 'name',
  name: 'name',
  身份证号: 'id',
  身份证: 'id',
  id: 'id',
  参保号: 'insured',
  insured: 'insured',
};

export type QueryNode =
  | { kind: 'term'; text: string; field?: SearchField; quoted: boolean }
  | { kind: 'and' | 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode };

/** A phrase the pairs only approximate, checked against the stored text (title only, or all of it). */
export interface Recheck {
  phrase: string;
  target: 'title' | 'all';
  /** Index terms the phrase holds whenever it is found: a run of Han characters has all its pairs. */
  proves: string[];
}

/** What the database evaluates per item: index terms, and phrase checks where pairs are not enough. */
export type Condition =
  | { kind: 'match'; tsquery: string; rechecks: Recheck[] }
  | { kind: 'and' | 'or'; children: Condition[] }
  | { kind: 'not'; child: Condition };

export interface CompiledQuery {
  /** A tsquery every matching item satisfies (a superset when phrases need checking); null: all items. */
  indexQuery: string | null;
  /** The exact condition, when the index query alone is not exact. */
  exact: Condition | null;
  /** Terms whose presence raises an item's relevance (OR of all positive terms). */
  rankQuery: string | null;
  /** Exact name terms: items filed under exactly this name rank above similar names. */
  exactNames: string[];
  /** Normalized words and phrases to mark in snippets. */
  highlights: string[];
  /** An ID-number look-up was part of the query (logged, masked). */
  idLookups: number;
  notices: string[];
}

interface Token {
  type: 'word' | 'phrase' | 'and' | 'or' | 'not' | 'open' | 'close';
  text: string;
  /** The field prefix written before a quoted phrase (题名:"…"). */
  field?: string;
}

const OPEN_QUOTES = '"“”「」『』';

function tokenize(query: string, notices: string[]): Token[] {
  const tokens: Token[] = [];
  const text = query.normalize('NFKC');
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index++;
    } else if (OPEN_QUOTES.includes(char)) {
      let end = index + 1;
      while (end < text.length && !OPEN_QUOTES.includes(text[end] as string)) end++;
      if (end >= text.length) notices.push('引号未闭合，已按到末尾为一个短语处理');
      tokens.push({ type: 'phrase', text: text.slice(index + 1, end) });
      index = end + 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ type: char === '(' ? 'open' : 'close', text: char });
      index++;
    } else if (char === '&' || char === '|') {
      tokens.push({ type: char === '&' ? 'and' : 'or', text: char });
      index++;
    } else if (char === '-' && (tokens.length === 0 || /[\s(]/.test(text[index - 1] ?? ' '))) {
      tokens.push({ type: 'not', text: char });
      index++;
    } else {
      let end = index;
      while (end < text.length && !/[\s()"“”「」『』&|]/.test(text[end] as string)) end++;
      const word = text.slice(index, end);
      const operator = { AND: 'and', OR: 'or', NOT: 'not' }[word] as Token['type'] | undefined;
      // A field prefix directly before a quoted phrase: 题名:"医疗救助".
      const next = text[end];
      if (word.endsWith(':') && next !== undefined && OPEN_QUOTES.includes(next)) {
        let close = end + 1;
        while (close < text.length && !OPEN_QUOTES.includes(text[close] as string)) close++;
        if (close >= text.length) notices.push('引号未闭合，已按到末尾为一个短语处理');
        tokens.push({ type: 'phrase', text: text.slice(end + 1, close), field: word.slice(0, -1) });
        index = close + 1;
        continue;
      }
      tokens.push(operator ? { type: operator, text: word } : { type: 'word', text: word });
      index = end;
    }
  }
  return tokens;
}

/** Recursive descent over the tokens; stray operators and brackets are dropped with a notice. */
function parse(tokens: Token[], notices: string[]): QueryNode | null {
  let position = 0;
  let terms = 0;
  const peek = () => tokens[position];
  const dropped = new Set<string>();
  const drop = (what: string) => {
    if (!dropped.has(what)) notices.push(what);
    dropped.add(what);
  };

  const parseOr = (depth: number): QueryNode | null => {
    const children: QueryNode[] = [];
    for (;;) {
      const child = parseAnd(depth);
      if (child) children.push(child);
      if (peek()?.type !== 'or') break;
      position++;
      if (!child) drop('OR 前缺少检索词，已忽略');
    }
    if (children.length === 0) return null;
    return children.length === 1 ? (children[0] as QueryNode) : { kind: 'or', children };
  };

  const parseAnd = (depth: number): QueryNode | null => {
    const children: QueryNode[] = [];
    for (;;) {
      const token = peek();
      if (!token || token.type === 'or' || token.type === 'close') break;
      if (token.type === 'and') {
        position++;
        if (children.length === 0) drop('AND 前缺少检索词，已忽略');
        continue;
      }
      const child = parseUnary(depth);
      if (child) children.push(child);
    }
    if (children.length === 0) return null;
    return children.length === 1 ? (children[0] as QueryNode) : { kind: 'and', children };
  };

  const parseUnary = (depth: number): QueryNode | null => {
    if (depth > MAX_DEPTH)
      throw invalid('QUERY_TOO_COMPLEX', `检索式嵌套过深（括号或连续的 NOT 最多 ${MAX_DEPTH} 层）`);
    const token = peek() as Token;
    position++;
    if (token.type === 'not') {
      const next = peek();
      if (!next || next.type === 'or' || next.type === 'close' || next.type === 'and') {
        drop('NOT 后缺少检索词，已忽略');
        return null;
      }
      const child = parseUnary(depth + 1);
      return child ? { kind: 'not', child } : null;
    }
    if (token.type === 'open') {
      const inner = parseOr(depth + 1);
      if (peek()?.type === 'close') position++;
      else drop('括号未闭合，已在末尾补齐');
      return inner;
    }
    terms++;
    if (terms > MAX_TERMS) throw invalid('QUERY_TOO_COMPLEX', `检索词过多（最多 ${MAX_TERMS} 个）`);
    if (token.type === 'phrase') return termNode(token.text, true, token.field);
    return termNode(token.text, false);
  };

  const nodes: QueryNode[] = [];
  while (position < tokens.length) {
    const node = parseOr(0);
    if (node) nodes.push(node);
    const stray = peek();
    if (stray?.type === 'close') {
      drop('多余的右括号，已忽略');
      position++;
    } else if (stray) {
      position++;
    }
  }
  if (nodes.length === 0) return null;
  return nodes.length === 1 ? (nodes[0] as QueryNode) : { kind: 'and', children: nodes };
}

function termNode(text: string, quoted: boolean, prefix?: string): QueryNode {
  if (prefix !== undefined) {
    const field = FIELD_NAMES[prefix.toLowerCase()];
    return field
      ? { kind: 'term', text, field, quoted }
      : { kind: 'term', text: `${prefix} ${text}`, quoted };
  }
  const colon = text.indexOf(':');
  if (!quoted && colon > 0) {
    const field = FIELD_NAMES[text.slice(0, colon).toLowerCase()];
    if (field) return { kind: 'term', text: text.slice(colon + 1), field, quoted };
  }
  return { kind: 'term', text, quoted };
}

const ID_LABELS = new Set(['身份证', '身份证号', '身份证号码', '公民身份号码', '证件号', '证件号码']);

interface CompileState {
  highlights: Set<string>;
  rankTerms: Set<string>;
  exactNames: Set<string>;
  idLookups: number;
  notices: string[];
}

const and = (parts: string[]) => (parts.length === 1 ? (parts[0] as string) : `(${parts.join(' & ')})`);
const or = (parts: string[]) => (parts.length === 1 ? (parts[0] as string) : `(${parts.join(' | ')})`);

/** One term as a condition, or null when nothing in it can be searched. */
function compileTerm(
  node: Extract<QueryNode, { kind: 'term' }>,
  state: CompileState,
  positive: boolean,
): Condition | null {
  const raw = node.text.trim();
  // The record's own person (pid:) or a number mentioned in its text (id:), by the blind index.
  const idLookup = (index: string) => {
    state.idLookups++;
    return or([quoteLexeme(`pid:${index}`), quoteLexeme(`id:${index}`)]);
  };
  if (node.field === 'id' || (!node.field && ID_WORD.test(raw))) {
    const index = idWordIndex(raw);
    if (index !== null) return { kind: 'match', tsquery: idLookup(index), rechecks: [] };
    const problem = checkIdNumber(raw.toUpperCase()) ?? '';
    if (node.field === 'id') throw invalid('ID_NUMBER_INVALID', `身份证号有误：${problem}`);
    state.notices.push('检索词中的18位号码不是有效的身份证号，已按普通词检索');
  }
  const runs = textRuns(normalizeText(raw));
  if (runs.length === 0) return null;
  const nameMatch = (name: string): Condition => {
    const query = nameQuery(name);
    if (positive) state.exactNames.add(quoteLexeme(query.exact));
    return { kind: 'match', tsquery: or([query.exact, ...query.similar].map(quoteLexeme)), rechecks: [] };
  };
  if (node.field === 'name') {
    if (positive) state.highlights.add(runs.map((run) => run.value).join(''));
    return nameMatch(raw);
  }
  const weight = node.field === 'title' ? ':A' : '';
  const parts: string[] = [];
  const rechecks: Recheck[] = [];
  const idIndexes = runs.map((run) => (run.kind === 'word' ? idWordIndex(run.value) : null));
  const withId = idIndexes.some((index) => index !== null);
  for (const [at, run] of runs.entries()) {
    // 身份证320115…: the label says what the number is; it is not a word to find.
    if (withId && run.kind === 'han' && ID_LABELS.has(run.value)) continue;
    const idIndex = idIndexes[at];
    if (idIndex) {
      // An ID number inside a longer token: indexed by its blind index only.
      parts.push(idLookup(idIndex));
      continue;
    }
    const single = run.kind === 'han' && [...run.value].length === 1;
    const terms = (run.kind === 'han' ? hanQueryTerms(run.value) : [run.value]).map(
      (term) => `${quoteLexeme(term)}${single ? ':*' : ''}`,
    );
    const indexed = terms.map((term) => (weight === '' ? term : `${term}${single ? 'A' : ':A'}`));
    parts.push(...indexed);
    if (positive) {
      for (const term of terms) state.rankTerms.add(term);
      state.highlights.add(run.value);
    }
    // Pairs alone would also match 医保…结算 far apart; the phrase itself is checked in the text. A
    // 题名: term is always checked in the title: terms outside it carry no weight to filter on.
    // A Latin word found in the title may be part of a longer one: only Han runs prove their terms.
    const proves = run.kind === 'han' ? indexed : [];
    if (node.field === 'title') rechecks.push({ phrase: run.value, target: 'title', proves });
    else if (run.kind === 'han' && [...run.value].length >= 3)
      rechecks.push({ phrase: run.value, target: 'all', proves });
  }
  const words: Condition = { kind: 'match', tsquery: and(parts), rechecks };
  if (!node.field && ARCHIVE_CODE_SHAPE.test(raw))
    // Looks like a 档号, but a document number (JSYB-2024-15) or a date has the same shape.
    return {
      kind: 'or',
      children: [{ kind: 'match', tsquery: quoteLexeme(archiveCodeTerm(raw)), rechecks: [] }, words],
    };
  const only = runs[0];
  if (!node.field && runs.length === 1 && only?.kind === 'han' && looksLikeName(only.value))
    // A name typed alone also finds its homophones and one-character slips; the exact form ranks first.
    return { kind: 'or', children: [words, nameMatch(only.value)] };
  return words;
}

function compileNode(node: QueryNode, state: CompileState, positive: boolean): Condition | null {
  if (node.kind === 'term') return compileTerm(node, state, positive);
  if (node.kind === 'not') {
    const child = compileNode(node.child, state, !positive);
    return child ? { kind: 'not', child } : null;
  }
  const children = node.children
    .map((child) => compileNode(child, state, positive))
    .filter((child): child is Condition => child !== null);
  if (children.length === 0) return null;
  return children.length === 1 ? (children[0] as Condition) : { kind: node.kind, children };
}

const needsRecheck = (condition: Condition): boolean =>
  condition.kind === 'match'
    ? condition.rechecks.length > 0
    : condition.kind === 'not'
      ? needsRecheck(condition.child)
      : condition.children.some(needsRecheck);

/**
 * The index terms an item surely has when the condition holds: those of the phrases it requires (under
 * ANDs only), since a phrase found in the text has its pairs in the index. Where the text a phrase was
 * found in was not indexed whole (a 经办机构 name, pages past the size cap), the phrase is still there.
 */
export function provenTerms(condition: Condition | null): Set<string> {
  const proven = new Set<string>();
  const walk = (node: Condition) => {
    if (node.kind === 'match')
      for (const recheck of node.rechecks) for (const term of recheck.proves) proven.add(term);
    else if (node.kind === 'and') for (const child of node.children) walk(child);
  };
  if (condition) walk(condition);
  return proven;
}

/** A tsquery true for every item the condition holds for; null stands for "every item". */
function indexQueryOf(condition: Condition): string | null {
  if (condition.kind === 'match') return condition.tsquery;
  // NOT of an approximate phrase is not implied by NOT of its pairs: leave it to the exact check.
  if (condition.kind === 'not')
    return needsRecheck(condition.child) ? null : `!${indexQueryOf(condition.child)}`;
  const parts = condition.children.map(indexQueryOf);
  if (condition.kind === 'and') {
    const known = parts.filter((part): part is string => part !== null);
    return known.length === 0 ? null : and(known);
  }
  return parts.some((part) => part === null) ? null : or(parts as string[]);
}

export function compileQuery(query: string): CompiledQuery {
  // Counted again after NFKC, which can make one character many (㍿ is 株式会社).
  if ([...query].length > MAX_QUERY_LENGTH || normalizeText(query).length > MAX_QUERY_LENGTH * 2)
    throw invalid('QUERY_TOO_LONG', `检索式过长（最多 ${MAX_QUERY_LENGTH} 个字符）`);
  const notices: string[] = [];
  const state: CompileState = {
    highlights: new Set(),
    rankTerms: new Set(),
    exactNames: new Set(),
    idLookups: 0,
    notices,
  };
  const tree = parse(tokenize(query.replace(/[\p{Cc}\p{Cf}]/gu, ' '), notices), notices);
  const condition = tree ? compileNode(tree, state, true) : null;
  if (tree && !condition) notices.push('检索式中没有可检索的文字，已忽略');
  // A query of nothing but NOTs still needs something to be matched against: every item in scope.
  const indexQuery = condition ? indexQueryOf(condition) : null;
  return {
    indexQuery,
    exact: condition && needsRecheck(condition) ? condition : null,
    rankQuery: state.rankTerms.size > 0 ? [...state.rankTerms].join(' | ') : null,
    exactNames: [...state.exactNames],
    highlights: [...state.highlights].sort((a, b) => b.length - a.length),
    idLookups: state.idLookups,
    notices,
  };
}

/** Whether the query asks for anything at all (text, not just spaces and operators). */
export const hasText = (compiled: CompiledQuery): boolean =>
  compiled.indexQuery !== null || compiled.exact !== null;
