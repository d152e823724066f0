import type { ErrorCode } from '../../shared/error-codes.js';
import { invalid } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { hasBadText } from '../../shared/well-formed.js';

// A reason typed for a rule change or a dismissed clue: at least four characters, at most 500, no
// NUL, lone surrogate or control character, and no ID number (reasons go into the log).

const MIN = 4;
const MAX = 500;

export function readReason(value: unknown, what: string, code: ErrorCode): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (typeof value === 'string' && hasBadText(value))
    throw invalid('BAD_TEXT', `${what}含有无效字符（空字符或不成对的代理项）`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid(code, `${what}含有控制字符`);
  if ([...text].length < MIN) throw invalid(code, `须写明${what}（至少 ${MIN} 个字）`);
  if ([...text].length > MAX) throw invalid(code, `${what}最多 ${MAX} 个字`);
  refuseIdNumberInText(what, text);
  return text;
}
