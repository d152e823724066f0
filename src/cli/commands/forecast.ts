import type { Command } from 'commander';
import { MAX_HORIZON } from '../../modules/forecast/forecast.engine.js';
import {
  BUILT_IN_SERIES,
  type ForecastView,
  forecastBuiltIn,
  forecastGiven,
} from '../../modules/forecast/forecast.service.js';
import { invalid } from '../../shared/errors.js';
import {
  parsePositiveInt,
  printJson,
  printTable,
  readBoundedFile,
  USER_OPTION,
  withDatabase,
} from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang forecast <序列.csv> | yidang forecast --series …: the 趋势预测 through the same service as
// /api/v1/forecasts. A CSV series holds no archive content and needs no account; the built-in series
// (the roster, the settlements) are read as the signed-in user, within their regions.

const MAX_CSV_BYTES = 1024 * 1024;

const VERDICT_NAMES = { better: '模型更优', similar: '相当（差异不显著）', worse: '基线更优' } as const;

/** Numbers as people read them: whole numbers for counts, two decimals for amounts. */
const shown = (value: number | null, digits = 2) =>
  value === null
    ? '—'
    : value.toLocaleString('zh-CN', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function printForecast(view: ForecastView): void {
  const unit = view.unit ? `（${view.unit}）` : '';
  const where = view.region ? `，统筹区 ${view.region}` : view.series ? '，您范围内的全部统筹区' : '';
  process.stdout.write(
    `${view.seriesName}${unit}${where}：历史 ${view.points} 个月（${view.history[0]?.period} 至 ${view.history[view.history.length - 1]?.period}），预测 ${view.horizon} 个月\n` +
      `预测方法：${view.methodName}${view.fellBack ? '（回退到基线）' : ''}\n\n`,
  );
  printTable(
    ['月份', '预测值', '80% 区间', '95% 区间'],
    view.forecast.map((point) => [
      point.period,
      shown(point.value),
      `${shown(point.lower80)} ～ ${shown(point.upper80)}`,
      `${shown(point.lower95)} ～ ${shown(point.upper95)}`,
    ]),
  );
  process.stdout.write(
    `\n回测（${view.backtest.from} 至 ${view.backtest.to}，${view.backtest.origins} 个滚动起点，${view.backtest.errors} 个误差）：\n`,
  );
  printTable(
    ['方法', 'MAPE', 'MASE', '结论'],
    [
      [
        view.backtest.model.name,
        `${shown(view.backtest.model.mape, 1)}%`,
        shown(view.backtest.model.mase, 3),
        '（模型）',
      ],
      ...view.backtest.baselines.map((b) => [
        `基线：${b.name}`,
        `${shown(b.mape, 1)}%`,
        shown(b.mase, 3),
        VERDICT_NAMES[b.verdict],
      ]),
    ],
  );
  process.stdout.write(`\n说明：\n${view.notes.map((note) => `  · ${note}`).join('\n')}\n`);
}

export function registerForecastCommand(program: Command): void {
  program
    .command('forecast')
    .description(
      '趋势预测：预测月度序列（CSV 文件，或内置的参保人数、结算笔数、基金支出），附回测误差、基线比较与预测区间',
    )
    .argument('[序列文件]', 'CSV 文件，两列：月份（YYYY-MM）与数值，UTF-8 或 GBK，至少 6 个连续月份')
    .option('--horizon <月数>', `预测月数（1–${MAX_HORIZON}）`, '12')
    .option(
      '--series <序列>',
      `内置序列：${Object.entries(BUILT_IN_SERIES)
        .map(([code, { name }]) => `${code}（${name}）`)
        .join('、')}`,
    )
    .option('--region <统筹区>', '统筹区代码（2、4 或 6 位前缀，如 3201）；不填为您范围内的全部')
    .option(...USER_OPTION)
    .option('--json', '以 JSON 输出')
    .action(
      async (
        file: string | undefined,
        options: { horizon: string; series?: string; region?: string; user?: string; json?: boolean },
      ) => {
        const horizon = parsePositiveInt(options.horizon, '--horizon', MAX_HORIZON);
        if ((file === undefined) === (options.series === undefined))
          throw invalid('FORECAST_SERIES_INVALID', '请给出序列文件，或用 --series 指定内置序列（二者之一）');
        if (file !== undefined && options.region !== undefined)
          throw invalid('FORECAST_SERIES_INVALID', '--region 只用于内置序列（--series）');
        const view =
          file !== undefined
            ? await forecastGiven({
                csv: readBoundedFile(file, MAX_CSV_BYTES, '超过 1 MB，月度序列文件不应这么大'),
                horizon,
                name: file.split(/[\\/]/).pop() as string,
              })
            : await withDatabase((database) =>
                asCliUser(database.db, options.user, 'fund.read', (user) =>
                  forecastBuiltIn(database.db, user.access, {
                    series: options.series,
                    ...(options.region ? { region: options.region } : {}),
                    horizon,
                  }),
                ),
              );
        if (options.json) printJson(view);
        else printForecast(view);
      },
    );
}
