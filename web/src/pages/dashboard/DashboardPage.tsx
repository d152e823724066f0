import { CheckCircleTwoTone, CloseCircleTwoTone, SyncOutlined } from '@ant-design/icons';
import { Card, Col, Descriptions, Progress, Row, Skeleton, Statistic, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ExpiryCard } from '../disposition/ExpiryCard';
import { KpiCard } from '../kpi/KpiCard';
import { UseCard } from '../use/UseCard';
import { ArchiveCharts } from './ArchiveCharts';
import { dateTime, loadOverview, type Overview, percent } from './overview';

function Health({ overview }: { overview: Overview }) {
  const { fixity, verify } = overview;
  const verdict = (ok: boolean | null | undefined, running: boolean) =>
    running ? (
      <Tag icon={<SyncOutlined spin />} color="processing">
        进行中
      </Tag>
    ) : ok ? (
      <Tag icon={<CheckCircleTwoTone twoToneColor="#52c41a" />} color="success">
        通过
      </Tag>
    ) : (
      <Tag icon={<CloseCircleTwoTone twoToneColor="#ff4d4f" />} color="error">
        发现问题
      </Tag>
    );
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <Card title="最近一次固定性检查">
          {fixity ? (
            <Descriptions column={2} size="small">
              <Descriptions.Item label="结论">
                {verdict(
                  fixity.unrepaired === 0 && fixity.lost === 0 && fixity.status === 'finished',
                  fixity.status === 'running',
                )}
              </Descriptions.Item>
              <Descriptions.Item label="完成时间">
                {dateTime(fixity.finishedAt ?? fixity.startedAt)}
              </Descriptions.Item>
              <Descriptions.Item label="文件 / 副本">
                {fixity.blobs} / {fixity.copies}
              </Descriptions.Item>
              <Descriptions.Item label="完好 / 已修复">
                {fixity.ok} / {fixity.repaired}
              </Descriptions.Item>
              <Descriptions.Item label="修复失败">{fixity.unrepaired}</Descriptions.Item>
              <Descriptions.Item label="全部副本缺失">{fixity.lost}</Descriptions.Item>
            </Descriptions>
          ) : (
            <Typography.Text type="secondary">尚未做过固定性检查（yidang fixity）</Typography.Text>
          )}
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title="最近一次完整性校验">
          {verify ? (
            <Descriptions column={2} size="small">
              <Descriptions.Item label="结论">
                {verdict(verify.ok, verify.status === 'running')}
              </Descriptions.Item>
              <Descriptions.Item label="完成时间">
                {dateTime(verify.finishedAt ?? verify.startedAt)}
              </Descriptions.Item>
              <Descriptions.Item label="发现问题">{verify.problemCount ?? '—'} 处</Descriptions.Item>
              <Descriptions.Item label="范围">
                {verify.deep ? '含文件内容（深度）' : '事件、树、检查点、档案与摘要'}
              </Descriptions.Item>
            </Descriptions>
          ) : (
            <Typography.Text type="secondary">尚未做过完整性校验（yidang verify）</Typography.Text>
          )}
        </Card>
      </Col>
    </Row>
  );
}

/** 首页: the counts and rates a manager reports, what waits for the user, and the system's health. */
export default function DashboardPage() {
  const { user, can } = useAuth();
  const { data, loading, error, reload } = useRequest(loadOverview, []);
  if (loading && !data) return <Skeleton active paragraph={{ rows: 8 }} />;
  if (!data) return <ErrorNotice error={error} retry={reload} />;
  const archive = data.archive;
  const approvalsLabel = data.approvals.scope === 'all' ? '待我审批的查阅申请' : '我的待审批申请';
  return (
    <div>
      <Typography.Title level={3}>首页</Typography.Title>
      <Typography.Paragraph type="secondary">
        {user?.displayName ?? user?.username}，您好。
        {archive ? `以下统计限于您的管辖范围，统计时间 ${dateTime(archive.asOf)}。` : ''}
      </Typography.Paragraph>
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        {archive && (
          <>
            <Col xs={12} lg={6}>
              <Card>
                <Statistic title="档案总件数" value={archive.total} suffix="件" />
              </Card>
            </Col>
            <Col xs={12} lg={6}>
              <Card>
                <Statistic title="电子归档率" value={percent(archive.electronic.rate)} />
                <Progress
                  percent={Math.round((archive.electronic.rate ?? 0) * 100)}
                  showInfo={false}
                  size="small"
                />
                <Typography.Text type="secondary">
                  电子及纸电双套 {archive.electronic.count} 件
                </Typography.Text>
              </Card>
            </Col>
            <Col xs={12} lg={6}>
              <Card>
                <Statistic title="数字化率" value={percent(archive.digitization.rate)} />
                <Progress
                  percent={Math.round((archive.digitization.rate ?? 0) * 100)}
                  showInfo={false}
                  size="small"
                />
                <Typography.Text type="secondary">
                  纸质 {archive.digitization.paper} 件，已扫描 {archive.digitization.digitized} 件
                </Typography.Text>
              </Card>
            </Col>
          </>
        )}
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={approvalsLabel} value={data.approvals.pending} suffix="件" />
            {(can('access.grant') || can('item.read')) && <Link to="/approvals">前往审批</Link>}
          </Card>
        </Col>
        {can('use.stats') && <UseCard />}
        {can('appraisal.work') && <ExpiryCard />}
        {can('kpi.read') && <KpiCard />}
        {(data.ocr.queued > 0 || data.ocr.running > 0) && (
          <Col xs={12} lg={6}>
            <Card>
              <Statistic
                title="OCR 排队 / 识别中"
                value={`${data.ocr.queued} / ${data.ocr.running}`}
                suffix="页"
              />
            </Card>
          </Col>
        )}
      </Row>
      {archive && archive.total > 0 && <ArchiveCharts archive={archive} />}
      <div style={{ height: 16 }} />
      <Health overview={data} />
    </div>
  );
}
