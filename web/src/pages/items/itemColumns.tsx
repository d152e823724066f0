import { LockOutlined, SettingOutlined } from '@ant-design/icons';
import { Button, Checkbox, Popover, Space, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { type RefObject, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import {
  FIELD_LABELS,
  fieldText,
  ITEM_SENSITIVITY_NAMES,
  type Item,
  isSensitive,
  itemPath,
} from './itemFields';

// The items table's columns, which of them the user shows (列设置, kept in localStorage per user),
// and the text each column exports, so the exported list matches what the user sees. Unless the
// user chose otherwise, a column is shown when it fits: columns join in order of use until the
// table's width is spent, so 1366-wide screens get no horizontal scrollbar and wide ones get more.

export interface ItemColumn {
  key: string;
  title: string;
  /** 档号 identifies the row: it cannot be hidden, and stays in view when the table scrolls. */
  fixed?: boolean;
  /** The column's width in px; 题名's is its least, it takes what the others leave. */
  width: number;
  /** Shown by default before columns of a higher rank, while the width lasts. */
  rank: number;
  /** Plain text for the export. */
  text: (item: Item) => string;
}

/** A column titled by the field's name in the server's vocabulary (read when shown, not at load). */
const column = (
  key: string,
  text: ItemColumn['text'],
  options: { fixed?: boolean; title?: string; width: number; rank: number },
): ItemColumn => ({
  key,
  text,
  width: options.width,
  rank: options.rank,
  ...(options.fixed ? { fixed: true } : {}),
  get title() {
    return options.title ?? FIELD_LABELS[key] ?? key;
  },
});

// Widths hold each column's longest usual value on one line (a 档号 like J013-JSLX·2024-D30-JSK-0001,
// a Beijing time to the minute, an 18-digit ID number) with the cell's padding.
export const ITEM_COLUMNS: ItemColumn[] = [
  column('archiveCode', (item) => item.archiveCode, { fixed: true, width: 240, rank: 0 }),
  column('title', (item) => item.title, { width: 200, rank: 0 }),
  column('category', (item) => item.categoryName, { width: 124, rank: 1 }),
  column('year', (item) => String(item.year), { width: 64, rank: 2 }),
  column('retention', (item) => fieldText(item, 'retention'), { width: 92, rank: 8 }),
  column('name', (item) => item.name ?? '', { width: 84, rank: 4 }),
  column('idNumber', (item) => item.idNumber ?? '', { width: 176, rank: 9 }),
  column('handledAt', (item) => fieldText(item, 'handledAt'), { width: 150, rank: 5 }),
  column('carrier', (item) => fieldText(item, 'carrier'), { width: 84, rank: 6 }),
  // Short, to keep the column narrow.
  column('sensitivity', (item) => ITEM_SENSITIVITY_NAMES[item.sensitivity] ?? item.sensitivity, {
    title: '敏感',
    width: 92,
    rank: 3,
  }),
  // A received item's sender's 档号 and organisation (接收): shown on request, exported when shown.
  column('originalCode', (item) => item.received?.originalCode ?? '', {
    title: '原档号',
    width: 240,
    rank: 10,
  }),
  column('receivedFrom', (item) => item.received?.source ?? '', { title: '来源单位', width: 180, rank: 11 }),
];

/** The row-selection column's width. */
export const SELECTION_WIDTH = 40;

/** Columns up to this rank join while 题名 keeps its least width; later ones only beside a wider 题名. */
const FIRST_READ_RANK = 3;
const TITLE_ROOM = 120;

/** The columns shown when the user has chosen nothing: by rank, while they fit in `width`. */
export function defaultColumns(width: number): Set<string> {
  const shown = new Set<string>();
  let used = SELECTION_WIDTH;
  for (const entry of [...ITEM_COLUMNS].sort((a, b) => a.rank - b.rank)) {
    const room = entry.rank > FIRST_READ_RANK ? TITLE_ROOM : 0;
    if (entry.rank > 0 && used + entry.width + room > width) continue;
    used += entry.width;
    shown.add(entry.key);
  }
  return shown;
}

/** The least width the columns need side by side; wider, 题名 takes the rest. */
export const tableWidth = (visible: ItemColumn[]) =>
  visible.reduce((sum, entry) => sum + entry.width, SELECTION_WIDTH);

type Choices = Record<string, boolean>;

const storageKey = (username: string) => `yidang.items.columns.${username}`;

function readChoices(username: string): Choices {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(storageKey(username)) ?? '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, boolean] => typeof entry[1] === 'boolean'),
    );
  } catch {
    return {};
  }
}

/** The width an element has, kept up to date as the window or the layout changes. */
export function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number | undefined] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState<number>();
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * The columns shown: the user's choices (this browser, this user), and where they chose nothing,
 * those that fit in `width` (all of them until it is known).
 */
export function useVisibleColumns(username: string, width: number | undefined) {
  const [choices, setChoices] = useState<Choices>(() => readChoices(username));
  const setShown = useCallback(
    (key: string, shown: boolean) => {
      setChoices((current) => {
        const next = { ...current, [key]: shown };
        localStorage.setItem(storageKey(username), JSON.stringify(next));
        return next;
      });
    },
    [username],
  );
  const reset = useCallback(() => {
    localStorage.removeItem(storageKey(username));
    setChoices({});
  }, [username]);
  const visible = useMemo(() => {
    const fitting = width === undefined ? undefined : defaultColumns(width);
    return ITEM_COLUMNS.filter(
      (entry) => entry.fixed || (choices[entry.key] ?? fitting?.has(entry.key) ?? true),
    );
  }, [choices, width]);
  return { visible, setShown, reset };
}

export function ColumnSettings({
  visible,
  setShown,
  reset,
}: {
  visible: ItemColumn[];
  setShown: (key: string, shown: boolean) => void;
  reset: () => void;
}) {
  const content = (
    <Space orientation="vertical" size={4} aria-label="显示的列">
      {ITEM_COLUMNS.map((entry) => (
        <Checkbox
          key={entry.key}
          checked={visible.includes(entry)}
          disabled={entry.fixed}
          onChange={(event) => setShown(entry.key, event.target.checked)}
        >
          {entry.title}
        </Checkbox>
      ))}
      <Typography.Text type="secondary" style={{ maxWidth: 200, fontSize: 12 }}>
        未勾选的列按屏幕宽度显示；“恢复默认”回到按宽度显示。
      </Typography.Text>
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
  return visible.map((entry) => {
    const base = {
      key: entry.key,
      title: entry.title,
      dataIndex: entry.key,
      // 题名 has no width of its own: it takes what the others leave.
      width: entry.key === 'title' ? undefined : entry.width,
      ellipsis: { showTitle: true },
    };
    switch (entry.key) {
      case 'archiveCode':
        return {
          ...base,
          // A 档号 is never cut short: a longer one than the width allows wraps.
          ellipsis: false,
          fixed: 'left' as const,
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
        // Two lines of a long title before it is cut (styles.css), the whole of it on hover.
        return {
          ...base,
          ellipsis: false,
          render: (_: unknown, item: Item) => (
            <Typography.Text
              type={item.withheld ? 'secondary' : undefined}
              title={item.title}
              className="two-lines"
            >
              {item.title}
            </Typography.Text>
          ),
        };
      case 'sensitivity':
        return {
          ...base,
          ellipsis: false,
          render: (_: unknown, item: Item) => sensitivityTag(item),
        };
      default:
        return { ...base, render: (_: unknown, item: Item) => entry.text(item) };
    }
  });
}
