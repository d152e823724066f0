import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import type { ErrorCode } from '../shared/error-codes.js';
import { type ErrorKind, type FieldIssue, isYidangError, ValidationError } from '../shared/errors.js';
import { wellFormed } from '../shared/well-formed.js';
import { maskIdsInPlainText, maskIdsInText } from './mask-text.js';

// Every error leaves the API as { error: { code, message, issues? } } with a Chinese message; the
// log gets the code and the route, never the request body (it may hold ID numbers or diagnoses).

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  locked: 423,
  not_found: 404,
  conflict: 409,
  busy: 503,
  unprocessable: 422,
  too_large: 413,
};

const FRAMEWORK_ERRORS: Record<string, [number, ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE', '请求体过大，请拆分后分批提交'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST', '请求体的实际长度与 Content-Length 不符'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'UNSUPPORTED_MEDIA_TYPE', '请求的内容类型（Content-Type）写法无效'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON', '请求体为空，应为 JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON', '请求体不是有效的 JSON'],
  FST_ERR_BAD_URL: [400, 'BAD_URL', '请求地址无效（含有无法解码的字符）'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'PATH_TOO_LONG', '请求地址中的参数过长'],
  // @fastify/multipart: the limits each upload route sets, and bodies that are not a form at all.
  FST_REQ_FILE_TOO_LARGE: [413, 'FILE_TOO_LARGE', '上传的文件过大，请拆分后分批导入'],
  FST_FILES_LIMIT: [413, 'MULTIPART_INVALID', '一次上传的文件过多：此接口每次只接收规定数量的文件'],
  FST_FIELDS_LIMIT: [413, 'MULTIPART_INVALID', '上传的表单字段过多：此接口只接收规定的字段'],
  FST_PARTS_LIMIT: [413, 'MULTIPART_INVALID', '上传的表单部分过多'],
  FST_PROTO_VIOLATION: [400, 'MULTIPART_INVALID', '上传的表单含有不允许的字段名'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [
    415,
    'MULTIPART_REQUIRED',
    '请用 multipart/form-data 上传，文件放在 file 字段',
  ],
  FST_INVALID_JSON_FIELD_ERROR: [400, 'MULTIPART_INVALID', '上传的表单中声明为 JSON 的字段不是有效的 JSON'],
};

/** The type names of JSON Schema, as a clerk reads them. */
const TYPE_NAMES: Record<string, string> = {
  string: '文字',
  integer: '整数',
  number: '数字',
  boolean: '布尔值（true 或 false）',
  object: '对象（{…}）',
  array: '列表（[…]）',
  null: '空值（null）',
};
const typeName = (type: unknown) =>
  String(type)
    .split(',')
    .map((one) => TYPE_NAMES[one] ?? one)
    .join('或');

/** The formats the schemas use, with the form expected. */
const FORMAT_NAMES: Record<string, string> = {
  date: '日期（如 2026-12-07）',
  'date-time': '时间（如 2026-12-07T11:33:05+08:00）',
  time: '时刻（如 11:33:05）',
  email: '电子邮箱地址',
  uri: '网址',
  uuid: 'UUID',
  ipv4: 'IPv4 地址',
  regex: '正则表达式',
};

function describe(error: FastifySchemaValidationError, where: string): FieldIssue {
  const params = error.params as Record<string, unknown>;
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = params.missingProperty ? String(params.missingProperty) : undefined;
  const field = [where, path, missing].filter(Boolean).join('.');
  const limit = String(params.limit);
  // ajv's own English (error.message) is never passed on: each keyword is said here, the rest generically.
  const messages: Record<string, () => string> = {
    required: () => '为必填项',
    type: () => `应为${typeName(params.type)}`,
    maxLength: () => `过长：最多 ${limit} 个字符`,
    minLength: () => (params.limit === 1 ? '不能为空' : `过短：至少 ${limit} 个字符`),
    maximum: () => `不能大于 ${limit}`,
    minimum: () => `不能小于 ${limit}`,
    exclusiveMaximum: () => `应小于 ${limit}`,
    exclusiveMinimum: () => `应大于 ${limit}`,
    multipleOf: () => `应为 ${String(params.multipleOf)} 的整数倍`,
    pattern: () => '格式不正确',
    format: () => `格式应为${FORMAT_NAMES[String(params.format)] ?? ` ${String(params.format)}`}`,
    enum: () => `取值应为 ${(params.allowedValues as unknown[] | undefined)?.join('、')} 之一`,
    const: () => `取值应为 ${String(params.allowedValue)}`,
    anyOf: () => '取值不符合任何允许的形式',
    oneOf: () => '取值应恰好符合一种允许的形式',
    not: () => '取值不允许',
    if: () => '取值与相关字段不相符',
    additionalProperties: () => `不认识的字段“${String(params.additionalProperty)}”`,
    unevaluatedProperties: () => `不认识的字段“${String(params.unevaluatedProperty)}”`,
    propertyNames: () => `字段名“${String(params.propertyName)}”无效`,
    maxProperties: () => `最多 ${limit} 个字段`,
    minProperties: () => `至少 ${limit} 个字段`,
    dependentRequired: () => `有 ${String(params.property)} 时须同时提供 ${String(params.missingProperty)}`,
    maxItems: () => `最多 ${limit} 项`,
    minItems: () => (params.limit === 1 ? '至少要有 1 项' : `至少 ${limit} 项`),
    uniqueItems: () => `第 ${Number(params.j) + 1} 项与第 ${Number(params.i) + 1} 项重复`,
    contains: () => '没有符合要求的项',
  };
  return { field, message: messages[error.keyword]?.() ?? '不符合要求' };
}

/** Where a field is, for the summary: the body's fields by name, the rest with where they were sent. */
function placeOf(field: string): string {
  const [head, ...rest] = field.split('.');
  const named = rest.join('.');
  if (head === 'query') return `查询参数 ${named}`;
  if (head === 'path') return `路径参数 ${named}`;
  if (head === 'headers') return `请求头 ${named}`;
  return field;
}

export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const where =
    dataVar === 'querystring' ? 'query' : dataVar === 'params' ? 'path' : dataVar === 'body' ? '' : dataVar;
  const issues = errors.map((error) => describe(error, where));
  const summary = issues
    .map((issue) =>
      issue.field === '' ? `请求体${issue.message}` : `${placeOf(issue.field)}：${issue.message}`,
    )
    .join('；');
  return new ValidationError(issues, `请求不符合要求：${summary}`);
}

