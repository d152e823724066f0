import { kmeans } from 'ml-kmeans';

// The clustering of 高风险群体, apart from the data: standardise the named features, run k-means
// (mljs' ml-kmeans, k-means++ seeded) for each k of 2..6, and keep the k with the largest mean
// silhouette over a fixed sample. Pure and deterministic: the same rows in the same order and the
// same seed give the same clusters.

export const SEED = 20261229;
export const K_RANGE = [2, 3, 4, 5, 6] as const;
/** Silhouettes are O(n²): measured on at most this many points, taken evenly from the ordered rows. */
export const SILHOUETTE_SAMPLE = 1500;

export interface Standardised {
  points: number[][];
  mean: number[];
  sd: number[];
}

/** z-scores per column (a constant column becomes 0 everywhere). */
export function standardise(rows: readonly number[][]): Standardised {
  const width = rows[0]?.length ?? 0;
  const mean = Array.from(
    { length: width },
    (_, column) => rows.reduce((sum, row) => sum + (row[column] as number), 0) / rows.length,
  );
  const sd = mean.map((centre, column) =>
    Math.sqrt(rows.reduce((sum, row) => sum + ((row[column] as number) - centre) ** 2, 0) / rows.length),
  );
  const points = rows.map((row) =>
    row.map((value, column) =>
      (sd[column] as number) > 0 ? (value - (mean[column] as number)) / (sd[column] as number) : 0,
    ),
  );
  return { points, mean, sd };
}

const distance = (a: readonly number[], b: readonly number[]) => {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += ((a[index] as number) - (b[index] as number)) ** 2;
  return Math.sqrt(sum);
};

/** Mean silhouette of the sample points under an assignment (points alone in their cluster count 0). */
export function silhouette(points: readonly number[][], clusters: readonly number[], k: number): number {
  let total = 0;
  for (let i = 0; i < points.length; i++) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (let j = 0; j < points.length; j++) {
      if (i === j) continue;
      const cluster = clusters[j] as number;
      sums[cluster] = (sums[cluster] as number) + distance(points[i] as number[], points[j] as number[]);
      counts[cluster] = (counts[cluster] as number) + 1;
    }
    const own = clusters[i] as number;
    if ((counts[own] as number) === 0) continue;
    const a = (sums[own] as number) / (counts[own] as number);
    let b = Number.POSITIVE_INFINITY;
    for (let cluster = 0; cluster < k; cluster++)
      if (cluster !== own && (counts[cluster] as number) > 0)
        b = Math.min(b, (sums[cluster] as number) / (counts[cluster] as number));
    if (Number.isFinite(b) && Math.max(a, b) > 0) total += (b - a) / Math.max(a, b);
  }
  return points.length === 0 ? 0 : total / points.length;
}

/** Evenly spaced indexes of at most `size` of `count` rows (all of them when few). */
export function sampleIndexes(count: number, size = SILHOUETTE_SAMPLE): number[] {
  if (count <= size) return Array.from({ length: count }, (_, index) => index);
  return Array.from({ length: size }, (_, index) => Math.floor((index * count) / size));
}

export interface Clustering {
  k: number;
  clusters: number[];
  centroids: number[][];
  /** Mean silhouette per k tried. */
  tried: Array<{ k: number; silhouette: number }>;
}

/** k-means for each k of the range; the k of the largest mean silhouette (ties: the smaller k). */
export function clusterPoints(points: readonly number[][], seed = SEED): Clustering {
  const sample = sampleIndexes(points.length);
  const samplePoints = sample.map((index) => points[index] as number[]);
  const distinct = new Set(points.map((point) => point.join(','))).size;
  let best: Omit<Clustering, 'tried'> | null = null;
  let bestScore = Number.NEGATIVE_INFINITY;
  const tried: Clustering['tried'] = [];
  for (const k of K_RANGE) {
    if (k >= distinct) break;
    const result = kmeans(points as number[][], k, { seed, initialization: 'kmeans++', maxIterations: 300 });
    const score = silhouette(
      samplePoints,
      sample.map((index) => result.clusters[index] as number),
      k,
    );
    tried.push({ k, silhouette: Number(score.toFixed(4)) });
    // Strictly larger (beyond rounding noise): on a tie the smaller k stays.
    if (score > bestScore + 1e-9) {
      best = { k, clusters: result.clusters, centroids: result.centroids };
      bestScore = score;
    }
  }
  if (!best) throw new Error('too few distinct points to cluster');
  return { ...best, tried };
}
