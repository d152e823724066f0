import { DownloadOutlined, FileProtectOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { App, Button, Space, Tooltip, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { asApiError } from '../../app/hooks';
import { AccessRequestModal } from './AccessRequestModal';
import { type CheckOutcome, CheckResultsModal } from './CheckResultsModal';
import { csvBlob, saveBlob } from './csv';
import type { ItemColumn } from './itemColumns';
import type { Item } from './itemFields';

// What can be done with the rows ticked in the items table: export them as a list, run the
// four-property check on each, or ask to read the sensitive ones the user may not see.

export function BatchActions({
  selected,
  columns,
  onClear,
}: {
  selected: Item[];
  columns: ItemColumn[];
  onClear: () => void;
}) {
  const { can } = useAuth();
  const { message } = App.useApp();
  const [checking, setChecking] = useState(false);
  const [checkOpen, setCheckOpen] = useState(false);
  const [outcomes, setOutcomes] = useState<CheckOutcome[]>([]);
  const [checkTotal, setCheckTotal] = useState(0);
  const [requestOpen, setRequestOpen] = useState(false);
  const withheld = selected.filter((item) => item.withheld);

  const exportList = () => {
    const rows = selected.map((item) => columns.map((column) => column.text(item)));
    saveBlob(
      csvBlob(
        columns.map((column) => column.title),
        rows,
      ),
      `档案清单-${dayjs().format('YYYYMMDD-HHmm')}.csv`,
    );
    message.success(`已导出 ${selected.length} 件档案的清单`);
  };

  // One archive per call, one after another: the server checks each file's content.
  const runChecks = async () => {
    const codes = selected.map((item) => item.archiveCode);
    setOutcomes([]);
    setCheckTotal(codes.length);
    setCheckOpen(true);
    setChecking(true);
    for (const archiveCode of codes) {
      let outcome: CheckOutcome;
      try {
        outcome = {
          archiveCode,
          report: await unwrap(api.POST('/api/v1/checks', { body: { archiveCode } })),
        };
      } catch (error) {
        outcome = { archiveCode, error: asApiError(error).message };
      }
      setOutcomes((current) => [...current, outcome]);
    }
    setChecking(false);
  };

  const none = selected.length === 0;
  return (
    <Space wrap>
      <Typography.Text type="secondary">
        {none ? '勾选档案后可批量操作' : `已选 ${selected.length} 件`}
      </Typography.Text>
      <Button icon={<DownloadOutlined />} disabled={none} onClick={exportList}>
        导出清单
      </Button>
      {can('integrity.read') && (
        <Button
          icon={<SafetyCertificateOutlined />}
          disabled={none}
          loading={checking}
          onClick={() => void runChecks()}
        >
          四性检测
        </Button>
      )}
      <Tooltip title={withheld.length === 0 ? '所选档案中没有须申请查阅的敏感档案' : undefined}>
        <Button
          icon={<FileProtectOutlined />}
          disabled={withheld.length === 0}
          onClick={() => setRequestOpen(true)}
        >
          申请查阅{withheld.length > 0 ? `（${withheld.length}）` : ''}
        </Button>
      </Tooltip>
      {!none && (
        <Button type="link" onClick={onClear}>
          取消选择
        </Button>
      )}
      <CheckResultsModal
        open={checkOpen}
        total={checkTotal}
        outcomes={outcomes}
        onClose={() => setCheckOpen(false)}
      />
      <AccessRequestModal
        open={requestOpen}
        targets={withheld}
        onClose={() => setRequestOpen(false)}
        onDone={onClear}
      />
    </Space>
  );
}