// A message may quote what it refuses (档号“…”不存在): it never repeats an ID number, a broken
// character or a page of text back.
const MAX_MESSAGE = 500;
export function safeMessage(text: string): string {
  const clean = maskIdsInPlainText(wellFormed(text));
  return clean.length > MAX_MESSAGE
    ? `${clean.slice(0, MAX_MESSAGE).replace(/[\ud800-\udbff]$/, '')}…`
    : clean;
}

// PostgreSQL's data exceptions (class 22: a value out of range, text it cannot hold, a date or a
// number it cannot read) come from what the request carried; the input guard and the schemas stop
// most of it first, and what slips past is still the client's to correct, not a server failure.
const isDataException = (code: unknown) => typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (isYidangError(error)) {
    const issues = error.issues.map((issue) => ({
      field: safeMessage(issue.field),
      message: safeMessage(issue.message),
    }));
    const body = {
      code: error.code,
      message: safeMessage(error.message),
      ...(issues.length ? { issues } : {}),
    };
    reply.status(STATUS[error.kind]).send({ error: body });
    return;
  }
  // Every answer below names a catalog code, so the console and programs can rely on the list.
  const answer = (status: number, code: ErrorCode, message: string) =>
    reply.status(status).send({ error: { code, message } });
  const known = error.code ? FRAMEWORK_ERRORS[error.code] : undefined;
  if (known) {
    answer(...known);
    return;
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    answer(415, 'UNSUPPORTED_MEDIA_TYPE', unsupportedMediaType(request));
    return;
  }
  if (isDataException(error.code)) {
    request.log.warn({ route: request.routeOptions.url, sqlstate: error.code }, 'data exception from input');
    answer(400, 'INVALID_INPUT', '输入的数据无法处理（格式不正确或取值超出范围），请检查后重试');
    return;
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    // A form parser's own refusal (no boundary, a cut-off part) carries English and no code.
    if (!error.code && /^multipart\//i.test(request.headers['content-type'] ?? '')) {
      answer(
        400,
        'MULTIPART_INVALID',
        '上传的表单（multipart/form-data）格式有误，无法读取，请检查后重新上传',
      );
      return;
    }
    answer(error.statusCode, ...byStatus(error.statusCode));
    return;
  }
  // A database's message may quote the value it choked on: the log gets it masked like the answer.
  request.log.error(
    {
      err: {
        message: safeMessage(error.message),
        stack: error.stack && maskIdsInPlainText(error.stack),
        code: error.code,
      },
    },
    'internal error',
  );
  answer(500, 'INTERNAL', '服务器内部错误，请联系系统管理员');
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const path = maskIdsInText(request.url.split('?')[0] ?? '');
  const allowed = allowedMethods(request);
  if (allowed.length > 0 && !allowed.includes(request.method)) {
    const code: ErrorCode = 'METHOD_NOT_ALLOWED';
    const message = `接口 ${path} 不支持 ${request.method} 请求，可用的请求方法：${allowed.join('、')}`;
    reply
      .status(405)
      .header('allow', allowed.join(', '))
      .send({ error: { code, message: safeMessage(message) } });
    return;
  }
  const code: ErrorCode = 'ROUTE_NOT_FOUND';
  reply
    .status(404)
    .send({ error: { code, message: safeMessage(`没有这个接口：${request.method} ${path}`) } });
}

