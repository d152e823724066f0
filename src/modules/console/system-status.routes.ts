import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, Nullable } from '../../http/schemas.js';
import { type StatusSources, systemStatus } from './system-status.service.js';

// GET /system/status for the 系统管理员: version, database, replicas, keys, OCR and ClamAV.

const SystemStatusSchema = Type.Object({
  version: Type.String({ description: '医档版本' }),
  database: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')], {
    description: 'pglite 嵌入式数据库 / postgres PostgreSQL 服务器',
  }),
  replicas: Type.Array(
    Type.Object({
      name: Type.String(),
      kind: Type.Union([Type.Literal('directory'), Type.Literal('s3')], {
        description: 'directory 本地或挂载目录 / s3 对象存储',
      }),
      location: Type.String({ description: '目录，或 s3://桶名/前缀（不含访问密钥）' }),
      endpoint: Nullable(Type.String({ description: '对象存储服务地址（只含协议、主机和端口）' })),
      required: Type.Boolean({
        description: 'true 必需副本（写入须成功）/ false 尽力副本（由固定性检查补齐）',
      }),
    }),
    { description: '文件副本位置' },
  ),
  keys: Nullable(
    Type.Object(
      {
        source: Type.Union([Type.Literal('file'), Type.Literal('env')], {
          description: 'file 数据目录下的密钥文件 / env 环境变量 YIDANG_MASTER_KEY',
        }),
        currentMasterKey: Type.String({ description: '当前主密钥编号' }),
        masterKeys: Type.Array(
          Type.Object({
            id: Type.String(),
            current: Type.Boolean(),
            dataKeys: Type.Integer({ minimum: 0, description: '由它包装的文件密钥数' }),
          }),
        ),
        pendingRotation: Type.Integer({ minimum: 0, description: '尚待重新包装的文件密钥数（轮换未完成）' }),
        signingAlgorithm: Nullable(Type.String({ description: '日志签名算法：ed25519 或 sm2' })),
        verifierKey: Nullable(Type.String({ description: '验证检查点签名的公钥' })),
      },
      { description: '密钥状态（同 yidang keys show，不含密钥本身）' },
    ),
  ),
  ocr: Nullable(
    Type.Object(
      {
        available: Type.Boolean(),
        problem: Nullable(Type.String({ description: '不可用的原因' })),
        command: Type.String(),
        languages: Type.String(),
        workers: Type.Integer({ minimum: 0, description: '服务同时识别的页数；0 表示不自动识别' }),
      },
      { description: 'OCR 引擎（Tesseract）；服务未带配置启动时为 null' },
    ),
  ),
  clamav: Type.Object(
    {
      available: Type.Boolean(),
      problem: Nullable(Type.String({ description: '不可用的原因' })),
      database: Nullable(
        Type.String({ description: '病毒库位置（YIDANG_CLAMAV_DATABASE）；null 为 clamscan 默认' }),
      ),
    },
    { description: 'ClamAV 病毒扫描（四性检测的安全性检查）' },
  ),
});

export const systemStatusRoutes: FastifyPluginAsyncTypebox<StatusSources> = async (app, sources) => {
  app.get(
    '/system/status',
    {
      config: { permission: 'storage.manage' },
      schema: {
        tags: ['系统'],
        summary: '系统状态：版本、数据库、文件副本、密钥、OCR 与病毒扫描',
        response: { 200: SystemStatusSchema, ...errorResponses(401, 403) },
      },
    },
    async () => systemStatus(sources),
  );
};
