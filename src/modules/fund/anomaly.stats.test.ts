import { describe, expect, it } from 'vitest';
import { MAD_SCALE, median, peerSpread, robustScore } from './anomaly.stats.js';

describe('robust statistics of a peer group', () => {
  it('takes the median and 1.4826 · MAD, unmoved by the outlier itself', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const spread = peerSpread([10, 11, 12, 13, 14, 1000]);
    expect(spread?.median).toBe(12.5);
    expect(spread?.mad).toBe(1.5);
    expect(spread?.scale).toBeCloseTo(MAD_SCALE * 1.5, 10);
    expect(robustScore(1000, spread as never)).toBeCloseTo((1000 - 12.5) / (MAD_SCALE * 1.5), 10);
  });

  it('falls back to the mean absolute deviation when most peers agree, and gives up when all do', () => {
    const spread = peerSpread([0, 0, 0, 0, 0, 0.5]);
    expect(spread?.mad).toBe(0);
    expect(spread?.scale).toBeCloseTo(1.2533 * (0.5 / 6), 10);
    expect(peerSpread([7, 7, 7])).toBeNull();
  });
});
