import fc from 'fast-check';

// Generators of hostile requests from an OpenAPI document (issue 21): each route's own path,
// query and body parameters, filled mostly with plausible values (so requests get past validation
// into handlers and queries) and often with hostile ones: NUL bytes, unpaired surrogates, numbers
// out of every range, deep nesting, 100 KB strings, formula and path tricks, broken multipart.

export interface OpenApiSchema {
  type?: string | string[];
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  anyOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
  allOf?: OpenApiSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  additionalProperties?: boolean | OpenApiSchema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: { in: string; name: string; schema?: OpenApiSchema }[];
  /** The JSON body's schema, when the route takes one. */
  jsonBody?: OpenApiSchema;
}

export interface HostileRequest {
  url: string;
  body?: { payload: string | Buffer; contentType: string };
}

const LONG_ASCII = 'x'.repeat(100_000);
const LONG_HAN = '档'.repeat(30_000);

const hostileConstants = [
  '\0',
  'a\0b',
  '\ud800',
  'x\udc00y',
  '\udbff\ud800',
  '',
  ' ',
  '1e20',
  '-1',
  'NaN',
  'Infinity',
  '0x1f',
  '99999999999999999999999',
  "' or 1=1 --",
  '../../etc/passwd',
  '%00',
  '%ED%A0%80',
  '=cmd|calc!A1',
  '\u202e',
  'null',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '2026-13-45',
  '9999-12-31T99:99:99Z',
  '-000001-01-01',
  '𠮷😀',
  LONG_ASCII,
  LONG_HAN,
];

