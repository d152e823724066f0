import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, isErrorCode } from '../../shared/error-codes.js';
import { conflict, invalid, notFound, YidangError } from '../../shared/errors.js';
import { HOLD_QUERY_FIELDS, HOLD_SELECTOR_KINDS } from '../catalog/hold.names.js';
import { CARRIERS, FIELD_LABELS, SECURITY_LEVELS, SENSITIVITIES } from '../catalog/item.schema.js';
import { PAPER_METHODS, REGISTER_STATES } from '../disposition/destruction.names.js';
import { EVENT_NAMES } from '../integrity/event-catalog.js';
import { VOCABULARY } from './vocabulary.js';

// The vocabulary is the only list of names the console has: it must name every field the server
// names, every coded value, every event type and every error code, each in Chinese.

const HAN = /\p{Script=Han}/u;

describe('vocabulary', () => {
  it('names every item field the server names, with the same label', () => {
    for (const [field, label] of Object.entries(FIELD_LABELS))
      expect(VOCABULARY.fields.item[field]).toBe(label);
    expect(VOCABULARY.fields.item.archiveCode).toBe('档号');
    expect(Object.keys(VOCABULARY.fields.item).slice(0, 3)).toEqual(['archiveCode', 'fonds', 'category']);
    for (const label of Object.values(VOCABULARY.fields.import)) expect(label).toMatch(HAN);
  });

  it('carries the item schema’s own code lists (载体, 密级, 敏感级别, 保管期限)', () => {
    expect(VOCABULARY.values.carrier).toBe(CARRIERS);
    expect(VOCABULARY.values.securityLevel).toBe(SECURITY_LEVELS);
    expect(VOCABULARY.values.sensitivity).toBe(SENSITIVITIES);
    expect(VOCABULARY.values.retention.D30).toBe('定期30年');
    expect(VOCABULARY.values.requestStatus.expired).toBe('已到期');
    expect(VOCABULARY.values.batchStatus.accepted).toBe('验收合格');
    expect(VOCABULARY.values.scanFlag.low_resolution).toBe('分辨率不足');
  });

  it('carries the names of holds and destruction registers (冻结, 鉴定, 销毁清册)', () => {
    expect(VOCABULARY.values.holdKind).toBe(HOLD_SELECTOR_KINDS);
    expect(VOCABULARY.fields.holdQuery).toBe(HOLD_QUERY_FIELDS);
    expect(VOCABULARY.values.appraisalChoice).toEqual({ keep: '继续保存', destroy: '销毁' });
    expect(VOCABULARY.values.roundState.open).toBe('鉴定中');
    expect(VOCABULARY.values.registerState).toBe(REGISTER_STATES);
    expect(VOCABULARY.values.signRole.witness).toBe('监销人');
    expect(VOCABULARY.values.registerRowState.paper_confirmed).toBe('纸质已销毁');
    expect(VOCABULARY.values.destructionRefusal.held).toBe('已被冻结');
    expect(VOCABULARY.paperMethods).toEqual([...PAPER_METHODS]);
  });

  it('lists every event type of the catalog, each with a Chinese label', () => {
    expect(VOCABULARY.events.map((event) => event.name)).toEqual(EVENT_NAMES);
    for (const event of VOCABULARY.events) expect(event.label, event.name).toMatch(HAN);
    expect(VOCABULARY.events.find((event) => event.name === 'item.created')?.label).toBe('归档');
  });

  it('lists every error code with a Chinese description', () => {
    expect(VOCABULARY.errors).toBe(ERROR_CODES);
    for (const [code, message] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(message, code).toMatch(HAN);
    }
    expect(Object.keys(ERROR_CODES)).toEqual([...Object.keys(ERROR_CODES)].sort());
  });
});

describe('error codes', () => {
  it('are accepted only from the catalog', () => {
    const code: ErrorCode = 'ITEM_NOT_FOUND';
    expect(notFound(code, '档号“X”不存在')).toMatchObject({ code, kind: 'not_found' });
    expect(conflict('USER_EXISTS', '已存在').kind).toBe('conflict');
    expect(invalid('FILE_EMPTY', '空文件').kind).toBe('invalid');
    // A free-string code fails the typecheck (npm run typecheck fails if these lines stop being errors).
    // @ts-expect-error: not a catalog code
    expect(new YidangError('NO_SUCH_CODE', 'invalid', 'x').code).toBe('NO_SUCH_CODE');
    // @ts-expect-error: not a catalog code
    expect(invalid('item_not_found', 'x').code).toBe('item_not_found');
  });

  it('read from outside the process are narrowed by isErrorCode', () => {
    expect(isErrorCode('TOTP_REQUIRED')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('NO_SUCH_CODE')).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });
});
