import { pinyin } from 'pinyin-pro';
import { keyedHash } from '../../shared/field-cipher.js';

// Blocking keys (分块键) for finding the person a mistyped ID number meant. One wrong digit, or two
// neighbouring digits swapped, changes at most two of the ID's segments (region 6, birth date 8,
// sequence + check 4); every such error leaves one of these keys intact while the name is right:
//   region+birth (error in the sequence or check), birth+sequence (error in the region),
//   pinyin+region+birth year (error in month or day, or a swap across the birth date's end),
//   pinyin+sequence (error in the year, or a swap across the birth date's start).
// Region+sequence alone, or pinyin+region, would be too coarse: a common name recurs hundreds of times
// in a county of half a million, and every candidate must be decrypted to be scored.
// Each key is a keyed hash cut to 48 bits (exact in a JavaScript number and a bigint column), so the
// roster holds no ID segment in the clear.

export interface BlockKeys {
  regionBirth: number;
  birthSeq: number;
  nameRegion: number;
  nameSeq: number;
}

export const BLOCK_COLUMNS = {
  regionBirth: 'key_region_birth',
  birthSeq: 'key_birth_seq',
  nameRegion: 'key_name_region',
  nameSeq: 'key_name_seq',
} as const satisfies Record<keyof BlockKeys, string>;

const PURPOSE = 'roster blocking key';

const hash48 = (text: string) => keyedHash(PURPOSE, text).readUIntBE(0, 6);

const pinyinCache = new Map<string, string>();

/** Toneless pinyin of a name, without separators or dots: 张三丰 and 张三峰 both give zhangsanfeng. */
export function namePinyin(name: string): string {
  const cached = pinyinCache.get(name);
  if (cached !== undefined) return cached;
  const bare = name.replace(/[·\s]/g, '');
  const spelled = pinyin(bare, { toneType: 'none', type: 'array', nonZh: 'consecutive' })
    .join('')
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase();
  if (pinyinCache.size > 200_000) pinyinCache.clear();
  pinyinCache.set(name, spelled);
  return spelled;
}

/** The segments of an 18-character ID number: region, birth date, sequence with check character. */
export const idSegments = (idNumber: string) => ({
  region: idNumber.slice(0, 6),
  birth: idNumber.slice(6, 14),
  sequence: idNumber.slice(14, 18),
});

export function blockKeys(idNumber: string, spelled: string): BlockKeys {
  const { region, birth, sequence } = idSegments(idNumber);
  // The check character is left out of the sequence key: it changes with any error elsewhere.
  const seq = sequence.slice(0, 3);
  return {
    regionBirth: hash48(`rb|${region}|${birth}`),
    birthSeq: hash48(`bs|${birth}|${seq}`),
    nameRegion: hash48(`nr|${spelled}|${region}|${birth.slice(0, 4)}`),
    nameSeq: hash48(`ns|${spelled}|${seq}`),
  };
}
