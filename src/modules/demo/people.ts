import { SURNAME_FREQUENCIES } from '../../shared/surnames.js';
import { idCheckChar } from '../catalog/id-number.js';
import { calendarDay, chinaDay, formatDay } from './calendar.js';
import { pad, type Random, type WeightedTable, weightedTable } from './random.js';

// Fake insured people. Every name is assembled from common characters and every ID number is computed,
// never copied, so no record can describe a real person; the distributions only aim to look familiar.

export const SURNAMES: WeightedTable<string> = weightedTable(SURNAME_FREQUENCIES);

export type Gender = 'male' | 'female';

interface NamePool {
  /** Characters combined freely into one- or two-character given names. */
  characters: readonly string[];
  /** Whole given names typical of the generation, used as they are. */
  names: readonly string[];
  singleCharacterShare: number;
}

const chars = (text: string) => [...text];
const words = (text: string) => text.split(' ');

// Naming fashion changed sharply around 1980–2000: 建国/秀英 for grandparents, 子轩/梓涵 for children.
const POOLS: Record<'classic' | 'modern', Record<Gender, NamePool>> = {
  classic: {
    male: {
      characters: chars(
        '伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文峰海东亮成兵新永德庆春福生荣忠贵山松',
      ),
      names: words(
        '建国 建华 国强 志强 志刚 建军 国庆 海涛 文斌 春生 德明 卫东 振华 建平 永强 红军 金龙 立新 学军 长江',
      ),
      singleCharacterShare: 0.25,
    },
    female: {
      characters: chars('芳娜敏静秀丽艳娟霞燕玲桂英兰萍红梅琳洁婷雪慧颖倩琴云莉凤玉珍淑华翠芬荣美琼'),
      names: words(
        '秀英 桂英 秀兰 玉兰 桂兰 秀珍 凤英 淑珍 丽华 红梅 海燕 玉梅 美玲 晓燕 桂芳 春梅 秀梅 丽娟 玉珍 翠花',
      ),
      singleCharacterShare: 0.25,
    },
  },
  modern: {
    male: {
      characters: chars('子梓浩宇轩辰睿泽俊博铭晨昊皓逸楷航然哲煜瑞嘉文一奕宸锦程天佑明诚恒'),
      names: words(
        '子轩 浩宇 宇轩 梓豪 俊杰 浩然 皓轩 一鸣 博文 思远 宇航 子墨 奕辰 沐阳 宇泽 梓睿 天佑 明轩 嘉懿 铭泽',
      ),
      singleCharacterShare: 0.08,
    },
    female: {
      characters: chars('欣怡涵萱诗雨桐馨琪瑶妍可佳思语梦婉悦嘉芷若汐依诺紫安晴雅静'),
      names: words(
        '梓涵 欣怡 诗涵 一诺 雨桐 可馨 思琪 紫涵 语嫣 梦瑶 佳怡 若汐 依诺 子萱 雨欣 欣妍 诗雨 安琪 芷若 雅静',
      ),
      singleCharacterShare: 0.08,
    },
  },
};

function givenName(rng: Random, gender: Gender, birthYear: number): string {
  const modernShare = birthYear < 1980 ? 0.02 : birthYear < 2000 ? 0.5 : 0.95;
  const pool = POOLS[rng.chance(modernShare) ? 'modern' : 'classic'][gender];
  if (rng.chance(0.4)) return rng.pick(pool.names);
  const first = rng.pick(pool.characters);
  if (rng.chance(pool.singleCharacterShare)) return first;
  const second = rng.pick(pool.characters);
  // A doubled character (婷婷, 明明) is a real pattern but only a minority of names.
  return second === first && !rng.chance(0.3) ? first : first + second;
}

export function generateName(rng: Random, gender: Gender, birthYear: number): string {
  const surname = rng.weighted(SURNAMES);
  return surname + givenName(rng, gender, birthYear);
}

