// Surname frequencies per ten thousand people, roughly as in the 2020 census household-register tallies.
// Kept as one string so the list reads like a table instead of a hundred formatted tuples.
const TABLE = `
  王712 李700 张674 刘510 陈461 杨322 黄245 赵229 吴200 周192 徐145 孙138 马129 朱128 胡116 郭113
  何106 高100 林97 罗86 郑83 梁82 谢76 宋68 唐63 许63 韩60 冯59 邓58 曹57 彭53 曾50 肖49 田47
  董46 袁44 潘44 于43 蒋42 蔡41 余40 杜38 叶37 程37 苏35 魏34 吕34 丁33 任32 沈31 姚30 卢30
  姜29 崔28 钟28 谭27 陆27 汪26 范26 金25 石25 廖24 贾24 夏23 韦23 付22 方22 白21 邹21 孟20
  熊20 秦20 邱19 江19 尹18 薛18 闫17 段17 雷17 侯16 龙16 史15 陶15 黎15 贺14 顾14 毛14 郝13
  龚13 邵13 万12 钱12 严12 覃11 武11 戴11 莫10 孔10 向10 汤10 常9 温9 康9 施8 文8 牛8 樊8 葛8
  欧阳5 司马1 上官1 诸葛1 司徒1 东方0.5 皇甫0.5 夏侯0.4 令狐0.3 慕容0.3`;

/** Common Chinese surnames with their frequency per ten thousand people, most common first. */
export const SURNAME_FREQUENCIES: ReadonlyArray<readonly [string, number]> = TABLE.trim()
  .split(/\s+/)
  .map((entry) => {
    const match = /^(\D+)([\d.]+)$/.exec(entry);
    if (!match) throw new Error(`bad surname entry ${entry}`);
    return [match[1] as string, Number(match[2])] as const;
  });
