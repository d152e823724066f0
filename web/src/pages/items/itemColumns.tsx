import { LockOutlined, SettingOutlined } from '@ant-design/icons';
import { Button, Checkbox, Popover, Space, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import {
  FIELD_LABELS,
  fieldText,
  ITEM_SENSITIVITY_NAMES,
  type Item,
  isSensitive,
  itemPath,
} from './itemFields';

// The items table's columns, which of them the user shows (列设置, kept in localStorage), and the
// text each column exports, so the exported list matches what the user sees.

export interface ItemColumn {
  key: string;
  title: string;
  /** 档号 identifies the row: it cannot be hidden. */
  fixed?: boolean;
  /** Plain text for the export. */
  text: (item: Item) => string;
}

/** A column titled by the field's name in the server's vocabulary (read when shown, not at load). */
const column = (
  key: string,
  text: ItemColumn['text'],
  options: { fixed?: boolean; title?: string } = {},
) => ({
  key,
  text,
  ...(options.fixed ? { fixed: true } : {}),
  get title() {
    return options.title ?? FIELD_LABELS[key] ?? key;
  },
});

export const ITEM_COLUMNS: ItemColumn[] = [
  column('archiveCode', (item) => item.archiveCode, { fixed: true }),
  column('title', (item) => item.title),
  column('category', (item) => item.categoryName),
  column('year', (item) => String(item.year)),
  column('retention', (item) => fieldText(item, 'retention')),
  column('name', (item) => item.name ?? ''),
  column('idNumber', (item) => item.idNumber ?? ''),
  column('handledAt', (item) => fieldText(item, 'handledAt')),
  column('carrier', (item) => fieldText(item, 'carrier')),
  // Short, to keep the column narrow.
  column('sensitivity', (item) => ITEM_SENSITIVITY_NAMES[item.sensitivity] ?? item.sensitivity, {
    title: '敏感',
  }),
];

const STORAGE_KEY = 'yidang.items.hiddenColumns';

function readHidden(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((key): key is string => typeof key === 'string') : [];
  } catch {
    return [];
  }
}

/** The columns the user has chosen to show, remembered in this browser. */
export function useVisibleColumns() {
  const [hidden, setHidden] = useState<string[]>(readHidden);
  const setShown = useCallback((key: string, shown: boolean) => {
    setHidden((current) => {
      const next = shown ? current.filter((entry) => entry !== key) : [...new Set([...current, key])];
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      return next;
    });
  }, []);
  const reset = useCallback(() => {
    localStorage.removeItem(STORAGE_KEY);
    setHidden([]);
  }, []);
  const visible = ITEM_COLUMNS.filter((column) => column.fixed || !hidden.includes(column.key));
  return { visible, hidden, setShown, reset };
}

export function ColumnSettings({
  hidden,
  setShown,
  reset,
}: {
  hidden: string[];
  setShown: (key: string, shown: boolean) => void;
  reset: () => void;
}) {
  const content = (
    <Space orientation="vertical" size={4} aria-label="显示的列">
      {ITEM_COLUMNS.map((column) => (
        <Checkbox
          key={column.key}
          checked={column.fixed || !hidden.includes(column.key)}
          disabled={column.fixed}
          onChange={(event) => setShown(column.key, event.target.checked)}
        >
          {column.title}
        </Checkbox>
      ))}
      <Button size="small" type="link" onClick={reset} style={{ paddingInline: 0 }}>
        恢复默认
      </Button>
    </Space>
  );
  return (
    <Popover content={content} title="显示的列" trigger="click" placement="bottomRight">
      <Button icon={<SettingOutlined />}>列设置</Button>
    </Popover>
  );
}

function sensitivityTag(item: Item) {
  // A withheld item comes without its sensitivity (it alone can give away what the record holds).
  if (item.withheld)
    return (
      <Tooltip title="未获查阅授权：内容已隐去，可申请查阅">
        <Tag color="red" icon={<LockOutlined />}>
          须审批
        </Tag>
      </Tooltip>
    );
  if (!isSensitive(item)) return null;
  return <Tag color="orange">{ITEM_SENSITIVITY_NAMES[item.sensitivity] ?? item.sensitivity}</Tag>;
}

/** antd columns for the visible ones; the 档号 link carries the row so a withheld item can show it. */
export function tableColumns(visible: ItemColumn[]): ColumnsType<Item> {
  return visible.map((column) => {
    const base = { key: column.key, title: column.title, dataIndex: column.key };
    switch (column.key) {
      case 'archiveCode':
        return {
          ...base,
          width: 260,
          render: (_: unknown, item: Item) => (
            <Link
              to={itemPath(item.archiveCode)}
              state={{ listed: item }}
              onClick={(event) => event.stopPropagation()}
            >
              {item.archiveCode}
            </Link>
          ),
        };
      case 'title':
        return {
          ...base,
          width: 300,
          ellipsis: { showTitle: true },
          render: (_: unknown, item: Item) =>
            item.withheld ? <Typography.Text type="secondary">{item.title}</Typography.Text> : item.title,
        };
      case 'category':
        return { ...base, width: 130, render: (_: unknown, item: Item) => item.categoryName };
      case 'year':
        return { ...base, width: 70 };
      case 'sensitivity':
        return { ...base, width: 90, render: (_: unknown, item: Item) => sensitivityTag(item) };
      case 'idNumber':
        return { ...base, width: 180, render: (_: unknown, item: Item) => column.text(item) };
      default:
        return { ...base, render: (_: unknown, item: Item) => column.text(item) };
    }
  });
}