// Age shares of the insured population: few infants, a broad adult middle, a thinning tail to 95.
const AGE_BANDS: readonly (readonly [readonly [number, number], number])[] = [
  [[0, 4], 3],
  [[5, 14], 7],
  [[15, 24], 9],
  [[25, 34], 14],
  [[35, 44], 14],
  [[45, 54], 16],
  [[55, 64], 15],
  [[65, 74], 12],
  [[75, 84], 7],
  [[85, 95], 3],
];

export const MAX_AGE = 95;
const ageTables = new Map<string, WeightedTable<readonly [number, number]>>();

/** An age band table restricted to [minAge, maxAge]; cached because categories reuse the same limits. */
function ageTable(minAge: number, maxAge: number): WeightedTable<readonly [number, number]> {
  const key = `${minAge}-${maxAge}`;
  let table = ageTables.get(key);
  if (!table) {
    const clipped = AGE_BANDS.filter(([[low, high]]) => high >= minAge && low <= maxAge).map(
      ([[low, high], weight]) => {
        const from = Math.max(low, minAge);
        const to = Math.min(high, maxAge);
        // Keep each band's density per year, so clipping a band also shrinks its share.
        return [[from, to] as const, (weight * (to - from + 1)) / (high - low + 1)] as const;
      },
    );
    table = weightedTable(clipped.length > 0 ? clipped : [[[minAge, maxAge] as const, 1]]);
    ageTables.set(key, table);
  }
  return table;
}

export interface Person {
  name: string;
  gender: Gender;
  /** YYYY-MM-DD */
  birthDate: string;
  /** Household-register county, the first six digits of the ID number. */
  regionCode: string;
  idNumber: string;
  insuredNumber: string;
}

export interface PersonOptions {
  /** Candidate household-register counties (6-digit codes); one is picked uniformly. */
  regionCodes: readonly string[];
  /** Nobody is born after this day (interpreted as a day in China). */
  referenceDate: Date;
  minAge?: number;
  maxAge?: number;
  /** Where the person is insured; the insured number starts with its prefecture. Defaults to the household county. */
  insuredRegionCode?: string;
}

/** GB 11643: region, birth date, a sequence whose parity is the sex (odd = male), then the check character. */
export function buildIdNumber(regionCode: string, birthDate: string, sequence: number): string {
  const first17 = `${regionCode}${birthDate.replaceAll('-', '')}${pad(sequence, 3)}`;
  return first17 + idCheckChar(first17);
}

export function generatePerson(rng: Random, options: PersonOptions): Person {
  const minAge = Math.max(0, options.minAge ?? 0);
  const maxAge = Math.min(MAX_AGE, Math.max(minAge, options.maxAge ?? MAX_AGE));
  const today = chinaDay(options.referenceDate);
  const [low, high] = rng.weighted(ageTable(minAge, maxAge));
  const age = rng.int(low, high);
  // Between `age` and `age + 1` full years ago; a 365.25-day year is precise enough for fake birthdays.
  const birthDay = today - Math.floor(age * 365.25) - rng.int(0, 364);
  const birthDate = formatDay(birthDay);
  const gender: Gender = rng.chance(0.5) ? 'male' : 'female';
  const regionCode = rng.pick(options.regionCodes);
  const sequence = gender === 'male' ? 2 * rng.int(0, 499) + 1 : 2 * rng.int(0, 498) + 2;
  const insuredPrefix = (options.insuredRegionCode ?? regionCode).slice(0, 4);
  return {
    name: generateName(rng, gender, calendarDay(birthDay).year),
    gender,
    birthDate,
    regionCode,
    idNumber: buildIdNumber(regionCode, birthDate, sequence),
    // Agencies number insured people per prefecture; 10- and 12-digit schemes both exist.
    insuredNumber: insuredPrefix + rng.digits(rng.chance(0.7) ? 8 : 6),
  };
}
