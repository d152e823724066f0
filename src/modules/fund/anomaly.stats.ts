// Robust statistics for the anomaly scores: the median and the median absolute deviation (MAD) of a
// peer group, and the robust score (x − median) / (1.4826 · MAD), which is a z-score for normal data
// but is not dragged by the very outliers it is meant to find (a mean and a standard deviation are).

/** 1.4826 · MAD estimates the standard deviation of normally distributed data. */
export const MAD_SCALE = 1.4826;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export interface PeerSpread {
  median: number;
  /** The scale the scores are divided by: 1.4826 · MAD, else (MAD = 0) 1.2533 · mean absolute deviation. */
  scale: number;
  mad: number;
}

/**
 * The centre and spread of a peer group. When more than half the peers share one value the MAD is 0;
 * the mean absolute deviation around the median (times 1.2533, its normal-consistency factor) still
 * measures the spread then. Null when every peer has the same value: nobody stands out.
 */
export function peerSpread(values: readonly number[]): PeerSpread | null {
  const centre = median(values);
  const deviations = values.map((value) => Math.abs(value - centre));
  const mad = median(deviations);
  if (mad > 0) return { median: centre, mad, scale: MAD_SCALE * mad };
  const meanDeviation = deviations.reduce((sum, value) => sum + value, 0) / values.length;
  if (meanDeviation > 0) return { median: centre, mad, scale: 1.2533 * meanDeviation };
  return null;
}

export function robustScore(value: number, spread: PeerSpread): number {
  return (value - spread.median) / spread.scale;
}
