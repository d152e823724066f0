import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Database } from '../db/database.js';
import { accessRoutes } from '../modules/access/access.routes.js';
import { grantRoutes } from '../modules/access/grant.routes.js';
import { userControlRoutes } from '../modules/access/user-control.routes.js';
import { auditRoutes } from '../modules/audit/audit.routes.js';
import { backupRoutes } from '../modules/backup/backup.routes.js';
import { caseRoutes } from '../modules/cases/case.routes.js';
import { catalogRoutes } from '../modules/catalog/catalog.routes.js';
import { holdRoutes } from '../modules/catalog/hold.routes.js';
import { appraisalRoutes } from '../modules/disposition/appraisal.routes.js';
import { destructionRoutes } from '../modules/disposition/destruction.routes.js';
import { itemRoutes } from '../modules/catalog/item.routes.js';
import { checkRoutes } from '../modules/check/check.routes.js';
import { jobRoutes } from '../modules/console/jobs.routes.js';
import { savedSearchRoutes } from '../modules/console/saved-search.routes.js';
import { statsRoutes } from '../modules/console/stats.routes.js';
import { systemStatusRoutes } from '../modules/console/system-status.routes.js';
import { duplicateRoutes } from '../modules/duplicates/duplicates.routes.js';
import { fhirRoutes } from '../modules/fhir/fhir.routes.js';
import { importRoutes } from '../modules/import/import.routes.js';
import { insuredRoutes } from '../modules/insured/insured.routes.js';
import type { SigningKey } from '../modules/integrity/checkpoint.service.js';
import { integrityRoutes } from '../modules/integrity/integrity.routes.js';
import { anomalyRoutes } from '../modules/fund/anomaly.routes.js';
import { ruleRoutes } from '../modules/fund/rule.routes.js';
import { forecastRoutes } from '../modules/forecast/forecast.routes.js';
import { seriesRoutes } from '../modules/fund/series.routes.js';
import { settlementRoutes } from '../modules/fund/settlement.routes.js';
import { ledgerRoutes } from '../modules/ledgers/ledger.routes.js';
import { lendingRoutes } from '../modules/lending/lending.routes.js';
import { overdueRoutes } from '../modules/lending/overdue.routes.js';
import { noticeRoutes } from '../modules/notices/notice.routes.js';
import { ingestRoutes } from '../modules/push/push.routes.js';
import { qcRoutes } from '../modules/scan/qc.routes.js';
import { scanRoutes } from '../modules/scan/scan.routes.js';
import { searchRoutes } from '../modules/search/search.routes.js';
import type { BlobStore } from '../modules/storage/blob-store.js';
import { storageRoutes } from '../modules/storage/storage.routes.js';
import { receiveRoutes } from '../modules/transfer/receive.routes.js';
import { transferRoutes } from '../modules/transfer/transfer.routes.js';
import { useRoutes } from '../modules/use/use.routes.js';
import { kpiRoutes } from '../modules/kpi/kpi.routes.js';
import { verifyRoutes } from '../modules/verify/verify.routes.js';
import { vocabularyRoutes } from '../modules/vocabulary/vocabulary.routes.js';
import { tokenMatches } from '../system/server-file.js';
import type { System } from '../system/system.js';
import { VERSION } from '../version.js';
import { registerAuth } from './auth.js';
import { registerBeijingTimes } from './beijing-times.js';
import { registerBodyDeadline } from './body-deadline.js';
import { consoleBuilt, consoleOrNotFound, registerConsole } from './console.js';
import {
  answerWhileClosing,
  clientErrorHandler,
  collectRoutes,
  errorHandler,
  notFoundHandler,
  schemaErrorFormatter,
} from './errors.js';
import { registerInputGuard } from './input-guard.js';
import { maskIdsInText } from './mask-text.js';

export interface AppOptions {
  database: Database;
  /** The blob store and the log's signing key; without them the file and proof routes are absent. */
  store?: BlobStore;
  signingKey?: SigningKey;
  logger?: boolean;
  /** Where the request log goes (standard output when absent); tests read it. */
  logStream?: NodeJS.WritableStream;
  /** Largest request body in bytes; batches of items are the big ones. */
  bodyLimit?: number;
  /** A request body that sends nothing for this long is answered 408 and its connection closed. */
  bodyIdleMs?: number;
  /** The whole system and the server's local control token, for online backup. */
  control?: { system: System; token: string };
  /** Serve the built web console at `/` (default: when dist/web holds a build). */
  console?: boolean;
}

export type App = FastifyInstance;

// Route helpers (requestActor) live in request.ts: route files must not import the app that composes them.

