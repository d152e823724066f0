import type { Command } from 'commander';
import type { Highlight } from '../../modules/search/highlight.js';
import { catchUpIndex, rebuildIndex } from '../../modules/search/indexer.js';
import { type SearchResult, type SearchSort, search } from '../../modules/search/search.service.js';
import { type Disclosure, withDisclosure } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { clip, parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang search: the same service as GET /api/v1/search. The CLI has no background indexer, so it
// takes in everything filed since the last run first, with progress when that is a lot.

const marked = (highlight: Highlight) => {
  let text = '';
  let at = 0;
  for (const [start, end] of highlight.marks) {
    text += `${highlight.text.slice(at, start)}【${highlight.text.slice(start, end)}】`;
    at = end;
  }
  return `${text}${highlight.text.slice(at)}`;
};

/** Progress of a long catch-up on one line that ends with a newline; a short one says nothing. */
function progressLine(): { onProgress: (done: number, backlog: number) => void; end: () => void } {
  let shown = false;
  return {
    onProgress: (done, backlog) => {
      if (!shown && backlog < 5000) return;
      shown = true;
      process.stderr.write(`\r正在更新检索索引：已处理 ${done} 条日志，剩余 ${backlog} 条`);
    },
    end: () => {
      if (shown) process.stderr.write('\n');
    },
  };
}

function printResult(result: SearchResult): void {
  const total = result.exact ? `${result.total}` : `约 ${result.total}`;
  for (const notice of result.notices) process.stderr.write(`提示：${notice}\n`);
  printTable(
    ['档号', '题名', '年度', '命中'],
    result.hits.map((hit) => [
      hit.item.archiveCode,
      clip(hit.item.title),
      hit.item.year,
      hit.highlights
        .filter((highlight) => highlight.field !== 'title')
        .slice(0, 2)
        .map((highlight) => `${highlight.label}：${marked(highlight)}`)
        .join('；'),
    ]),
  );
  const facet = (label: string, values: SearchResult['facets']['year']) =>
    values.length === 0
      ? ''
      : `${label}：${values
          .slice(0, 8)
          .map((value) => `${value.label} ${value.count}`)
          .join('，')}\n`;
  process.stderr.write(
    `共 ${total} 件，显示 ${result.hits.length} 件\n` +
      facet('类别', result.facets.category) +
      facet('年度', result.facets.year) +
      facet('统筹区', result.facets.region) +
      facet('载体', result.facets.carrier) +
      (result.nextCursor ? `下一页：--cursor ${result.nextCursor}\n` : ''),
  );
}

interface SearchCliOptions extends Partial<Disclosure> {
  user?: string;
  category?: string;
  yearFrom?: string;
  yearTo?: string;
  region?: string;
  carrier?: string;
  handler?: string;
  agency?: string;
  sort?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

export function registerSearchCommands(program: Command): void {
  program
    .command('search [检索式]')
    .description('全文检索：词语、"短语"、AND/OR/NOT、题名: 姓名: 身份证号: 参保号:，附分面统计')
    .option('--category <类别代码>', '类别代码（含下级类别）')
    .option('--year-from <年度>', '起始年度')
    .option('--year-to <年度>', '截止年度')
    .option('--region <地区代码>', '统筹区代码（2、4 或 6 位）')
    .option('--carrier <载体>', '载体：纸质/电子/纸电双套')
    .option('--handler <姓名>', '经办人')
    .option('--agency <机构>', '经办机构')
    .option('--sort <排序>', '排序：relevance（相关度）或 date（日期）')
    .option('--limit <条数>', '每页件数', '20')
    .option('--cursor <标记>', '从上次输出的“下一页”标记继续')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .option('--unmask', '显示未脱敏的个人信息（需相应权限，记入事件日志）')
    .option('--purpose <用途>', '查阅目的（记入事件日志）')
    .action(async (query: string | undefined, options: SearchCliOptions) => {
      if (options.sort !== undefined && options.sort !== 'relevance' && options.sort !== 'date')
        throw invalid('SORT_INVALID', '--sort 应为 relevance 或 date');
      const year = (value: string | undefined, flag: string) =>
        value === undefined ? undefined : parsePositiveInt(value, flag, 9999);
      const result = await withDatabase(async (database) => {
        const progress = progressLine();
        await catchUpIndex(database.db, { onProgress: progress.onProgress }).finally(progress.end);
        return asCliUser(database.db, options.user, 'item.read', (user) =>
          search(
            database.db,
            {
              q: query,
              category: options.category,
              yearFrom: year(options.yearFrom, '--year-from'),
              yearTo: year(options.yearTo, '--year-to'),
              region: options.region,
              carrier: options.carrier,
              handler: options.handler,
              agency: options.agency,
              sort: options.sort as SearchSort | undefined,
              limit: parsePositiveInt(options.limit, '--limit', 100),
              cursor: options.cursor,
            },
            {
              access: withDisclosure(user.access, options),
              actor: user.actor,
            },
          ),
        );
      });
      if (options.json) printJson(result);
      else printResult(result);
    });

  program
    .command('reindex')
    .description('重建检索索引（从事件日志重新编入全部档案）')
    .action(async () => {
      const progress = progressLine();
      const run = await withDatabase((database) =>
        rebuildIndex(database.db, { onProgress: progress.onProgress }).finally(progress.end),
      );
      process.stderr.write(`检索索引已重建：${run.documents} 件档案（读取日志 ${run.events} 条）\n`);
    });
}
