import { Button, Space, Typography } from 'antd';
import { type DependencyList, useState } from 'react';
import { type Request, useRequest } from '../../app/hooks';

// Server-side paging by cursor (`before`/`nextBefore`): the APIs page backwards from the newest,
// so the console keeps the cursors it has passed and offers 上一页/下一页 rather than page numbers.

export interface CursorPage<T> {
  rows: T[];
  next: number | null;
}

export interface CursorPages<T> extends Request<CursorPage<T>> {
  /** 1-based page number. */
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  goNext: () => void;
  goPrev: () => void;
}

/** Loads one page at a time; a change in `deps` (the filters) starts again from the first page. */
export function useCursorPages<T>(
  load: (before: number | undefined) => Promise<CursorPage<T>>,
  deps: DependencyList,
): CursorPages<T> {
  const key = JSON.stringify(deps);
  const [state, setState] = useState<{ key: string; stack: Array<number | undefined> }>({
    key,
    stack: [undefined],
  });
  const stack = state.key === key ? state.stack : [undefined];
  const before = stack[stack.length - 1];
  const request = useRequest(() => load(before), [key, before]);
  const next = request.data?.next ?? null;
  return {
    ...request,
    page: stack.length,
    hasPrev: stack.length > 1,
    hasNext: next !== null,
    goNext: () => {
      if (next !== null) setState({ key, stack: [...stack, next] });
    },
    goPrev: () => setState({ key, stack: stack.slice(0, -1) }),
  };
}

export function CursorPager({ pages, label }: { pages: CursorPages<unknown>; label?: string }) {
  return (
    <nav aria-label={label ?? '翻页'} style={{ display: 'flex', justifyContent: 'flex-end', marginTop: 16 }}>
      <Space>
        <Button disabled={!pages.hasPrev || pages.loading} onClick={pages.goPrev}>
          上一页
        </Button>
        <Typography.Text>第 {pages.page} 页</Typography.Text>
        <Button disabled={!pages.hasNext || pages.loading} onClick={pages.goNext}>
          下一页
        </Button>
      </Space>
    </nav>
  );
}