// A logged URL (?idNumber=…, ?q=…) has its ID numbers masked (mask-text.ts); kept exported here for callers.
export { maskIdsInText };

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger
      ? {
          level: 'info',
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          ...(options.logStream ? { stream: options.logStream } : {}),
          serializers: {
            req: (request: { method: string; url: string; ip?: string }) => ({
              method: request.method,
              url: maskIdsInText(request.url),
              remoteAddress: request.ip,
            }),
          },
        }
      : false,
    bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
    schemaErrorFormatter,
    // The router's own refusals (an undecodable or overlong path) would otherwise echo the path back.
    frameworkErrors: errorHandler,
    // A request the HTTP parser cannot read gets the same Chinese JSON error as any other.
    clientErrorHandler,
    // A request arriving while the server stops is answered by answerWhileClosing, in Chinese.
    return503OnClosing: false,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // First, so the 405 answer knows every route's methods.
  collectRoutes(app);
  answerWhileClosing(app);
  // No route reads plain text: a text body is refused as 415, not validated as a string.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      info: {
        title: '医档 Yidang API',
        description:
          '医保业务档案管理系统接口。错误统一为 { error: { code, message, issues } }，message 为中文。',
        version: VERSION,
      },
      tags: [
        { name: '档案', description: '归档、查询、修改与版本' },
        { name: '分类与保管期限', description: '全宗、分类方案、保管期限表' },
        { name: '电子文件', description: '上传、下载与固定性检查' },
        { name: '归档接入', description: '业务系统推送归档（经办即归档）与归档时滞' },
        { name: '完整性', description: '事件日志、签名检查点、包含与一致性证明' },
        { name: '账户与权限', description: '登录、会话、接口令牌、账户与授权' },
        { name: '医保扶贫', description: '扶贫名单核对与四大台账（参保、动态、待遇享受、慢病与两病）' },
        { name: '审计', description: '审计记录检索、导出与异常查阅提醒（安全审计员）' },
        { name: '系统', description: '运行状态' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.setErrorHandler(errorHandler);
  // Before the access layer and every route: hostile text and stalled bodies never reach a handler.
  registerInputGuard(app);
  registerBodyDeadline(app, options.bodyIdleMs);
  registerBeijingTimes(app);
  const serveConsole = options.console !== false && consoleBuilt();
  app.setNotFoundHandler(serveConsole ? consoleOrNotFound : notFoundHandler);
  await registerAuth(app, options.database.db);

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/api/v1/health',
    { config: { public: true }, schema: { tags: ['系统'], summary: '运行状态' } },
    async () => ({
      status: 'ok',
      database: options.database.kind,
      version: VERSION,
    }),
  );
  await app.register(accessRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(grantRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(auditRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(catalogRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(itemRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(searchRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(importRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(duplicateRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(qcRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(statsRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(savedSearchRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(vocabularyRoutes, { prefix: '/api/v1' });
  await app.register(jobRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(noticeRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(overdueRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(lendingRoutes, { prefix: '/api/v1', db: options.database.db, store: options.store });
  await app.register(useRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(kpiRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(holdRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(appraisalRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(destructionRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(seriesRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(settlementRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(forecastRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(anomalyRoutes, { prefix: '/api/v1', db: options.database.db });
  await app.register(ruleRoutes, { prefix: '/api/v1', db: options.database.db });
  // 移交批次 (issue 26); the bag download reads the exported bags under YIDANG_HOME/transfer.
  const home = options.control?.system.config.home;
  await app.register(transferRoutes, {
    prefix: '/api/v1',
    db: options.database.db,
    ...(home ? { home } : {}),
  });
  await app.register(systemStatusRoutes, {
    prefix: '/api/v1',
    database: options.database,
    store: options.store,
    signingKey: options.signingKey,
    config: options.control?.system.config,
  });
  if (options.store)
    await app.register(checkRoutes, {
      prefix: '/api/v1',
      db: options.database.db,
      store: options.store,
      clamavDatabase: options.control?.system.config.clamavDatabase,
    });
  if (options.store) {
    await app.register(storageRoutes, { prefix: '/api/v1', db: options.database.db, store: options.store });
    const clamavDatabase = options.control?.system.config.clamavDatabase;
    await app.register(ingestRoutes, {
      prefix: '/api/v1',
      db: options.database.db,
      store: options.store,
      clamavDatabase,
    });
    await app.register(ledgerRoutes, { prefix: '/api/v1', db: options.database.db, store: options.store });
    await app.register(caseRoutes, { prefix: '/api/v1', db: options.database.db, store: options.store });
    await app.register(scanRoutes, {
      prefix: '/api/v1',
      db: options.database.db,
      store: options.store,
      clamavDatabase,
    });
  }
  if (options.signingKey)
    await app.register(integrityRoutes, {
      prefix: '/api/v1',
      db: options.database.db,
      signingKey: options.signingKey,
    });
  if (options.store && options.signingKey)
    await app.register(verifyRoutes, {
      prefix: '/api/v1',
      db: options.database.db,
      store: options.store,
      signingKey: options.signingKey,
    });
  // 接收 (issue 26): bags received as a tar, filed in a fonds, the signed 回执 returned.
  if (options.store && options.signingKey)
    await app.register(receiveRoutes, {
      prefix: '/api/v1',
      db: options.database.db,
      store: options.store,
      signingKey: options.signingKey,
      clamavDatabase: options.control?.system.config.clamavDatabase,
    });
  if (options.control) {
    const { system, token } = options.control;
    await app.register(backupRoutes, { prefix: '/api/v1', system, controlToken: token });
    await app.register(userControlRoutes, {
      prefix: '/api/v1',
      db: options.database.db,
      isControlToken: (presented) => tokenMatches(token, presented),
    });
  }
  await app.register(insuredRoutes, {
    prefix: '/api/v1',
    db: options.database.db,
    store: options.store,
    showStaffNames: options.control?.system.config.env.YIDANG_INSURED_SHOW_STAFF === '1',
    copiesPerDay: options.control?.system.config.env.YIDANG_INSURED_COPIES_PER_DAY,
  });
  // The read-only FHIR R4 interface (issue 26): its own prefix, the same accounts and scopes.
  await app.register(fhirRoutes, { prefix: '/fhir/R4', db: options.database.db });
  if (serveConsole) await registerConsole(app);
  return app;
}
