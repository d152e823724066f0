// How many items a word query can match at most, from the statistics PostgreSQL keeps on the index
// column (the share of rows holding each of its ~1,000 most common lexemes). A query whose bound is
// small is surely rare: its matches are collected and counted straight away, without first reading a
// sample of the index to tell whether it is common.

export interface TermStats {
  /** Share of rows holding each of the most common lexemes. */
  shares: ReadonlyMap<string, number>;
  /** The least share among them: a lexeme not listed is (about) rarer than this. */
  floor: number;
}

type Node = (
  | { kind: 'term'; lexeme: string; prefix: boolean }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; child: Node }
) & {
  /** The node's own text in the query, which reads alone as a tsquery. */
  source: string;
};

/** Reads the tsquery text this module's queries are written in: quoted lexemes, ! & | and parentheses. */
function parseTsquery(text: string): Node | null {
  let index = 0;
  const skipSpace = () => {
    while (text[index] === ' ') index++;
  };
  const lexeme = (): Node | null => {
    if (text[index] !== "'") return null;
    const start = index;
    let closed = false;
    let value = '';
    index++;
    while (index < text.length) {
      const char = text[index] as string;
      if (char === '\\') {
        value += text[index + 1] ?? '';
        index += 2;
      } else if (char === "'" && text[index + 1] === "'") {
        value += "'";
        index += 2;
      } else if (char === "'") {
        index++;
        closed = true;
        break;
      } else {
        value += char;
        index++;
      }
    }
    if (!closed) return null;
    const weights = /^:[*A-Da-d]+/.exec(text.slice(index))?.[0] ?? '';
    index += weights.length;
    return { kind: 'term', lexeme: value, prefix: weights.includes('*'), source: text.slice(start, index) };
  };
  const unary = (): Node | null => {
    skipSpace();
    const start = index;
    if (text[index] === '!') {
      index++;
      const child = unary();
      return child && { kind: 'not', child, source: text.slice(start, index) };
    }
    if (text[index] === '(') {
      index++;
      const inner = either();
      skipSpace();
      if (text[index] !== ')') return null;
      index++;
      return inner && { ...inner, source: text.slice(start, index) };
    }
    return lexeme();
  };
  const binary = (kind: 'and' | 'or', operand: () => Node | null) => (): Node | null => {
    skipSpace();
    const start = index;
    let left = operand();
    while (left) {
      skipSpace();
      if (text[index] !== (kind === 'and' ? '&' : '|')) break;
      index++;
      const right = operand();
      left = right && { kind, left, right, source: text.slice(start, index) };
    }
    return left;
  };
  const both = binary('and', unary);
  const either = binary('or', both);
  const tree = either();
  skipSpace();
  return index === text.length ? tree : null;
}

export interface ShareBound {
  /** The largest share of the indexed rows the query can match (1: no bound known). */
  share: number;
  /**
   * Every lexeme is rarer than the least listed one, so each posting list is short and even a
   * collect that overruns its bound reads little of the word index.
   */
  unlisted: boolean;
}

function shareBound(node: Node, stats: TermStats): ShareBound {
  switch (node.kind) {
    case 'term': {
      // A prefix stands for every lexeme it begins: no bound.
      if (node.prefix) return { share: 1, unlisted: false };
      const listed = stats.shares.get(node.lexeme);
      return { share: listed ?? stats.floor, unlisted: listed === undefined };
    }
    case 'and':
    case 'or': {
      const left = shareBound(node.left, stats);
      const right = shareBound(node.right, stats);
      return {
        share:
          node.kind === 'and' ? Math.min(left.share, right.share) : Math.min(1, left.share + right.share),
        unlisted: left.unlisted && right.unlisted,
      };
    }
    case 'not':
      return { share: 1, unlisted: false };
  }
}

/**
 * How much of the index the query can match, by the statistics. Every filter and check beyond the
 * index query only removes matches, so this bounds the whole search.
 */
export function matchShareBound(tsquery: string, stats: TermStats): ShareBound {
  const tree = parseTsquery(tsquery);
  return tree ? shareBound(tree, stats) : { share: 1, unlisted: false };
}

/**
 * A conjunct is left to the word index while its bound is within this many times the rarest one's
 * (or it is rare itself). The pairs of one word mostly occur together, so a commoner pair rarely
 * narrows the candidates enough to pay for reading its posting list.
 */
const INDEXED_SHARE_RATIO = 2;

export interface SplitQuery {
  /** The conjuncts the word index reads. */
  indexed: string;
  /** The conjuncts checked on each candidate row instead (null: none). */
  checked: string | null;
}

const conjuncts = (node: Node): Node[] =>
  node.kind === 'and' ? [...conjuncts(node.left), ...conjuncts(node.right)] : [node];

/**
 * Splits an AND so the word index reads only its rare words. The index reads every listed word's
 * posting list whole: 公司 or 医院 are in a fifth of the items, and a company name's eleven pairs cost
 * PGlite 80 ms in the index against 1 ms for its two rare ones. The common words are then checked on
 * the few candidate rows, whose terms are read anyway.
 */
export function splitRarest(
  tsquery: string,
  stats: TermStats,
  proven: ReadonlySet<string> = new Set(),
): SplitQuery {
  const tree = parseTsquery(tsquery);
  if (!tree) return { indexed: tsquery, checked: null };
  const parts = conjuncts(tree).map((node) => ({ node, share: shareBound(node, stats).share }));
  const rarest = Math.min(...parts.map((part) => part.share));
  const keep = (share: number) => share <= Math.max(rarest * INDEXED_SHARE_RATIO, stats.floor);
  const left = parts.filter((part) => !keep(part.share));
  if (left.length === 0) return { indexed: tsquery, checked: null };
  // A common word the search's phrase check proves need not be read from each row's terms as well.
  const checked = left.filter((part) => !proven.has(part.node.source));
  const join = (list: typeof parts) => list.map((part) => part.node.source).join(' & ');
  return {
    indexed: join(parts.filter((part) => keep(part.share))),
    checked: checked.length > 0 ? join(checked) : null,
  };
}
