import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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
  FST_REQ_FILE_TOO_LARGE: [413, 'FILE_TOO_LARGE', '上传的文件过大，请拆分后分批导入'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    '不支持的内容类型，请使用 application/json',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON', '请求体为空，应为 JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON', '请求体不是有效的 JSON'],
  FST_ERR_BAD_URL: [400, 'BAD_URL', '请求地址无效（含有无法解码的字符）'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'PATH_TOO_LONG', '请求地址中的参数过长'],
};

function describe(error: FastifySchemaValidationError, where: string): FieldIssue {
  const params = error.params as Record<string, unknown>;
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = params.missingProperty ? String(params.missingProperty) : undefined;
  const field = [where, path, missing].filter(Boolean).join('.');
  const messages: Record<string, string> = {
    required: '为必填项',
    type: `类型应为 ${String(params.type)}`,
    maxLength: `过长：最多 ${String(params.limit)} 个字符`,
    minLength: `过短：至少 ${String(params.limit)} 个字符`,
    maximum: `不能大于 ${String(params.limit)}`,
    minimum: `不能小于 ${String(params.limit)}`,
    pattern: '格式不正确',
    format: `格式应为 ${String(params.format)}`,
    enum: `取值应为 ${(params.allowedValues as unknown[] | undefined)?.join('、')} 之一`,
    const: '取值无效',
    anyOf: '取值不符合任何允许的形式',
    additionalProperties: `不认识的字段“${String(params.additionalProperty)}”`,
    maxItems: `最多 ${String(params.limit)} 项`,
    minItems: `至少 ${String(params.limit)} 项`,
  };
  return { field, message: messages[error.keyword] ?? '不符合要求' };
}

export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const where = dataVar === 'querystring' ? 'query' : dataVar === 'params' ? 'path' : dataVar;
  return new ValidationError(errors.map((error) => describe(error, where === 'body' ? '' : where)));
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
  const known = error.code ? FRAMEWORK_ERRORS[error.code] : undefined;
  if (known) {
    reply.status(known[0]).send({ error: { code: known[1], message: known[2] } });
    return;
  }
  // Every answer below names a catalog code, so the console and programs can rely on the list.
  const answer = (status: number, code: ErrorCode, message: string) =>
    reply.status(status).send({ error: { code, message } });
  if (isDataException(error.code)) {
    request.log.warn({ route: request.routeOptions.url, sqlstate: error.code }, 'data exception from input');
    answer(400, 'INVALID_INPUT', '输入的数据无法处理（格式不正确或取值超出范围），请检查后重试');
    return;
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    answer(error.statusCode, 'BAD_REQUEST', `请求无效（${error.code ?? error.statusCode}）`);
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
  const code: ErrorCode = 'ROUTE_NOT_FOUND';
  reply.status(404).send({
    error: {
      code,
      message: safeMessage(
        `没有这个接口：${request.method} ${maskIdsInText(request.url.split('?')[0] ?? '')}`,
      ),
    },
  });
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
