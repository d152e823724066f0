import { Card, Col, Descriptions, Row, Space, Tag, Typography } from 'antd';
import type { ResponseOf } from '../../api/types';

// What the server runs on: version and database, where files are copied (one card per replica),
// the keys' state (never key bytes), and whether OCR and the virus scan can run.

export type SystemStatus = ResponseOf<'/api/v1/system/status', 'get'>;

const Available = ({ available, problem }: { available: boolean; problem: string | null }) =>
  available ? (
    <Tag color="success">可用</Tag>
  ) : (
    <Tag color="error">不可用{problem ? `：${problem}` : ''}</Tag>
  );

export function ReplicaCards({ status }: { status: SystemStatus }) {
  if (status.replicas.length === 0)
    return <Typography.Paragraph type="secondary">本服务未配置文件副本。</Typography.Paragraph>;
  return (
    <Row gutter={[16, 16]}>
      {status.replicas.map((replica) => (
        <Col key={replica.name} xs={24} md={12} xl={8}>
          <Card
            size="small"
            title={
              <Space>
                {replica.name}
                <Tag color={replica.kind === 's3' ? 'geekblue' : 'cyan'}>
                  {replica.kind === 's3' ? '对象存储' : '目录'}
                </Tag>
              </Space>
            }
            extra={replica.required ? <Tag color="blue">必需副本</Tag> : <Tag>尽力副本</Tag>}
          >
            <Descriptions size="small" column={1}>
              <Descriptions.Item label="位置">
                <Typography.Text style={{ wordBreak: 'break-all' }}>{replica.location}</Typography.Text>
              </Descriptions.Item>
              {replica.endpoint && <Descriptions.Item label="服务地址">{replica.endpoint}</Descriptions.Item>}
              <Descriptions.Item label="写入">
                {replica.required ? '每次写入须成功' : '写入失败时由固定性检查补齐'}
              </Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
      ))}
    </Row>
  );
}

export function StatusSummary({ status }: { status: SystemStatus }) {
  const keys = status.keys;
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <Card size="small" title="服务" style={{ height: '100%' }}>
          <Descriptions size="small" column={1}>
            <Descriptions.Item label="版本">{status.version}</Descriptions.Item>
            <Descriptions.Item label="数据库">
              {status.database === 'postgres' ? 'PostgreSQL 服务器' : 'PGlite 嵌入式数据库'}
            </Descriptions.Item>
            <Descriptions.Item label="文字识别（OCR）">
              {status.ocr ? (
                <Space orientation="vertical" size={0}>
                  <Available available={status.ocr.available} problem={status.ocr.problem} />
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {status.ocr.command}，语言 {status.ocr.languages}，
                    {status.ocr.workers > 0 ? `同时识别 ${status.ocr.workers} 页` : '不自动识别'}
                  </Typography.Text>
                </Space>
              ) : (
                <Typography.Text type="secondary">未配置</Typography.Text>
              )}
            </Descriptions.Item>
            <Descriptions.Item label="病毒扫描（ClamAV）">
              <Space orientation="vertical" size={0}>
                <Available available={status.clamav.available} problem={status.clamav.problem} />
                {status.clamav.database && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    病毒库 {status.clamav.database}
                  </Typography.Text>
                )}
              </Space>
            </Descriptions.Item>
          </Descriptions>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card size="small" title="密钥" style={{ height: '100%' }}>
          {keys ? (
            <Descriptions size="small" column={1}>
              <Descriptions.Item label="主密钥来源">
                {keys.source === 'env' ? '环境变量 YIDANG_MASTER_KEY' : '数据目录下的密钥文件'}
              </Descriptions.Item>
              <Descriptions.Item label="当前主密钥">{keys.currentMasterKey}</Descriptions.Item>
              <Descriptions.Item label="各主密钥包装的文件密钥">
                <Space orientation="vertical" size={0}>
                  {keys.masterKeys.map((key) => (
                    <span key={key.id}>
                      {key.id}：{key.dataKeys} 个{key.current && <Tag style={{ marginLeft: 8 }}>当前</Tag>}
                    </span>
                  ))}
                </Space>
              </Descriptions.Item>
              <Descriptions.Item label="轮换">
                {keys.pendingRotation > 0 ? (
                  <Tag color="warning">未完成：尚有 {keys.pendingRotation} 个文件密钥待重新包装</Tag>
                ) : (
                  <Tag color="success">无待处理</Tag>
                )}
              </Descriptions.Item>
              <Descriptions.Item label="日志签名算法">{keys.signingAlgorithm ?? '—'}</Descriptions.Item>
              {keys.verifierKey && (
                <Descriptions.Item label="检查点验证公钥">
                  <Typography.Text copyable style={{ wordBreak: 'break-all', fontSize: 12 }}>
                    {keys.verifierKey}
                  </Typography.Text>
                </Descriptions.Item>
              )}
            </Descriptions>
          ) : (
            <Typography.Text type="secondary">本服务未配置存储与密钥。</Typography.Text>
          )}
        </Card>
      </Col>
    </Row>
  );
}