// The routes' paths by method, so a known path asked with the wrong method is told 405 and the
// methods it takes (the router itself answers every miss alike, with 404).
const ROUTES = Symbol('yidang.routes');
type RouteTable = Array<{ method: string; pattern: RegExp }>;

/** A route's path as a pattern: parameters match one segment, a wildcard the rest. */
function routePattern(url: string): RegExp {
  const parts = url.split(/(\*|:[A-Za-z0-9_$]+(?:\((?:[^()\\]|\\.)*\))?)/);
  const source = parts
    .map((part, index) =>
      index % 2 === 1 ? (part === '*' ? '.*' : '[^/]+') : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

/** Keeps the table of routes the 405 answer reads; call on the root before any route is added. */
export function collectRoutes(app: FastifyInstance): void {
  const table: RouteTable = [];
  app.decorate(ROUTES, table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) table.push({ method, pattern: routePattern(route.url) });
  });
}

function allowedMethods(request: FastifyRequest): string[] {
  const table = (request.server as unknown as Record<symbol, RouteTable | undefined>)[ROUTES];
  const path = request.url.split('?')[0] ?? '';
  const methods = new Set(
    (table ?? []).filter((route) => route.pattern.test(path)).map((route) => route.method),
  );
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

const STATUS_ANSWERS: Record<number, [ErrorCode, string]> = {
  400: ['BAD_REQUEST', '请求无效，服务器无法处理，请检查后重试'],
  401: ['AUTH_REQUIRED', '请先登录（或使用接口令牌）'],
  403: ['FORBIDDEN', '无权进行此操作'],
  404: ['ROUTE_NOT_FOUND', '请求的资源不存在'],
  405: ['METHOD_NOT_ALLOWED', '此接口不支持该请求方法'],
  406: ['BAD_REQUEST', '无法按请求要求的格式答复'],
  408: ['REQUEST_TIMEOUT', '请求超时，请重新提交'],
  411: ['BAD_REQUEST', '请求缺少 Content-Length'],
  413: ['BODY_TOO_LARGE', '请求体过大，请拆分后分批提交'],
  414: ['PATH_TOO_LONG', '请求地址过长'],
  415: ['UNSUPPORTED_MEDIA_TYPE', '不支持的内容类型'],
  416: ['RANGE_INVALID', '请求的范围无效'],
  431: ['HEADERS_TOO_LARGE', '请求头过大'],
};

/** A client error known only by its status. */
function byStatus(status: number): [ErrorCode, string] {
  return STATUS_ANSWERS[status] ?? ['BAD_REQUEST', `请求无效（HTTP ${status}），请检查后重试`];
}

function unsupportedMediaType(request: FastifyRequest): string {
  const type = request.headers['content-type']?.split(';')[0]?.trim().slice(0, 100);
  const named = type ? `“${type}”` : '（未注明）';
  return `不支持的内容类型${named}：请求体应为 application/json（上传文件用 multipart/form-data）`;
}

/**
 * Requests that still arrive while the server drains to stop (on a kept-alive connection) are told so
 * in Chinese, 503 SERVER_STOPPING with the connection closed: Fastify's own answer to them is fixed
 * English text (the app turns it off with return503OnClosing: false). Call on the root before routes.
 */
export function answerWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    const code: ErrorCode = 'SERVER_STOPPING';
    return reply
      .status(503)
      .header('connection', 'close')
      .send({ error: { code, message: '服务正在停止，请稍后重试' } });
  });
}

/**
 * What a request the HTTP parser could not read at all gets (a malformed request line, headers too
 * large, a client too slow to send them): the same JSON error shape, in Chinese, then the connection
 * is closed, as Node and Fastify do by default.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', '请求在规定时间内没有发送完整，连接已关闭，请重新提交']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', '请求头过大，服务器不予处理']
        : [400, 'BAD_REQUEST', 'HTTP 请求格式有误，服务器无法读取'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

export const ErrorResponseSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: '稳定的错误代码，供程序判断' },
        message: { type: 'string', description: '中文错误说明' },
        issues: {
          type: 'array',
          items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
        },
      },
      required: ['code', 'message'],
    },
  },
} as const;
