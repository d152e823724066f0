import { invalid } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { hasBadText } from '../../shared/well-formed.js';

// Reading what people type into an appraisal: a reason, a title, a list of 档号 or user names.

/** A required free-text field, trimmed: 1..max characters, no NUL, lone surrogate, control character or ID number. */
export function readReason(value: unknown, what: string, max = 500): string {
  if (typeof value !== 'string') throw invalid('APPRAISAL_INPUT_INVALID', `须填写${what}`);
  if (hasBadText(value)) throw invalid('BAD_TEXT', `${what}含有无效字符（空字符或不成对的代理项）`);
  const text = value.trim();
  if (text === '') throw invalid('APPRAISAL_INPUT_INVALID', `须填写${what}`);
  if ([...text].length > max) throw invalid('APPRAISAL_INPUT_INVALID', `${what}最多${max}个字符`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid('APPRAISAL_INPUT_INVALID', `${what}含有控制字符`);
  refuseIdNumberInText(what, text);
  return text;
}

/** A list of short names (档号, user names): distinct, each well formed and at most `max` characters. */
export function readNames(value: unknown, what: string, limit = 10_000, max = 100): string[] {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string'))
    throw invalid('APPRAISAL_INPUT_INVALID', `${what}应为一组文字`);
  const names = [...new Set((value as string[]).map((name) => name.trim()))].filter((name) => name !== '');
  for (const name of names) {
    if (hasBadText(name)) throw invalid('BAD_TEXT', `${what}含有无效字符（空字符或不成对的代理项）`);
    if ([...name].length > max) throw invalid('APPRAISAL_INPUT_INVALID', `${what}中有超过${max}个字符的一项`);
  }
  if (names.length > limit) throw invalid('APPRAISAL_INPUT_INVALID', `${what}一次最多${limit}项`);
  return names;
}