export const hostileText: fc.Arbitrary<string> = fc.oneof(
  // What PostgreSQL cannot hold, often: these broke the server before the door refused them.
  { weight: 3, arbitrary: fc.constantFrom('\0', 'a\0b', '\ud800', 'x\udc00y', '王\ud83d') },
  { weight: 3, arbitrary: fc.constantFrom(...hostileConstants) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(
  1e20,
  -1,
  0,
  2 ** 31,
  2 ** 53 + 2,
  -1e308,
  1.5,
  1e-7,
  Number.MAX_VALUE,
);

/** Deep or broken JSON text, whatever the route expects. */
const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    `${'['.repeat(200_000)}${']'.repeat(200_000)}`,
    `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
    '{"a":',
    '\u0000',
    '"\\ud800"',
    '{"__proto__":{"admin":true}}',
    '[1e400]',
    `"${LONG_ASCII}"`,
  ),
  fc.json({ maxDepth: 4 }),
);

/** Plausible values by parameter or property name (fonds → J013), and any-purpose strings. */
export interface Samples {
  byName: Record<string, unknown>;
  any: readonly string[];
}

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 2, arbitrary: hostileNumber },
  fc.constantFrom(null, true, {}, [], [[[[[[[[[[]]]]]]]]]]),
);

function plausibleText(samples: Samples, schema: OpenApiSchema): fc.Arbitrary<string> {
  if (schema.format === 'date') return fc.constantFrom('2024-03-15', '2026-06-30');
  if (schema.format === 'date-time') return fc.constantFrom('2024-03-15T10:20:00+08:00');
  return fc.oneof(fc.constantFrom(...samples.any), fc.string({ minLength: 1, maxLength: 8 }));
}

const typeOf = (schema: OpenApiSchema) => (Array.isArray(schema.type) ? schema.type[0] : schema.type);

/** A value a caller might really send: known names get their sample, the rest fit the schema. */
export function plausible(
  schema: OpenApiSchema | undefined,
  samples: Samples,
  name?: string,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (name !== undefined && name in samples.byName) return fc.constant(samples.byName[name]);
  if (!schema || depth > 4) return fc.constantFrom(...samples.any);
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const choices = (schema.anyOf ?? schema.oneOf)?.filter((one) => typeOf(one) !== 'null');
  if (choices?.length) return fc.oneof(...choices.map((one) => plausible(one, samples, name, depth + 1)));
  if (schema.allOf?.length) return plausible(schema.allOf[0], samples, name, depth + 1);
  switch (typeOf(schema)) {
    case 'string':
      return plausibleText(samples, schema);
    case 'integer':
    case 'number': {
      const min = Math.ceil(Math.max(schema.minimum ?? 1, -1000));
      return fc.integer({ min, max: Math.max(min, Math.floor(Math.min(schema.maximum ?? 100, min + 50))) });
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(schema.items, samples, undefined, depth + 1), { minLength: 1, maxLength: 2 });
    case 'object': {
      const entries = Object.entries(schema.properties ?? {});
      return fc.record(
        Object.fromEntries(entries.map(([key, inner]) => [key, plausible(inner, samples, key, depth + 1)])),
        { requiredKeys: (schema.required ?? []).filter((key) => entries.some(([known]) => known === key)) },
      );
    }
    default:
      return fc.constantFrom(...samples.any);
  }
}

/** Where in a value a hostile value goes: a node (replaced), or an object (a key added). */
export interface Place {
  path: (string | number)[];
  add?: boolean;
}

/** Every place in a value a hostile value can go: each node, and a new key in each object. */
function places(value: unknown, path: (string | number)[] = []): Place[] {
  const here: Place[] = [{ path }];
  if (Array.isArray(value))
    return [...here, ...value.flatMap((item, index) => places(item, [...path, index]))];
  if (value && typeof value === 'object')
    return [
      ...here,
      { path, add: true },
      ...Object.entries(value).flatMap(([key, item]) => places(item, [...path, key])),
    ];
  return here;
}

function putAt(value: unknown, place: Place, bad: unknown, key: string): unknown {
  const [head, ...rest] = place.path;
  if (head === undefined) return place.add ? { ...(value as object), [key]: bad } : bad;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  copy[head] = putAt(copy[head], { path: rest, add: place.add }, bad, key);
  return copy;
}

/** A plausible value with one hostile value put somewhere in it (or as a new key). */
export function withOneHostile<T>(
  arbitrary: fc.Arbitrary<T>,
  allowed: (place: Place) => boolean = () => true,
): fc.Arbitrary<T> {
  return fc.tuple(arbitrary, fc.nat(), hostileValue, hostileText).map(([value, pick, bad, key]) => {
    const candidates = places(value).filter(allowed);
    const place = candidates[pick % Math.max(candidates.length, 1)];
    return (place ? putAt(value, place, bad, key.slice(0, 60) || 'x') : value) as T;
  });
}

/** A value shaped by a schema, plausible two times in three at every level, hostile otherwise. */
export function fromSchema(
  schema: OpenApiSchema | undefined,
  samples: Samples,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return hostileValue;
  const mixed = (good: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 2, arbitrary: good }, { weight: 1, arbitrary: hostileValue });
  if (schema.enum?.length) return mixed(fc.constantFrom(...schema.enum));
  if (schema.const !== undefined) return mixed(fc.constant(schema.const));
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices?.length) return fc.oneof(...choices.map((one) => fromSchema(one, samples, depth + 1)));
  if (schema.allOf?.length) return fromSchema(schema.allOf[0], samples, depth + 1);
  switch (typeOf(schema)) {
    case 'object': {
      const entries = Object.entries(schema.properties ?? {});
      return mixed(
        fc.record(
          Object.fromEntries(entries.map(([key, inner]) => [key, fromSchema(inner, samples, depth + 1)])),
          { requiredKeys: [] },
        ),
      );
    }
    case 'array':
      return mixed(fc.array(fromSchema(schema.items, samples, depth + 1), { maxLength: 3 }));
    default:
      return mixed(plausible(schema, samples, undefined, depth));
  }
}

/** Percent-encoding that also carries what encodeURIComponent refuses (an unpaired surrogate). */
export function encodeLoose(text: string): string {
  let out = '';
  for (const char of text) {
    const point = char.codePointAt(0) as number;
    if (point >= 0xd800 && point <= 0xdfff)
      out += [0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    else out += encodeURIComponent(char);
  }
  return out;
}

const asText = (value: unknown) =>
  typeof value === 'string' ? value : value === null ? 'null' : JSON.stringify(value);

function multipart(
  fileName: string,
  content: string,
  terminated: boolean,
  field?: string,
): HostileRequest['body'] {
  const boundary = '----yidang-hostile';
  const plain = /^[\x20-\x7e]*$/.test(fileName) && !/["\\]/.test(fileName);
  const disposition = plain ? `filename="${fileName}"` : `filename*=UTF-8''${encodeLoose(fileName)}`;
  const extra =
    field === undefined
      ? ''
      : `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n${field}\r\n`;
  const payload = Buffer.from(
    `${extra}--${boundary}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${content}\r\n${terminated ? `--${boundary}--\r\n` : ''}`,
  );
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

const hostileMultipart = fc
  .record({
    fileName: fc.oneof(
      fc.constantFrom('a.pdf', '名单.csv', 'roster.xlsx', 'scan.tiff', '', '   ', '../a.pdf', 'C:\\a.pdf'),
      hostileText.map((text) => text.slice(0, 300)),
    ),
    content: fc.constantFrom('%PDF-1.4\n%%EOF\n', '姓名,身份证号\n王建国,1\n', 'MZ\x90\x00', '', 'II*\x00'),
    terminated: fc.boolean(),
    field: fc.option(
      hostileText.map((text) => text.slice(0, 1000)),
      { freq: 3, nil: undefined },
    ),
  })
  .map(({ fileName, content, terminated, field }) => multipart(fileName, content, terminated, field));

// A hostile value goes inside the path, the query or the body, or becomes the body or a new query key.
const insideRequest = ({ path, add }: Place) =>
  path.length > 1 || (path[0] === 'body' && !add) || (path[0] === 'query' && add === true);

interface Parts {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body?: unknown;
}

/**
 * Requests for one operation. Most are plausible with one hostile value somewhere in the path, the
 * query or the body (so they get as far as they can before it matters); the others are hostile
 * throughout, or carry a raw body: JSON too deep or broken, or a multipart upload gone wrong.
 */
export function hostileRequests(operation: Operation, samples: Samples): fc.Arbitrary<HostileRequest> {
  const pathParams = operation.parameters.filter((param) => param.in === 'path');
  const queryParams = operation.parameters.filter((param) => param.in === 'query');
  const changes = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(operation.method);
  const shaped = (of: (schema: OpenApiSchema | undefined, name: string) => fc.Arbitrary<unknown>) =>
    fc.record({
      path: fc.record(
        Object.fromEntries(pathParams.map((param) => [param.name, of(param.schema, param.name)])),
      ),
      query: fc.record(
        Object.fromEntries(queryParams.map((param) => [param.name, of(param.schema, param.name)])),
        { requiredKeys: [] },
      ),
      ...(operation.jsonBody ? { body: of(operation.jsonBody, '') } : {}),
    }) as fc.Arbitrary<Parts>;
  const plausibleParts = shaped((schema, name) =>
    name && name in samples.byName ? fc.constant(samples.byName[name]) : plausible(schema, samples),
  );
  const json = (parts: Parts) =>
    parts.body === undefined
      ? undefined
      : { payload: JSON.stringify(parts.body) ?? 'null', contentType: 'application/json' };
  const rawBody = fc.oneof(
    hostileJsonText.map((payload) => ({ payload, contentType: 'application/json' })),
    hostileMultipart,
  );
  const requests: fc.Arbitrary<{ parts: Parts; body: HostileRequest['body'] }> = fc.oneof(
    {
      weight: 5,
      arbitrary: withOneHostile(plausibleParts, insideRequest).map((parts) => ({ parts, body: json(parts) })),
    },
    {
      weight: 2,
      arbitrary: shaped((schema) => fromSchema(schema, samples)).map((parts) => ({
        parts,
        body: json(parts),
      })),
    },
    ...(changes
      ? [
          {
            weight: 2,
            arbitrary: fc.tuple(plausibleParts, rawBody).map(([parts, body]) => ({ parts, body })),
          },
        ]
      : []),
  );
  return requests.map(({ parts, body }) => {
    const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
      encodeLoose(asText(parts.path[name] ?? '')),
    );
    const pairs = Object.entries(parts.query).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map(
        (one) => `${encodeLoose(name)}=${encodeLoose(asText(one))}`,
      ),
    );
    return { url: pairs.length ? `${path}?${pairs.join('&')}` : path, body };
  });
}

/** The operations of an OpenAPI document, with their JSON body schema when they take one. */
export function operationsOf(spec: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => {
        const content = (operation.requestBody as { content?: Record<string, { schema?: OpenApiSchema }> })
          ?.content;
        return {
          method: method.toUpperCase(),
          path,
          parameters: (operation.parameters ?? []) as Operation['parameters'],
          jsonBody: content?.['application/json']?.schema,
        };
      }),
  );
}
