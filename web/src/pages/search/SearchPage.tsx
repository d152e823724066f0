import { CloseOutlined, FilterOutlined } from '@ant-design/icons';
import { Alert, Badge, Button, Card, Col, Form, Input, Radio, Row, Space, Spin, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { CARRIER_NAMES, RETENTION_NAMES, SENSITIVITY_LEVELS, useCategories } from '../filing/catalog';
import { FacetPanel } from './FacetPanel';
import { FilterPanel } from './FilterPanel';
import { ResultList } from './ResultList';
import { SavedSearches } from './SavedSearches';
import {
  apiQuery,
  type FacetName,
  FILTER_KEYS,
  FILTER_LABELS,
  type FilterKey,
  type Filters,
  facetFilter,
  PAGE_SIZE,
  readState,
  type SearchState,
  writeState,
} from './searchState';

// 检索: full-text and faceted search. Everything the search is made of sits in the URL; the pages
// walked so far ride in the history entry's state, so 上一页 and the back button agree.

interface Trail {
  /** Cursors of the pages before this one ('' for the first). */
  trail?: string[];
}

const HELP =
  '检索式：词语之间默认同时满足；"短语" 按原文连续匹配；AND / OR / NOT（或 & | -）与括号组合；' +
  '字段前缀 题名: 姓名: 身份证号: 参保号:；输入完整档号可直接查到该件。';

export default function SearchPage() {
  const { can } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const trail = (location.state as Trail | null)?.trail ?? [];
  const key = params.toString();
  const state = useMemo(() => readState(new URLSearchParams(key)), [key]);
  const [typed, setTyped] = useState(state.q);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const categories = useCategories(can('catalog.read'));
  useEffect(() => setTyped(state.q), [state.q]);

  const active = FILTER_KEYS.filter((name) => state.filters[name] !== undefined);
  const searching = state.q.trim() !== '' || active.length > 0;
  const result = useRequest(
    () =>
      searching
        ? unwrap(api.GET('/api/v1/search', { params: { query: apiQuery(state) } }))
        : Promise.resolve(undefined),
    [key],
  );
  const answer = result.error ? undefined : result.data;
  const queryError = result.error?.status === 400 ? result.error : undefined;

  /** A new search (words, filters or sort changed) starts at its first page. */
  const go = (next: SearchState) =>
    navigate({ search: writeState({ ...next, cursor: undefined }).toString() });
  const setFilters = (filters: Filters) => go({ ...state, filters });
  const toggleFacet = (facet: FacetName, value: string, isActive: boolean) => {
    const change = facetFilter(facet, value);
    const filters = { ...state.filters };
    for (const [name, text] of Object.entries(change) as Array<[FilterKey, string]>) {
      if (isActive) delete filters[name];
      else filters[name] = text;
    }
    setFilters(filters);
  };
  const nextPage = () => {
    if (!answer?.nextCursor) return;
    navigate(
      { search: writeState({ ...state, cursor: answer.nextCursor }).toString() },
      { state: { trail: [...trail, state.cursor ?? ''] } satisfies Trail },
    );
  };
  const previousPage = () => {
    const previous = trail.at(-1);
    navigate(
      { search: writeState({ ...state, cursor: previous || undefined }).toString() },
      { state: { trail: trail.slice(0, -1) } },
    );
  };

  const filterText = (name: FilterKey, value: string) => {
    if (name === 'category') return categories.data?.find((row) => row.code === value)?.name ?? value;
    if (name === 'carrier') return CARRIER_NAMES[value] ?? value;
    if (name === 'sensitivity') return SENSITIVITY_LEVELS[value] ?? value;
    if (name === 'retention') return RETENTION_NAMES[value] ?? value;
    return value;
  };

  // A year range reads as one condition (年度：2024 or 2020–2024), as a facet sets it.
  const { yearFrom, yearTo } = state.filters;
  const chips: Array<{ key: string; label: string; text: string; clears: FilterKey[] }> = active
    .filter((name) => name !== 'yearFrom' && name !== 'yearTo')
    .map((name) => ({
      key: name,
      label: FILTER_LABELS[name],
      text: filterText(name, state.filters[name] ?? ''),
      clears: [name],
    }));
  if (yearFrom || yearTo)
    chips.unshift({
      key: 'year',
      label: '年度',
      text: yearFrom === yearTo ? (yearFrom ?? '') : `${yearFrom ?? '…'}–${yearTo ?? '…'}`,
      clears: ['yearFrom', 'yearTo'],
    });

  return (
    <>
      <Typography.Title level={3}>检索</Typography.Title>
      <Card style={{ marginBottom: 16 }}>
        <Form layout="vertical" component="div">
          <Form.Item
            label="检索词"
            htmlFor="search-q"
            help={queryError?.message}
            validateStatus={queryError ? 'error' : undefined}
            extra={queryError ? undefined : HELP}
          >
            <Input.Search
              id="search-q"
              size="large"
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              onSearch={(value) => go({ ...state, q: value })}
              enterButton="检索"
              allowClear
              placeholder="题名、姓名、身份证号、参保号、档号或扫描页中的文字"
            />
          </Form.Item>
        </Form>
        <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
          <Space wrap>
            <Radio.Group
              aria-label="排序"
              optionType="button"
              value={state.sort}
              onChange={(event) => go({ ...state, sort: event.target.value })}
              options={[
                { value: 'relevance', label: '按相关度' },
                { value: 'date', label: '按日期' },
              ]}
            />
            <Badge count={chips.length} size="small">
              <Button
                icon={<FilterOutlined />}
                aria-expanded={filtersOpen}
                onClick={() => setFiltersOpen((open) => !open)}
              >
                高级筛选
              </Button>
            </Badge>
          </Space>
          <SavedSearches state={state} onRestore={go} />
        </Space>
        {active.length > 0 && (
          <section style={{ marginTop: 12 }} aria-label="当前筛选条件">
            <Space wrap size={[8, 8]}>
              {chips.map((chip) => (
                <Button
                  key={chip.key}
                  size="small"
                  icon={<CloseOutlined />}
                  iconPlacement="end"
                  title={`取消“${chip.label}”筛选`}
                  onClick={() => {
                    const filters = { ...state.filters };
                    for (const name of chip.clears) delete filters[name];
                    setFilters(filters);
                  }}
                >
                  {chip.label}：{chip.text}
                </Button>
              ))}
            </Space>
          </section>
        )}
        {filtersOpen && (
          <div style={{ marginTop: 16 }}>
            <FilterPanel filters={state.filters} onApply={setFilters} />
          </div>
        )}
      </Card>

      {!queryError && <ErrorNotice error={result.error} retry={result.reload} />}
      {!searching && <Alert type="info" showIcon title="请输入检索词或设置筛选条件" description={HELP} />}
      {searching && (
        <Spin spinning={result.loading}>
          {answer && (
            <Row gutter={16}>
              <Col xs={24} lg={18}>
                <Card size="small">
                  <Space wrap style={{ marginBottom: 8 }}>
                    <Typography.Text strong data-testid="search-total">
                      {answer.exact ? '共' : '约'} {answer.total} 件
                    </Typography.Text>
                    {!answer.exact && (
                      <Typography.Text type="secondary">（命中较多，按抽样估计）</Typography.Text>
                    )}
                  </Space>
                  {answer.notices.map((notice) => (
                    <Alert key={notice} type="warning" showIcon title={notice} style={{ marginBottom: 8 }} />
                  ))}
                  {answer.indexPending > 0 && (
                    <Alert
                      type="info"
                      showIcon
                      style={{ marginBottom: 8 }}
                      title={`还有 ${answer.indexPending} 条新归档记录正在编入索引，刚归档的档案可能暂未检索到`}
                    />
                  )}
                  <ResultList hits={answer.hits} categories={categories.data ?? []} />
                  <Space style={{ marginTop: 12 }}>
                    {trail.length > 0 ? (
                      <Button onClick={previousPage}>上一页</Button>
                    ) : (
                      state.cursor && <Button onClick={() => go(state)}>回到第一页</Button>
                    )}
                    <Typography.Text type="secondary">
                      {state.cursor && trail.length === 0 ? '' : `第 ${trail.length + 1} 页，`}每页{' '}
                      {PAGE_SIZE} 件
                    </Typography.Text>
                    <Button disabled={!answer.nextCursor} onClick={nextPage}>
                      下一页
                    </Button>
                  </Space>
                </Card>
              </Col>
              <Col xs={24} lg={6}>
                <FacetPanel
                  facets={answer.facets}
                  filters={state.filters}
                  approximate={!answer.exact}
                  onToggle={toggleFacet}
                />
              </Col>
            </Row>
          )}
        </Spin>
      )}
    </>
  );
}
