import { Button, Card, Typography } from 'antd';
import { type FacetName, type Filters, facetActive, type SearchAnswer } from './searchState';

// Facet counts beside the results; a click filters by the value, a second click lifts the filter.

const FACETS: Array<[FacetName, string]> = [
  ['category', '类别'],
  ['year', '年度'],
  ['region', '统筹区'],
  ['carrier', '载体'],
];

export function FacetPanel({
  facets,
  filters,
  approximate,
  onToggle,
}: {
  facets: SearchAnswer['facets'];
  filters: Filters;
  approximate: boolean;
  onToggle: (facet: FacetName, value: string, active: boolean) => void;
}) {
  return (
    <nav aria-label="分面统计">
      {FACETS.map(([facet, title]) => (
        <Card key={facet} size="small" title={title} style={{ marginBottom: 12 }}>
          {facets[facet].length === 0 ? (
            <Typography.Text type="secondary">无</Typography.Text>
          ) : (
            <ul style={{ listStyle: 'none', margin: 0, padding: 0 }}>
              {facets[facet].map((entry) => {
                const active = facetActive(filters, facet, entry.value);
                return (
                  <li key={entry.value}>
                    <Button
                      type={active ? 'primary' : 'text'}
                      size="small"
                      aria-pressed={active}
                      title={active ? `取消按“${entry.label}”筛选` : `按“${entry.label}”筛选`}
                      onClick={() => onToggle(facet, entry.value, active)}
                      style={{ width: '100%', display: 'flex', justifyContent: 'space-between' }}
                    >
                      <span>{entry.label}</span>
                      <span>
                        {approximate ? '约' : ''}
                        {entry.count}
                      </span>
                    </Button>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
      ))}
    </nav>
  );
}
