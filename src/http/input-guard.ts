import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid, YidangError } from '../shared/errors.js';
import { hasBadText } from '../shared/well-formed.js';

// Hostile text is stopped at the door, once for every route: a NUL byte or an unpaired surrogate
// in any string the request carries (query, path, headers, JSON body keys and values, multipart
// field names, values and file names) is refused before a handler, a database or the append-only
// log can see it. PostgreSQL refuses both in text and jsonb, so what got past would fail later, or
// for good once written into the log. JSON is also refused when nested deeper than anyone needs.

/** Deeper JSON is refused before parsing: every recursive walk after it (validation, copies) is safe. */
export const MAX_JSON_DEPTH = 64;

const badText = (where: string) =>
  new YidangError(
    'BAD_TEXT',
    'invalid',
    `输入含有无效字符（空字符或不成对的代理项），请检查后重试：${where}`,
    [{ field: where, message: '含有无效字符（空字符或不成对的代理项）' }],
  );

/** A field's name for the message: never the bad characters, never longer than a name should be. */
function fieldName(parent: string, key: string): string {
  const readable = /^[\p{L}\p{N}_.$-]{1,40}$/u.test(key) ? key : '（字段名）';
  return parent ? `${parent}.${readable}` : readable;
}

/**
 * Where the first bad string in a value is (keys count as strings), or undefined when there is none.
 * Depth is bounded: parsed JSON already is, and anything deeper is refused as too deep.
 */
export function findBadText(value: unknown, where: string, depth = 0): string | undefined {
  if (typeof value === 'string') return hasBadText(value) ? where : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_JSON_DEPTH) throw tooDeep();
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findBadText(value[index], `${where}[${index}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (Buffer.isBuffer(value)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (hasBadText(key)) return fieldName(where, '');
    const found = findBadText(item, fieldName(where, key), depth + 1);
    if (found) return found;
  }
  return undefined;
}

function refuseBadText(value: unknown, where: string): void {
  const found = findBadText(value, where);
  if (found) throw badText(found);
}

const tooDeep = () => invalid('JSON_TOO_DEEP', `JSON 嵌套过深（最多 ${MAX_JSON_DEPTH} 层），请检查请求体`);

/** The deepest nesting of arrays and objects in JSON text, counted without parsing (strings skipped). */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      if (++depth > limit) return true;
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return false;
}

interface FileStream {
  destroyed: boolean;
  readableEnded: boolean;
  resume(): unknown;
  destroy(error?: Error): unknown;
}

interface MultipartPart {
  fieldname?: string;
  filename?: string;
  file?: FileStream;
  fields?: Record<string, unknown>;
}

const incomplete = () =>
  invalid(
    'UPLOAD_INCOMPLETE',
    '上传的文件未能完整读取（请求体中断、格式有误或带有不接受的字段），请检查后重新上传',
  );

/**
 * Strings in a multipart part as Fastify's multipart plugin hands it over (names, values, the file
 * name), and a body cut off before the file's end: the plugin then destroys the file stream without
 * an error, which a reader takes for a premature close (a 500) or waits on for good.
 */
function checkPart(part: MultipartPart): void {
  const fields = Object.values(part.fields ?? {}).flatMap((value) =>
    Array.isArray(value) ? value : [value],
  );
  const where =
    (part.fieldname !== undefined && hasBadText(part.fieldname) && 'multipart（字段名）') ||
    (part.filename !== undefined && hasBadText(part.filename) && 'multipart.filename') ||
    fields
      .map((field) => {
        const { fieldname, value } = (field ?? {}) as { fieldname?: unknown; value?: unknown };
        if (typeof fieldname === 'string' && hasBadText(fieldname)) return 'multipart（字段名）';
        return findBadText(value, `multipart.${fieldName('', String(fieldname))}`);
      })
      .find(Boolean);
  const file = part.file;
  if (where) {
    file?.resume();
    throw badText(where);
  }
  if (!file) return;
  if (part.filename !== undefined && part.filename.trim() === '') {
    file.resume();
    throw invalid('FILE_NAME_MISSING', '上传的文件没有文件名，请给文件命名后重试');
  }
  if (file.destroyed && !file.readableEnded) throw incomplete();
  const destroy = file.destroy.bind(file);
  file.destroy = (error?: Error) => destroy(error ?? (file.readableEnded ? undefined : incomplete()));
}

/** Marks a multipart parser's error as the client's (a malformed body), unless it carries a status. */
function asClientError(error: unknown): unknown {
  if (error instanceof Error && !(error instanceof YidangError) && !('statusCode' in error))
    (error as Error & { statusCode: number }).statusCode = 400;
  return error;
}

type PartsMethod = (...args: unknown[]) => AsyncIterable<MultipartPart>;
type FileMethod = (...args: unknown[]) => Promise<MultipartPart | undefined>;

/** Wraps the multipart plugin's readers on this request so every part is checked as it arrives. */
function guardMultipart(request: FastifyRequest): void {
  const target = request as unknown as Record<string, unknown>;
  const file = target.file as FileMethod | undefined;
  if (typeof file === 'function')
    target.file = async (...args: unknown[]) => {
      const part = await file.apply(request, args).catch((error) => Promise.reject(asClientError(error)));
      if (part) checkPart(part);
      return part;
    };
  for (const name of ['parts', 'files'] as const) {
    const iterate = target[name] as PartsMethod | undefined;
    if (typeof iterate === 'function')
      target[name] = async function* (...args: unknown[]) {
        try {
          for await (const part of iterate.apply(request, args)) {
            checkPart(part);
            yield part;
          }
        } catch (error) {
          throw asClientError(error);
        }
      };
  }
}

/**
 * Gives every integer a request may carry a bound when its schema names none, so a cursor of 1e20
 * or Infinity is a validation error rather than a number no column or loop can take. Schemas are
 * shared objects; the bound is harmless where they describe responses.
 */
export function boundIntegers(schema: unknown, seen = new WeakSet<object>()): void {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  const node = schema as Record<string, unknown>;
  if (node.type === 'integer') {
    node.maximum ??= Number.MAX_SAFE_INTEGER;
    node.minimum ??= -Number.MAX_SAFE_INTEGER;
  }
  for (const key of ['properties', 'patternProperties'])
    for (const inner of Object.values((node[key] as Record<string, unknown> | undefined) ?? {}))
      boundIntegers(inner, seen);
  for (const key of ['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf'])
    for (const inner of [node[key]].flat()) boundIntegers(inner, seen);
}

/** Installs the guard on the root instance, before any route is registered. */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    for (const part of ['querystring', 'params', 'body', 'headers'] as const)
      boundIntegers(route.schema?.[part]);
  });
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return done(tooDeep(), undefined);
    parseJson(request, text, done);
  });

  app.addHook('onRequest', async (request) => {
    // Header values are Latin-1 on the wire, so only NUL could come; the access layer reads some.
    for (const [name, value] of Object.entries(request.headers))
      if ((Array.isArray(value) ? value : [value]).some((one) => one !== undefined && hasBadText(one)))
        throw badText(`header.${fieldName('', name)}`);
    refuseBadText(request.params, 'path');
    refuseBadText(request.query, 'query');
  });
  app.addHook('preValidation', async (request) => {
    refuseBadText(request.body, 'body');
    guardMultipart(request);
  });
}
