import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/database.js';
import { accessOf, principalOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { ArchiveCountsCache } from './stats.cache.js';
import { OverviewSchema } from './stats.schema.js';
import { overview } from './stats.service.js';

// GET /stats/overview: the 首页 dashboard. Open to anyone signed in; each part is shown only to
// those allowed it (archive counts need item.read and stay within the caller's scope).

export const statsRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  const counts = new ArchiveCountsCache(db);
  app.addHook('onClose', () => counts.settle());
  app.get(
    '/stats/overview',
    {
      schema: {
        tags: ['统计'],
        summary: '首页概览：管辖范围内的档案统计、待审批申请、最近的固定性检查与完整性校验、OCR 队列',
        response: { 200: OverviewSchema, ...errorResponses(401) },
      },
    },
    async (request) =>
      overview(
        db,
        principalOf(request),
        () => accessOf(request, db),
        (access) => counts.get(access),
      ),
  );
};
